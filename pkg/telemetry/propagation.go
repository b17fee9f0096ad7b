package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Names of the trace context fields in every carrier.
const (
	TraceParent = "traceparent"
	TraceState  = "tracestate"
	// AWSTraceHeader is the SQS system attribute carrying an X-Ray header.
	AWSTraceHeader = "AWSTraceHeader"
)

// headerCarrier is a two-field carrier: traceparent and tracestate.
type headerCarrier struct{ parent, state string }

func (c *headerCarrier) Get(k string) string {
	switch k {
	case TraceParent:
		return c.parent
	case TraceState:
		return c.state
	}
	return ""
}

func (c *headerCarrier) Set(k, v string) {
	switch k {
	case TraceParent:
		c.parent = v
	case TraceState:
		c.state = v
	}
}

func (c *headerCarrier) Keys() []string { return []string{TraceParent, TraceState} }

var traceContext = propagation.TraceContext{}

// ContextWithTraceparent returns ctx with the remote span context described
// by a W3C traceparent (and optional tracestate). An empty or malformed
// traceparent leaves ctx unchanged.
func ContextWithTraceparent(ctx context.Context, traceparent, tracestate string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return traceContext.Extract(ctx, &headerCarrier{parent: traceparent, state: tracestate})
}

// Traceparent returns the W3C traceparent and tracestate of the span in ctx,
// or empty strings when ctx carries no valid span context.
func Traceparent(ctx context.Context) (traceparent, tracestate string) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return "", ""
	}
	c := &headerCarrier{}
	traceContext.Inject(ctx, c)
	return c.parent, c.state
}

// InjectEvent sets the traceparent/tracestate extensions of ev (the
// CloudEvents distributed tracing extension) from the span in ctx. It does
// nothing when ctx has no span.
func InjectEvent(ctx context.Context, ev *cloudevents.Event) {
	p, s := Traceparent(ctx)
	if p == "" {
		return
	}
	ev.SetExtension(TraceParent, p)
	if s != "" {
		ev.SetExtension(TraceState, s)
	}
}

// ExtractEvent returns ctx with the remote parent named by ev's traceparent
// extension, or ctx unchanged when there is none.
func ExtractEvent(ctx context.Context, ev cloudevents.Event) context.Context {
	p, s := EventTraceparent(ev)
	return ContextWithTraceparent(ctx, p, s)
}

// EventTraceparent returns the traceparent/tracestate extensions of ev.
func EventTraceparent(ev cloudevents.Event) (traceparent, tracestate string) {
	ext := ev.Extensions()
	return extString(ext[TraceParent]), extString(ext[TraceState])
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

// InjectSQS sets the traceparent (and tracestate) String message attributes
// from ctx into attrs (name to string value); the caller turns them into its
// SDK's attribute type. attrs must not be nil.
func InjectSQS(ctx context.Context, attrs map[string]string) {
	p, s := Traceparent(ctx)
	if p == "" {
		return
	}
	attrs[TraceParent] = p
	if s != "" {
		attrs[TraceState] = s
	}
}

// ExtractSQS returns ctx with the parent carried by an SQS message: the
// traceparent String message attribute when present, else the AWSTraceHeader
// system attribute (X-Ray format) converted to W3C.
func ExtractSQS(ctx context.Context, messageAttrs, systemAttrs map[string]string) context.Context {
	if p := messageAttrs[TraceParent]; p != "" {
		return ContextWithTraceparent(ctx, p, messageAttrs[TraceState])
	}
	return ContextWithTraceparent(ctx, XRayToTraceparent(systemAttrs[AWSTraceHeader]), "")
}

// XRayToTraceparent converts an X-Ray trace header
// ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
// to a W3C traceparent. It returns "" when the header has no Root or Parent.
func XRayToTraceparent(h string) string {
	var root, parent, sampled string
	for part := range strings.SplitSeq(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	// Root is 1-<8 hex epoch>-<24 hex random>.
	r := strings.Split(root, "-")
	if len(r) != 3 || r[0] != "1" || len(r[1]) != 8 || len(r[2]) != 24 || len(parent) != 16 {
		return ""
	}
	flags := "00"
	if sampled == "1" {
		flags = "01"
	}
	tp := "00-" + r[1] + r[2] + "-" + strings.ToLower(parent) + "-" + flags
	if _, err := trace.TraceIDFromHex(r[1] + r[2]); err != nil {
		return ""
	}
	if _, err := trace.SpanIDFromHex(parent); err != nil {
		return ""
	}
	return tp
}

// payloadTrace is the part of a Step Functions payload that carries trace context.
type payloadTrace struct {
	TraceParent string `json:"traceparent"`
	TraceState  string `json:"tracestate"`
}

// ExtractPayload returns ctx with the parent named by the top-level
// "traceparent"/"tracestate" string fields of a JSON object payload (how a
// Step Functions state machine passes trace context to its tasks). Payloads
// that are not objects or lack the field leave ctx unchanged.
func ExtractPayload(ctx context.Context, payload []byte) context.Context {
	if !bytes.Contains(payload, []byte(`"traceparent"`)) {
		return ctx
	}
	var pt payloadTrace
	if json.Unmarshal(payload, &pt) != nil {
		return ctx
	}
	return ContextWithTraceparent(ctx, pt.TraceParent, pt.TraceState)
}

// InjectPayload returns a copy of the JSON object payload with the
// "traceparent" (and "tracestate") fields set from ctx. Payloads that are not
// JSON objects are returned unchanged, as is any payload when ctx has no span.
func InjectPayload(ctx context.Context, payload []byte) ([]byte, error) {
	p, s := Traceparent(ctx)
	if p == "" {
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
	obj[TraceParent], _ = json.Marshal(p)
	if s != "" {
		obj[TraceState], _ = json.Marshal(s)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("telemetry: inject into payload: %w", err)
	}
	return out, nil
}
