// Package eventbridge publishes CloudEvents to an Amazon EventBridge bus: the
// AWS adapter of the bus.Publisher port. Events go out in PutEvents calls of
// at most ten entries and 256 KB, with a result per event, the trace context
// in the X-Ray header; an entry that failed says whether a retry may succeed.
package eventbridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// PutEvents limits (EventBridge quotas that cannot be raised).
const (
	// MaxPutEventsEntries is the most entries one PutEvents call takes.
	MaxPutEventsEntries = 10
	// MaxPutEventsBytes is the most bytes one PutEvents call takes, counted
	// as EventBridge does (see entrySize).
	MaxPutEventsBytes = 256 * 1024
)

// PutEventsAPI is the part of the EventBridge client EventBridge uses;
// *awseb.Client implements it.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *awseb.PutEventsInput, optFns ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)
}

// Config configures an EventBridge publisher.
type Config struct {
	// Client sends PutEvents. Required.
	Client PutEventsAPI
	// EventBusName is the name or ARN of the bus; empty means "default".
	EventBusName string
}

// Validate reports every missing or wrong setting.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("eventbridge: Config.Client is required"))
	}
	return errors.Join(errs...)
}

// EventBridge publishes CloudEvents with EventBridge PutEvents: each event,
// in structured JSON, is the Detail of an entry whose DetailType is the
// event's type and whose Source is the event's source, so rules match on
// "detail-type" and subscribers read the whole CloudEvent from "detail". The
// event's traceparent (or the span in ctx) becomes the entry's X-Ray trace
// header. Events go in as few calls as the limits allow: at most
// MaxPutEventsEntries entries and MaxPutEventsBytes bytes per call, calls in
// order. It is safe for concurrent use.
type Publisher struct {
	client PutEventsAPI
	bus    string
}

var _ bus.Publisher = (*Publisher)(nil)

// New returns an EventBridge publisher.
func New(cfg Config) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name := cfg.EventBusName
	if name == "" {
		name = "default"
	}
	return &Publisher{client: cfg.Client, bus: name}, nil
}

// ErrEventTooLarge is the per-event error of an event that alone exceeds
// MaxPutEventsBytes; it is never sent.
var ErrEventTooLarge = bus.ErrEventTooLarge

// EntryError is EventBridge's refusal of one entry of a PutEvents call.
type EntryError struct {
	EventID string // the CloudEvent id
	Code    string // e.g. ThrottlingException, InternalFailure, MalformedDetail
	Message string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("bus: EventBridge refused event %s: %s: %s", e.EventID, e.Code, e.Message)
}

// Retryable reports whether sending the event again may succeed
// (throttling and internal failures, as EventBridge documents).
func (e *EntryError) Retryable() bool {
	switch e.Code {
	case "ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailable":
		return true
	}
	return false
}

// CallError is the failure of a whole PutEvents call: every event of that
// call gets it.
type CallError struct {
	Events int // how many events the call carried
	Err    error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("bus: PutEvents of %d events: %v", e.Events, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// Publish sends events and returns one error per event (nil when
// EventBridge accepted it). The returned error is non-nil only when nothing
// was published: every call failed as a whole, or ctx ended first.
func (p *Publisher) Publish(ctx context.Context, events []cloudevents.Event) ([]error, error) {
	results := make([]error, len(events))
	if len(events) == 0 {
		return results, nil
	}
	ctxTrace := xrayHeader(ctx)

	var (
		batch     []ebtypes.PutEventsRequestEntry
		batchIdx  []int
		batchSize int
		published bool
		firstErr  error
	)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ok, err := p.send(ctx, batch, batchIdx, events, results)
		published = published || ok
		if err != nil && firstErr == nil {
			firstErr = err
		}
		batch, batchIdx, batchSize = nil, nil, 0
	}
	for i := range events {
		e := &events[i]
		detail, err := e.MarshalJSON()
		if err != nil {
			results[i] = fmt.Errorf("bus: encode event %s: %w", e.ID(), err)
			continue
		}
		entry := ebtypes.PutEventsRequestEntry{
			Detail:       aws.String(string(detail)),
			DetailType:   aws.String(e.Type()),
			Source:       aws.String(e.Source()),
			EventBusName: aws.String(p.bus),
		}
		if t := e.Time(); !t.IsZero() {
			entry.Time = aws.Time(t)
		}
		th := ctxTrace
		if tp, _ := e.Extensions()["traceparent"].(string); tp != "" {
			if h := traceHeader(tp); h != "" {
				th = h
			}
		}
		if th != "" {
			entry.TraceHeader = aws.String(th)
		}
		size := entrySize(entry)
		if size > MaxPutEventsBytes {
			results[i] = fmt.Errorf("eventbridge: event %s is %d bytes, over the 256 KB PutEvents limit: %w", e.ID(), size, ErrEventTooLarge)
			continue
		}
		if len(batch) == MaxPutEventsEntries || batchSize+size > MaxPutEventsBytes {
			flush()
		}
		batch = append(batch, entry)
		batchIdx = append(batchIdx, i)
		batchSize += size
	}
	flush()
	if !published && firstErr != nil {
		return nil, firstErr
	}
	return results, nil
}

// send makes one PutEvents call and records each event's outcome. It reports
// whether any event was accepted, and the call's error if it failed whole.
func (p *Publisher) send(ctx context.Context, entries []ebtypes.PutEventsRequestEntry, idx []int, events []cloudevents.Event, results []error) (bool, error) {
	fail := func(err error) (bool, error) {
		for _, i := range idx {
			results[i] = err
		}
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return fail(fmt.Errorf("bus: PutEvents not sent: %w", err))
	}
	out, err := p.client.PutEvents(ctx, &awseb.PutEventsInput{Entries: entries})
	if err != nil {
		return fail(&CallError{Events: len(entries), Err: err})
	}
	if len(out.Entries) != len(entries) {
		// Without a one-to-one answer no event's fate is known; report all
		// as failed so callers retry (subscribers must be idempotent anyway).
		return fail(&CallError{Events: len(entries), Err: fmt.Errorf("answer has %d entries for %d events", len(out.Entries), len(entries))})
	}
	accepted := false
	for k, r := range out.Entries {
		i := idx[k]
		code := aws.ToString(r.ErrorCode)
		if code == "" && aws.ToString(r.EventId) != "" {
			results[i] = nil
			accepted = true
			continue
		}
		if code == "" {
			code = "Unknown"
		}
		results[i] = &EntryError{EventID: events[i].ID(), Code: code, Message: aws.ToString(r.ErrorMessage)}
	}
	return accepted, nil
}

// entrySize is an entry's size as EventBridge counts it against the request
// limit: 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType,
// Detail and each Resource.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	n += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// xrayHeader returns the X-Ray trace header (what EventBridge forwards to
// its targets) of the span in ctx, or "" when ctx has none. The contrib X-Ray
// propagator does the conversion: the root is the W3C trace id split after
// its first 8 hex digits (X-Ray's epoch seconds).
func xrayHeader(ctx context.Context) string {
	c := propagation.MapCarrier{}
	xray.Propagator{}.Inject(ctx, c)
	return c.Get(xrayHeaderKey)
}

// xrayHeaderKey is the header the X-Ray propagator writes.
const xrayHeaderKey = "X-Amzn-Trace-Id"

// traceHeader converts a W3C traceparent to the X-Ray trace header, or ""
// when traceparent is not a valid one.
func traceHeader(traceparent string) string {
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	return xrayHeader(ctx)
}
