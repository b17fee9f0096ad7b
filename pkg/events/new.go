package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Extension attribute names carried by every CogniForge event.
const (
	// ExtCorrelationID groups every event of one flow (a saga, a request and
	// its consequences). It is the id of the first event of the flow.
	ExtCorrelationID = "correlationid"
	// ExtCausationID is the id of the event that caused this one.
	ExtCausationID = "causationid"
	// ExtTraceParent is the W3C traceparent of the span that produced the
	// event (the CloudEvents distributed tracing extension).
	ExtTraceParent = "traceparent"
	// ExtBaggage is the W3C baggage of the flow (key=value members, comma
	// separated), carried beside traceparent so every hop sees it.
	ExtBaggage = "baggage"
)

// ContentTypeJSON is the datacontenttype of every CogniForge event.
const ContentTypeJSON = "application/json"

// Option adjusts an event built by New.
type Option func(*options)

type options struct {
	subject string
	parent  *cloudevents.Event
	id      string
	time    time.Time
}

// Subject sets the subject attribute (e.g. the saga id).
func Subject(s string) Option { return func(o *options) { o.subject = s } }

// CausedBy marks the new event as a consequence of parent: causationid is the
// parent's id and correlationid the parent's correlationid (or its id when it
// has none). When ctx carries no span, the parent's traceparent is kept, and
// when ctx carries no baggage, the parent's baggage.
func CausedBy(parent cloudevents.Event) Option {
	return func(o *options) { p := parent; o.parent = &p }
}

// ID sets the event id instead of a random UUID (replays, tests).
func ID(id string) Option { return func(o *options) { o.id = id } }

// Time sets the event time instead of now (tests, replays).
func Time(t time.Time) Option { return func(o *options) { o.time = t } }

// New builds a CloudEvent of type typ from source with data encoded as JSON.
// data may be a struct, a map, json.RawMessage or []byte holding JSON.
// The id is a random UUID, time is now (UTC), datacontenttype is
// application/json, correlationid defaults to the id, traceparent is set
// from the span in ctx when there is one and baggage from the baggage in ctx. New does not check data against the
// catalog; Catalog.Validate does.
func New(ctx context.Context, typ, source string, data any, opts ...Option) (cloudevents.Event, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.id == "" {
		o.id = uuid.NewString()
	}
	if o.time.IsZero() {
		o.time = time.Now()
	}
	if e, ok, err := build(ctx, typ, source, data, &o); ok {
		return e, err
	}
	return newChecked(ctx, typ, source, data, &o)
}

// build is New for the events New builds every time (an id, a type and a
// source that parse, data that encodes): the event context is filled
// directly, which New did through the Event setters and their per-field
// bookkeeping, and the sdk's Validate is not run, as what it checks holds
// by construction (id and type non-blank, source a non-empty URI
// reference, datacontenttype application/json, no dataschema, a subject
// only when non-blank). An error is the data's encoding, as newChecked
// reports it; !ok means the event is not certain to be valid: newChecked
// builds it again and reports why, exactly as New always did.
func build(ctx context.Context, typ, source string, data any, o *options) (cloudevents.Event, bool, error) {
	ec := &cloudevents.EventContextV1{}
	src, ok := parsedSource(source)
	if !ok || ec.SetID(o.id) != nil || ec.SetType(typ) != nil || ec.Type == "" || ec.SetTime(o.time.UTC()) != nil {
		return cloudevents.Event{}, false, nil
	}
	ec.Source = src
	if o.subject != "" {
		if ec.SetSubject(o.subject) != nil {
			return cloudevents.Event{}, false, nil
		}
	}
	var enc []byte
	var err error
	switch d := data.(type) {
	case []byte:
		enc, err = rawJSON(d)
	case json.RawMessage:
		enc, err = rawJSON(d)
	case nil:
		// no data, as the sdk's JSON codec encodes nil
	default:
		enc, err = json.Marshal(d) // the sdk's JSON codec, for anything but bytes
	}
	if err != nil {
		return cloudevents.Event{}, true, fmt.Errorf("events: encode data of %s: %w", typ, err)
	}
	ct := ContentTypeJSON
	ec.DataContentType = &ct
	ec.Extensions = make(map[string]any, 4)
	correlation, traceparent, bag := lineage(ctx, o)
	if o.parent != nil {
		ec.Extensions[ExtCausationID] = o.parent.ID()
	}
	ec.Extensions[ExtCorrelationID] = correlation
	if traceparent != "" {
		ec.Extensions[ExtTraceParent] = traceparent
	}
	if bag != "" {
		ec.Extensions[ExtBaggage] = bag
	}
	return cloudevents.Event{Context: ec, DataEncoded: enc}, true, nil
}

// sourceEntry is a source string with its parsed form.
type sourceEntry struct {
	s   string
	ref types.URIRef
}

// lastSource remembers the last source build parsed: a producer (the
// gateway's acknowledgements, a saga's events) sends thousands of events
// from one source, and parsing it as a URL reference was a tenth of New.
var lastSource atomic.Pointer[sourceEntry]

// parsedSource is source parsed as the context's SetSource parses it, and
// whether it is certainly valid (it parses and prints non-blank, as the
// sdk's Validate requires).
func parsedSource(source string) (types.URIRef, bool) {
	if e := lastSource.Load(); e != nil && e.s == source {
		return e.ref, true
	}
	var ec cloudevents.EventContextV1
	if ec.SetSource(source) != nil || strings.TrimSpace(ec.Source.String()) == "" {
		return types.URIRef{}, false
	}
	lastSource.Store(&sourceEntry{s: source, ref: ec.Source})
	return ec.Source, true
}

