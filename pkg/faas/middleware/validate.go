package middleware

import (
	"context"
	"errors"
	"reflect"
	"slices"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Validator checks an event against its schema (pkg/events' Catalog is one).
// Errors that implement FieldName() string name the offending field in HTTP
// problems.
type Validator interface {
	Validate(cloudevents.Event) error
}

// Validate rejects events v finds invalid with an *Error named
// ErrInvalidEvent (HTTP 400, an SQS batch item failure, a typed Lambda
// error) before the handler sees them. A nil v validates nothing. The
// context of an event it lets through is marked (see Validated), so a
// handler that checks events itself when hosted without this middleware
// need not check the same event again.
func Validate(v Validator) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		if v == nil {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if err := v.Validate(ev); err != nil {
				var named *faas.Error
				if errors.As(err, &named) && named.Name == faas.ErrInvalidEvent {
					return nil, err
				}
				return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: "invalid " + ev.Type() + " event: " + err.Error(), Err: err}
			}
			return next(WithValidated(ctx, v, ev), ev)
		}
	}
}

// validatedKey is the context key of a validatedMark.
type validatedKey struct{}

// validatedMark names the validator and the events it found valid. The
// events are named, not just the validator, because a context outlives its
// event: a handler may call another handler in process with its own
// context, and that handler's event was never checked.
type validatedMark struct {
	v    Validator
	one  cloudevents.Event
	more []cloudevents.Event
}

// WithValidated returns ctx marked as carrying events v found valid. The
// Validate middleware marks the context of every event it lets through; an
// adapter that hands a batch handler events which all went through
// Validate(v) marks the batch's context with all of them.
func WithValidated(ctx context.Context, v Validator, evs ...cloudevents.Event) context.Context {
	if v == nil || len(evs) == 0 {
		return ctx
	}
	m := &validatedMark{v: v, one: evs[0]}
	if len(evs) > 1 {
		m.more = slices.Clone(evs[1:])
	}
	return context.WithValue(ctx, validatedKey{}, m)
}

// Validated reports whether ctx is marked (WithValidated) as carrying ev
// found valid by v (compared with ==; a v whose dynamic type is not
// comparable is never found). ev is the same event when it shares the
// marked event's attributes and data (a copy of the Event value, not a
// clone). A handler that must not rely on its host to validate (the event
// gateway checks every event against the catalog whatever middleware it
// runs under) skips its own check when it is true, so an event is checked
// once.
func Validated(ctx context.Context, v Validator, ev cloudevents.Event) bool {
	if v == nil {
		return false
	}
	m, ok := ctx.Value(validatedKey{}).(*validatedMark)
	if !ok || reflect.TypeOf(m.v) != reflect.TypeOf(v) || !reflect.TypeOf(v).Comparable() || m.v != v {
		return false
	}
	if sameEvent(m.one, ev) {
		return true
	}
	for _, e := range m.more {
		if sameEvent(e, ev) {
			return true
		}
	}
	return false
}

// sameEvent reports whether a and b are copies of one Event value: the same
// context (a pointer in every sdk-go version) and the same data bytes.
func sameEvent(a, b cloudevents.Event) bool {
	if a.Context == nil || b.Context == nil || reflect.TypeOf(a.Context) != reflect.TypeOf(b.Context) ||
		reflect.TypeOf(a.Context).Kind() != reflect.Pointer || a.Context != b.Context {
		return false
	}
	if len(a.DataEncoded) != len(b.DataEncoded) || a.DataBase64 != b.DataBase64 {
		return false
	}
	return len(a.DataEncoded) == 0 || &a.DataEncoded[0] == &b.DataEncoded[0]
}

// Accept rejects events whose type is not listed with an *Error named
// ErrUnsupported. No types means every type is accepted. The adapters add it
// for Function.Consumes.
func Accept(types ...string) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		if len(types) == 0 {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if !slices.Contains(types, ev.Type()) {
				return nil, &faas.Error{Name: faas.ErrUnsupported, Message: "event type " + ev.Type() + " is not consumed by this function",
					Err: &faas.FieldError{Field: "type", Err: errors.New("not consumed")}}
			}
			return next(ctx, ev)
		}
	}
}
