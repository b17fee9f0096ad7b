// Package gateway is the event gateway, CogniForge's front door: a function
// behind an HTTP endpoint (a Lambda function URL, a Cloud Run service, the
// local runtime) that accepts CloudEvents from producers, checks each one
// against the event catalog and forwards the valid ones to the event bus.
//
// Invalid events are refused with a CogniForge.InvalidEvent error naming the
// field (HTTP 400); events the bus refuses fail with CogniForge.PublishFailed,
// marked retryable when sending again may work (HTTP 503). Batches
// (application/cloudevents-batch+json) are published in groups, so one
// request of 25 events costs three EventBridge PutEvents calls, and every
// event gets its own result. The gateway holds no state: it is safe for
// concurrent use and any number of instances may run. Publishing is
// at-least-once: a producer retrying after a timeout may publish an event
// twice, so subscribers deduplicate on the event id.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
)

// Name is the function's name (its directory under functions/).
const Name = "event-gateway"

// ErrPublishFailed names the failure to hand a valid event to the bus.
const ErrPublishFailed = "CogniForge.PublishFailed"

// DefaultSource is the source of acknowledgement events.
const DefaultSource = "cogniforge/event-gateway"

// DefaultGroupSize is how many events of a batch go in one Publish call: one
// EventBridge PutEvents call.
const DefaultGroupSize = 10 // eventbridge.MaxPutEventsEntries, without linking the SDK

// Config configures the gateway.
type Config struct {
	// Publisher receives the valid events. Required.
	Publisher bus.Publisher
	// Catalog validates events. Required.
	Catalog *events.Catalog
	// Acknowledge makes the gateway reply to each published event with a
	// dev.cogniforge.gateway.accepted.v1 event caused by it (HTTP 200 with
	// the event); false (the default) replies nothing (HTTP 202).
	Acknowledge bool
	// Source is the source of acknowledgement events; empty means
	// DefaultSource.
	Source string
	// GroupSize is how many events of a batch one Publish call carries; zero
	// means DefaultGroupSize.
	GroupSize int
	// Now is the clock of acknowledgement events; nil means time.Now.
	Now func() time.Time
}

// Validate reports every missing or wrong setting.
func (c Config) Validate() error {
	var errs []error
	if c.Publisher == nil {
		errs = append(errs, errors.New("gateway: Config.Publisher is required"))
	}
	if c.Catalog == nil {
		errs = append(errs, errors.New("gateway: Config.Catalog is required"))
	}
	if c.GroupSize < 0 {
		errs = append(errs, fmt.Errorf("gateway: Config.GroupSize %d is negative", c.GroupSize))
	}
	return errors.Join(errs...)
}

type gateway struct {
	cfg Config
}