// lineage is the correlation id, traceparent and baggage of a new event:
// its own id, ctx's span and baggage, or what it inherits from its cause.
func lineage(ctx context.Context, o *options) (correlation, traceparent, bag string) {
	correlation = o.id
	traceparent = TraceParent(ctx)
	bag = baggage.FromContext(ctx).String()
	if o.parent != nil {
		if c := stringExtension(*o.parent, ExtCorrelationID); c != "" {
			correlation = c
		} else if o.parent.ID() != "" {
			correlation = o.parent.ID()
		}
		if traceparent == "" {
			traceparent = stringExtension(*o.parent, ExtTraceParent)
		}
		if bag == "" {
			bag = stringExtension(*o.parent, ExtBaggage)
		}
	}
	return correlation, traceparent, bag
}

// newChecked builds the event through the sdk's setters and validates it:
// New's answer, with its error naming the attribute, for the events build
// is not certain about.
func newChecked(ctx context.Context, typ, source string, data any, o *options) (cloudevents.Event, error) {
	e := cloudevents.NewEvent()
	e.SetID(o.id)
	e.SetType(typ)
	e.SetSource(source)
	e.SetTime(o.time.UTC())
	if o.subject != "" {
		e.SetSubject(o.subject)
	}
	var err error
	switch d := data.(type) {
	case []byte:
		err = setRawJSON(&e, d)
	case json.RawMessage:
		err = setRawJSON(&e, d)
	default:
		err = e.SetData(ContentTypeJSON, data)
	}
	if err != nil {
		return cloudevents.Event{}, fmt.Errorf("events: encode data of %s: %w", typ, err)
	}
	correlation, traceparent, bag := lineage(ctx, o)
	if o.parent != nil {
		e.SetExtension(ExtCausationID, o.parent.ID())
	}
	e.SetExtension(ExtCorrelationID, correlation)
	if traceparent != "" {
		e.SetExtension(ExtTraceParent, traceparent)
	}
	if bag != "" {
		e.SetExtension(ExtBaggage, bag)
	}
	if err := e.Validate(); err != nil {
		return cloudevents.Event{}, fmt.Errorf("events: new %s: %w", typ, err)
	}
	return e, nil
}

// rawJSON is the copy of b New keeps as data, or why it cannot.
func rawJSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, fmt.Errorf("data is not valid JSON")
	}
	return append([]byte(nil), b...), nil
}

func setRawJSON(e *cloudevents.Event, b []byte) error {
	d, err := rawJSON(b)
	if err != nil {
		return err
	}
	e.SetDataContentType(ContentTypeJSON)
	e.DataEncoded = d
	return nil
}

// TraceParent returns the W3C traceparent header of the span in ctx, or ""
// when ctx has no valid span context.
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return "" // what Inject writes then; without a carrier to allocate
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c.Get(ExtTraceParent)
}

// FillTraceContext sets on e the trace context of ctx that e lacks: the
// span's traceparent (and tracestate) when e has no traceparent extension,
// the baggage when e has no baggage extension. A forwarder (the gateway)
// calls it so events whose producer sent W3C headers rather than
// extensions carry them on every later hop; what the producer set stays.
func FillTraceContext(ctx context.Context, e *cloudevents.Event) {
	_, hasTraceParent := faas.Extension(*e, ExtTraceParent)
	_, hasBaggage := faas.Extension(*e, ExtBaggage)
	if !hasTraceParent && trace.SpanContextFromContext(ctx).IsValid() {
		c := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, c)
		if tp := c.Get(ExtTraceParent); tp != "" {
			e.SetExtension(ExtTraceParent, tp)
			if ts := c.Get(extTraceState); ts != "" {
				e.SetExtension(extTraceState, ts)
			}
		}
	}
	if !hasBaggage {
		if b := baggage.FromContext(ctx).String(); b != "" {
			e.SetExtension(ExtBaggage, b)
		}
	}
}

// extTraceState is the W3C tracestate extension that goes with traceparent.
const extTraceState = "tracestate"

// ContextWithTraceParent returns ctx carrying the remote span context of the
// event's traceparent extension, so a consumer's spans join the producer's
// trace. ctx is returned unchanged when the event has none.
func ContextWithTraceParent(ctx context.Context, e cloudevents.Event) context.Context {
	tp := stringExtension(e, ExtTraceParent)
	if tp == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{ExtTraceParent: tp})
}

// CorrelationID returns the event's correlationid extension, or its id when it
// has none.
func CorrelationID(e cloudevents.Event) string {
	if c := stringExtension(e, ExtCorrelationID); c != "" {
		return c
	}
	return e.ID()
}

func stringExtension(e cloudevents.Event, name string) string {
	v, _ := faas.Extension(e, name)
	s, _ := v.(string)
	return s
}

// extensions is e's extension map, read only: the event's own map where the
// sdk lets it be reached, so reading it costs no copy.
func extensions(e cloudevents.Event) map[string]any {
	switch c := e.Context.(type) {
	case nil:
		return nil
	case *cloudevents.EventContextV1:
		return c.Extensions
	case *cloudevents.EventContextV03:
		return c.Extensions
	}
	return e.Extensions()
}
