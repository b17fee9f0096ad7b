package telemetry_test

import (
	"context"
	"encoding/json"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// withBaggage returns ctx with one baggage member, as the gateway's caller
// would send it.
func withBaggage(t *testing.T, ctx context.Context, key, value string) context.Context {
	t.Helper()
	m, err := baggage.NewMember(key, value)
	if err != nil {
		t.Fatal(err)
	}
	b, err := baggage.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return baggage.ContextWithBaggage(ctx, b)
}

// TestBaggageCrossesEveryCarrier sends a span and a baggage member through
// each carrier and checks both come out on the other side.
func TestBaggageCrossesEveryCarrier(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("t").Start(withBaggage(t, context.Background(), "tenant", "acme"), "producer")
	defer span.End()
	sc := span.SpanContext()

	carriers := []struct {
		name string
		hop  func(t *testing.T, ctx context.Context) context.Context
	}{
		{"cloudevent extension", func(t *testing.T, ctx context.Context) context.Context {
			ev := cloudevents.NewEvent()
			ev.SetID("e-1")
			ev.SetSource("/gateway")
			ev.SetType("dev.cogniforge.test.v1")
			telemetry.InjectEvent(ctx, &ev)
			if ev.Extensions()[telemetry.Baggage] != "tenant=acme" {
				t.Fatalf("extensions %v", ev.Extensions())
			}
			// Through the wire format and back.
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var got cloudevents.Event
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			return telemetry.ExtractEvent(context.Background(), got)
		}},
		{"sqs message attributes", func(t *testing.T, ctx context.Context) context.Context {
			attrs := map[string]string{}
			telemetry.InjectSQS(ctx, attrs)
			if attrs[telemetry.Baggage] != "tenant=acme" {
				t.Fatalf("attributes %v", attrs)
			}
			return telemetry.ExtractSQS(context.Background(), attrs, nil)
		}},
		{"step functions payload", func(t *testing.T, ctx context.Context) context.Context {
			out, err := telemetry.InjectPayload(ctx, []byte(`{"orderId":"o-1"}`))
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(out, &fields); err != nil || fields["orderId"] != "o-1" || fields["baggage"] != "tenant=acme" {
				t.Fatalf("payload %s (%v)", out, err)
			}
			return telemetry.ExtractPayload(context.Background(), out)
		}},
		{"headers value", func(t *testing.T, ctx context.Context) context.Context {
			return telemetry.HeadersFrom(ctx).Context(context.Background())
		}},
	}
	for _, c := range carriers {
		t.Run(c.name, func(t *testing.T) {
			got := c.hop(t, ctx)
			if gsc := trace.SpanContextFromContext(got); gsc.TraceID() != sc.TraceID() || gsc.SpanID() != sc.SpanID() || !gsc.IsRemote() {
				t.Fatalf("span context %v, want %v", gsc, sc)
			}
			if v := baggage.FromContext(got).Member("tenant").Value(); v != "acme" {
				t.Fatalf("baggage tenant=%q after the hop, want acme", v)
			}
		})
	}
}

// TestBaggageWithoutSpan: baggage travels even when nothing is traced, and
// an empty carrier leaves the receiver's context alone.
func TestBaggageWithoutSpan(t *testing.T) {
	ctx := withBaggage(t, context.Background(), "tenant", "acme")
	h := telemetry.HeadersFrom(ctx)
	if h.TraceParent != "" || h.Baggage != "tenant=acme" {
		t.Fatalf("%+v", h)
	}
	ev := cloudevents.NewEvent()
	telemetry.InjectEvent(context.Background(), &ev)
	if len(ev.Extensions()) != 0 {
		t.Fatalf("empty context set extensions %v", ev.Extensions())
	}
	kept := telemetry.ExtractEvent(ctx, ev)
	if baggage.FromContext(kept).Member("tenant").Value() != "acme" {
		t.Fatal("an event without baggage erased the baggage in ctx")
	}
	payloads := []struct {
		payload string
		want    telemetry.Headers
	}{
		{`{"baggage":"tenant=acme"}`, telemetry.Headers{Baggage: "tenant=acme"}},
		// A task's own "baggage" field that is not a string keeps the trace.
		{`{"baggage":{"bags":2},"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`,
			telemetry.Headers{TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		{`{"traceparent":5,"baggage":"a=b"}`, telemetry.Headers{Baggage: "a=b"}},
		{`[{"traceparent":"x"}]`, telemetry.Headers{}},
		{`{"traceparent":"x"`, telemetry.Headers{}},
	}
	for _, p := range payloads {
		if got := telemetry.PayloadHeaders([]byte(p.payload)); got != p.want {
			t.Errorf("PayloadHeaders(%s) = %+v, want %+v", p.payload, got, p.want)
		}
	}
}

func TestXRayConversions(t *testing.T) {
	tests := []struct{ xray, traceparent string }{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"},
	}
	for _, tc := range tests {
		if got := telemetry.XRayToTraceparent(tc.xray); got != tc.traceparent {
			t.Errorf("XRayToTraceparent(%q) = %q, want %q", tc.xray, got, tc.traceparent)
		}
		if got := telemetry.TraceparentToXRay(tc.traceparent); got != tc.xray {
			t.Errorf("TraceparentToXRay(%q) = %q, want %q", tc.traceparent, got, tc.xray)
		}
	}
	for _, bad := range []string{"", "00-zz-53995c3f42cd8ad8-01", "01-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8", "00-00000000000000000000000000000000-53995c3f42cd8ad8-01"} {
		if got := telemetry.TraceparentToXRay(bad); got != "" {
			t.Errorf("TraceparentToXRay(%q) = %q, want empty", bad, got)
		}
	}
}