// New returns the event gateway function: an HTTP-triggered function with a
// per-event Handler and a Batch handler.
func New(cfg Config) (faas.Function, error) {
	if err := cfg.Validate(); err != nil {
		return faas.Function{}, err
	}
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	if cfg.GroupSize == 0 {
		cfg.GroupSize = DefaultGroupSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &gateway{cfg: cfg}
	return faas.Function{
		Name:        Name,
		Description: "Validates CloudEvents against the catalog and publishes them to the event bus.",
		Handler:     g.handle,
		Batch:       g.batch,
		Triggers:    []faas.Trigger{{Kind: faas.TriggerHTTP}},
	}, nil
}

func (g *gateway) handle(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
	checked := middleware.Validated(ctx, g.cfg.Catalog, e)
	g.complete(ctx, &e)
	if !checked {
		if err := g.validate(e); err != nil {
			return nil, err
		}
	}
	errs, err := g.cfg.Publisher.Publish(ctx, []cloudevents.Event{e})
	if err == nil && len(errs) != 1 {
		err = fmt.Errorf("gateway: publisher returned %d results for 1 event", len(errs))
	}
	if err == nil {
		err = errs[0]
	}
	if err != nil {
		return nil, publishFailed(e, err)
	}
	return g.ack(ctx, e)
}

func (g *gateway) batch(ctx context.Context, evs []cloudevents.Event) []faas.Result {
	results := make([]faas.Result, len(evs))
	valid := make([]int, 0, len(evs))
	for i := range evs {
		checked := middleware.Validated(ctx, g.cfg.Catalog, evs[i])
		g.complete(ctx, &evs[i])
		if !checked {
			if err := g.validate(evs[i]); err != nil {
				results[i].Err = err
				continue
			}
		}
		valid = append(valid, i)
	}
	group := make([]cloudevents.Event, 0, g.cfg.GroupSize)
	for start := 0; start < len(valid); start += g.cfg.GroupSize {
		idx := valid[start:min(start+g.cfg.GroupSize, len(valid))]
		group = group[:0]
		for _, i := range idx {
			group = append(group, evs[i])
		}
		errs, err := g.cfg.Publisher.Publish(ctx, group)
		if err == nil && len(errs) != len(group) {
			err = fmt.Errorf("gateway: publisher returned %d results for %d events", len(errs), len(group))
		}
		for k, i := range idx {
			perr := err
			if perr == nil {
				perr = errs[k]
			}
			if perr != nil {
				results[i].Err = publishFailed(evs[i], perr)
				continue
			}
			results[i].Event, results[i].Err = g.ack(ctx, evs[i])
		}
	}
	return results
}

// complete fills in what producers may leave out, so every event on the
// bus has a time, a correlation id and a content type: the time of arrival,
// the event's own id (it starts a new chain of causes), and JSON. An event
// without traceparent or baggage extensions gets those of ctx (the
// gateway's span, the baggage of W3C request headers), so every later hop
// carries them.
func (g *gateway) complete(ctx context.Context, e *cloudevents.Event) {
	if e.Context == nil {
		return
	}
	events.FillTraceContext(ctx, e)
	if e.Time().IsZero() {
		e.SetTime(g.cfg.Now().UTC())
	}
	if _, ok := faas.Extension(*e, events.ExtCorrelationID); !ok && e.ID() != "" {
		e.SetExtension(events.ExtCorrelationID, e.ID())
	}
	if e.DataContentType() == "" && len(e.Data()) > 0 {
		e.SetDataContentType(events.ContentTypeJSON) // validated as JSON below
	}
}

// validate checks e against the catalog; the error is a faas.Error named
// CogniForge.InvalidEvent whose message names the field and whose chain
// holds the *events.ValidationError (with every field). The gateway does
// not rely on its host to validate, but an event the Validate middleware
// already found valid against the same catalog (middleware.Validated) is
// not checked again: complete only adds what the catalog accepts (a time, a
// correlation id equal to the id the catalog checked, the JSON content type
// the catalog assumes when there is none, W3C trace context and baggage
// from the context), so the event is as valid after it as before.
func (g *gateway) validate(e cloudevents.Event) error {
	err := g.cfg.Catalog.Validate(e)
	if err == nil {
		return nil
	}
	return &faas.Error{Name: faas.ErrInvalidEvent, Message: err.Error(), Err: err}
}

// publishFailed names a bus refusal, retryable unless the bus says sending
// again cannot help.
func publishFailed(e cloudevents.Event, err error) error {
	retryable := true
	var r interface{ Retryable() bool }
	switch {
	case errors.As(err, &r):
		retryable = r.Retryable()
	case errors.Is(err, bus.ErrEventTooLarge):
		retryable = false
	}
	return &faas.Error{
		Name:      ErrPublishFailed,
		Message:   fmt.Sprintf("event %s not published: %v", e.ID(), err),
		Retryable: retryable,
		Err:       err,
	}
}

func (g *gateway) ack(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
	if !g.cfg.Acknowledge {
		return nil, nil
	}
	a, err := events.New(ctx, events.TypeGatewayAccepted, g.cfg.Source,
		events.GatewayAccepted{EventID: e.ID(), EventType: e.Type()},
		events.CausedBy(e), events.Time(g.cfg.Now()))
	if err != nil {
		// The event is published; only the receipt failed. Not retryable:
		// a retry would publish the event again.
		return nil, &faas.Error{Name: ErrPublishFailed, Message: "event " + e.ID() + " published, acknowledgement failed: " + err.Error(), Err: err}
	}
	return &a, nil
}
