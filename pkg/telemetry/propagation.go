package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Names of the trace context fields in every carrier: CloudEvents extension
// attributes, SQS message attributes, Step Functions payload fields. They
// are the W3C header names, lower case, which CloudEvents extension names
// must be.
const (
	TraceParent = "traceparent"
	TraceState  = "tracestate"
	// Baggage carries W3C baggage (key=value members, comma separated)
	// on every hop that carries TraceParent.
	Baggage = "baggage"
	// AWSTraceHeader is the SQS system attribute carrying an X-Ray header.
	AWSTraceHeader = "AWSTraceHeader"
	// XRayHeader is the HTTP header (and Lambda/EventBridge trace header)
	// of the X-Ray format: "Root=1-<epoch>-<random>;Parent=<span>;Sampled=1".
	XRayHeader = "X-Amzn-Trace-Id"
)

// Headers is the trace context one hop carries: W3C traceparent, tracestate
// and baggage, as strings, empty when absent. *Headers is a
// propagation.TextMapCarrier holding only those three keys (lower case), so
// extracting and injecting cost no map. The JSON form is the one Step
// Functions payloads use.
type Headers struct {
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
	Baggage     string `json:"baggage,omitempty"`
}

var _ propagation.TextMapCarrier = (*Headers)(nil)

// Get returns the value of one of the three keys, "" for any other.
func (h *Headers) Get(k string) string {
	switch k {
	case TraceParent:
		return h.TraceParent
	case TraceState:
		return h.TraceState
	case Baggage:
		return h.Baggage
	}
	return ""
}

// Set stores the value of one of the three keys and ignores any other.
func (h *Headers) Set(k, v string) {
	switch k {
	case TraceParent:
		h.TraceParent = v
	case TraceState:
		h.TraceState = v
	case Baggage:
		h.Baggage = v
	}
}

