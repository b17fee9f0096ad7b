package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// nullReply is the stored result of a handler that replied with no event.
var nullReply = json.RawMessage("null")

// Middleware returns a faas.Middleware that runs the handler at most once
// per idempotency key (see Config.KeyPath) and replays the stored reply
// event for duplicates. The payload compared between duplicates is the
// event's data, or its part at Config.PayloadPath.
func Middleware(cfg Config) (faas.Middleware, error) {
	g, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return g.Middleware, nil
}

// Middleware wraps next; see the package function Middleware.
func (g *Guard) Middleware(next faas.Handler) faas.Handler {
	return func(ctx context.Context, event cloudevents.Event) (*cloudevents.Event, error) {
		key, ok, err := g.EventKey(event)
		if err != nil {
			return nil, err
		}
		if !ok {
			if g.requireKey {
				return nil, fmt.Errorf("%w at %s in event %s", ErrKeyMissing, g.path, event.ID())
			}
			return next(ctx, event)
		}
		var (
			fresh *cloudevents.Event
			ran   bool
		)
		payload, err := g.eventPayload(event)
		if err != nil {
			return nil, err
		}
		raw, err := g.run(ctx, key, payload, func(ctx context.Context) (json.RawMessage, error) {
			reply, err := next(ctx, event)
			if err != nil {
				return nil, err
			}
			fresh, ran = reply, true
			if reply == nil {
				return nullReply, nil
			}
			b, err := json.Marshal(reply)
			if err != nil {
				return nil, fmt.Errorf("idempotency: encode reply event: %w", err)
			}
			return b, nil
		})
		if err != nil {
			return nil, err
		}
		if ran {
			return fresh, nil
		}
		return decodeReply(raw)
	}
}

// decodeReply turns a stored result back into the reply event.
func decodeReply(raw json.RawMessage) (*cloudevents.Event, error) {
	if bytes.Equal(bytes.TrimSpace(raw), nullReply) {
		return nil, nil
	}
	reply := cloudevents.NewEvent()
	if err := json.Unmarshal(raw, &reply); err != nil {
		return nil, persistence("decode stored reply", err)
	}
	return &reply, nil
}

// EventKey returns the idempotency key of event: the value at KeyPath in its
// data, or its source and id when KeyPath is empty. ok is false when KeyPath
// selects nothing.
func (g *Guard) EventKey(event cloudevents.Event) (key string, ok bool, err error) {
	if g.path == nil {
		// CloudEvents ids are unique per source, not globally.
		return event.Source() + "\x00" + event.ID(), true, nil
	}
	key, ok, err = g.path.Extract(event.Data())
	if err != nil {
		return "", false, &faas.Error{Name: faas.ErrInvalidEvent, Message: fmt.Sprintf("idempotency key %s: %v", g.path, err), Err: err}
	}
	return key, ok, nil
}

// eventPayload is what is hashed to tell a duplicate from a reused key: the
// data, or the value at PayloadPath (empty when the path selects nothing).
func (g *Guard) eventPayload(event cloudevents.Event) ([]byte, error) {
	if g.payloadPath == nil {
		return event.Data(), nil
	}
	v, _, err := g.payloadPath.Extract(event.Data())
	if err != nil {
		return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: fmt.Sprintf("idempotency payload %s: %v", g.payloadPath, err), Err: err}
	}
	return []byte(v), nil
}