// Keys lists the keys that hold a value.
func (h *Headers) Keys() []string {
	keys := make([]string, 0, 3)
	for _, k := range [...]string{TraceParent, TraceState, Baggage} {
		if h.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// IsZero reports whether h carries nothing.
func (h Headers) IsZero() bool { return h == Headers{} }

// HeadersFrom returns the trace context of ctx: the span's traceparent and
// tracestate when it has a valid span, and its baggage when it has any
// (baggage travels even without a span).
func HeadersFrom(ctx context.Context) Headers {
	var h Headers
	propagator.Inject(ctx, &h)
	return h
}

// Context returns ctx with the remote span context and the baggage h
// carries. A malformed or missing traceparent leaves the span of ctx alone;
// missing baggage leaves the baggage of ctx alone.
func (h Headers) Context(ctx context.Context) context.Context {
	if h.IsZero() {
		return ctx
	}
	return propagator.Extract(ctx, &h)
}

// ContextWithTraceparent returns ctx with the remote span context described
// by a W3C traceparent (and optional tracestate). An empty or malformed
// traceparent leaves ctx unchanged. Use Headers.Context to carry baggage too.
func ContextWithTraceparent(ctx context.Context, traceparent, tracestate string) context.Context {
	return Headers{TraceParent: traceparent, TraceState: tracestate}.Context(ctx)
}

// Traceparent returns the W3C traceparent and tracestate of the span in ctx,
// or empty strings when ctx carries no valid span context.
func Traceparent(ctx context.Context) (traceparent, tracestate string) {
	h := HeadersFrom(ctx)
	return h.TraceParent, h.TraceState
}

// InjectEvent sets the traceparent/tracestate extensions of ev (the
// CloudEvents distributed tracing extension) from the span in ctx, and the
// baggage extension from the baggage in ctx. Absent values set nothing.
func InjectEvent(ctx context.Context, ev *cloudevents.Event) {
	SetEventHeaders(ev, HeadersFrom(ctx))
}

// SetEventHeaders sets the traceparent, tracestate and baggage extensions
// of ev to the non-empty fields of h (how an adapter moves the trace
// context of an SQS message, an HTTP request or a task payload onto the
// event it builds).
func SetEventHeaders(ev *cloudevents.Event, h Headers) {
	if h.TraceParent != "" {
		ev.SetExtension(TraceParent, h.TraceParent)
		if h.TraceState != "" {
			ev.SetExtension(TraceState, h.TraceState)
		}
	}
	if h.Baggage != "" {
		ev.SetExtension(Baggage, h.Baggage)
	}
}

// ExtractEvent returns ctx with the remote parent named by ev's traceparent
// extension and the baggage of its baggage extension; what ev lacks is left
// as ctx has it.
func ExtractEvent(ctx context.Context, ev cloudevents.Event) context.Context {
	return EventHeaders(ev).Context(ctx)
}

// EventHeaders returns the traceparent, tracestate and baggage extensions of ev.
func EventHeaders(ev cloudevents.Event) Headers {
	ext := ev.Extensions()
	if len(ext) == 0 {
		return Headers{}
	}
	return Headers{TraceParent: extString(ext[TraceParent]), TraceState: extString(ext[TraceState]), Baggage: extString(ext[Baggage])}
}

// EventTraceparent returns the traceparent/tracestate extensions of ev.
func EventTraceparent(ev cloudevents.Event) (traceparent, tracestate string) {
	h := EventHeaders(ev)
	return h.TraceParent, h.TraceState
}

func extString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	return fmt.Sprint(v)
}

// InjectSQS sets the traceparent, tracestate and baggage String message
// attributes from ctx into attrs (name to string value); the caller turns
// them into its SDK's attribute type. attrs must not be nil.
func InjectSQS(ctx context.Context, attrs map[string]string) {
	h := HeadersFrom(ctx)
	for _, k := range h.Keys() {
		attrs[k] = h.Get(k)
	}
}

// SQSHeaders returns the trace context of an SQS message: the traceparent,
// tracestate and baggage String message attributes, and when there is no
// traceparent attribute the AWSTraceHeader system attribute (X-Ray format,
// set by AWS when the sender traced with X-Ray) converted to a traceparent.
func SQSHeaders(messageAttrs, systemAttrs map[string]string) Headers {
	h := Headers{TraceParent: messageAttrs[TraceParent], TraceState: messageAttrs[TraceState], Baggage: messageAttrs[Baggage]}
	if h.TraceParent == "" {
		h.TraceState = ""
		h.TraceParent = XRayToTraceparent(systemAttrs[AWSTraceHeader])
	}
	return h
}

// ExtractSQS returns ctx with the trace context carried by an SQS message
// (see SQSHeaders).
func ExtractSQS(ctx context.Context, messageAttrs, systemAttrs map[string]string) context.Context {
	return SQSHeaders(messageAttrs, systemAttrs).Context(ctx)
}

// xrayCarrier holds one X-Ray header for the contrib propagator.
type xrayCarrier struct{ v string }

func (c *xrayCarrier) Get(k string) string {
	if k == XRayHeader {
		return c.v
	}
	return ""
}
func (c *xrayCarrier) Set(k, v string) {
	if k == XRayHeader {
		c.v = v
	}
}
func (c *xrayCarrier) Keys() []string { return []string{XRayHeader} }

var (
	xrayPropagator = xray.Propagator{}
	traceContext   = propagation.TraceContext{}
)

// XRayToTraceparent converts an X-Ray trace header
// ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
// to a W3C traceparent with the OpenTelemetry contrib X-Ray propagator. It
// returns "" when the header has no valid Root and Parent.
func XRayToTraceparent(h string) string {
	if h == "" {
		return ""
	}
	ctx := xrayPropagator.Extract(context.Background(), &xrayCarrier{v: h})
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	var out Headers
	traceContext.Inject(ctx, &out)
	return out.TraceParent
}

// TraceparentToXRay converts a W3C traceparent to the X-Ray trace header
// (what EventBridge's PutEvents TraceHeader and Lambda expect), or "" when
// traceparent is not a valid one.
func TraceparentToXRay(traceparent string) string {
	if traceparent == "" {
		return ""
	}
	ctx := traceContext.Extract(context.Background(), &Headers{TraceParent: traceparent})
	var c xrayCarrier
	xrayPropagator.Inject(ctx, &c)
	return c.v
}

// PayloadHeaders returns the top-level "traceparent", "tracestate" and
// "baggage" string fields of a JSON object payload (how a Step Functions
// state machine passes trace context to its tasks). Payloads that are not
// objects, or lack the fields, give zero Headers.
func PayloadHeaders(payload []byte) Headers {
	var h Headers
	// The fields are rare in payloads and decoding is not: look first.
	if !bytes.Contains(payload, []byte(`"traceparent"`)) && !bytes.Contains(payload, []byte(`"baggage"`)) {
		return h
	}
	// Raw values first: a payload whose own "baggage" is an object (luggage,
	// not W3C baggage) must not cost the traceparent next to it.
	var raw struct {
		TraceParent json.RawMessage `json:"traceparent"`
		TraceState  json.RawMessage `json:"tracestate"`
		Baggage     json.RawMessage `json:"baggage"`
	}
	if json.Unmarshal(payload, &raw) != nil {
		return h
	}
	h.TraceParent, h.TraceState, h.Baggage = jsonString(raw.TraceParent), jsonString(raw.TraceState), jsonString(raw.Baggage)
	return h
}

// jsonString is the string a JSON value holds, "" when it holds anything else.
func jsonString(v json.RawMessage) string {
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// ExtractPayload returns ctx with the trace context of a JSON object payload
// (see PayloadHeaders); anything else leaves ctx unchanged.
func ExtractPayload(ctx context.Context, payload []byte) context.Context {
	return PayloadHeaders(payload).Context(ctx)
}

// InjectPayload returns a copy of the JSON object payload with the
// "traceparent", "tracestate" and "baggage" fields set from ctx (those ctx
// has). Payloads that are not JSON objects are returned unchanged, as is
// any payload when ctx carries no trace context.
func InjectPayload(ctx context.Context, payload []byte) ([]byte, error) {
	h := HeadersFrom(ctx)
	if h.IsZero() {
		return payload, nil
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return payload, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, fmt.Errorf("telemetry: inject into payload: %w", err)
	}
	for _, k := range h.Keys() {
		obj[k], _ = json.Marshal(h.Get(k))
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("telemetry: inject into payload: %w", err)
	}
	return out, nil
}

// Propagator is the propagator every CogniForge carrier uses: W3C trace
// context and baggage.
func Propagator() propagation.TextMapPropagator { return propagator }

var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
