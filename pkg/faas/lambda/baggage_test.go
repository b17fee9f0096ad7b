package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

const (
	gatewayTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	gatewayTraceID     = "0af7651916cd43dd8448eb211c80319c"
	gatewayBaggage     = "tenant=acme,plan=gold"
)

// seen is what the handler found in its context.
type seen struct {
	traceID, tenant, plan string
}

// baggageFunction records the trace id and baggage its handler sees, and
// replies so the reply's extensions can be checked as the next hop's input.
func baggageFunction(mu *sync.Mutex, got *[]seen) faas.Function {
	fn := faastest.Function()
	fn.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		b := baggage.FromContext(ctx)
		mu.Lock()
		*got = append(*got, seen{trace.SpanContextFromContext(ctx).TraceID().String(), b.Member("tenant").Value(), b.Member("plan").Value()})
		mu.Unlock()
		return faastest.Handler(ctx, ev)
	}
	return fn
}

// TestBaggageReachesHandlerOnEveryHop sets a baggage list where the gateway
// would receive it and checks the handler sees it, in the same trace, after
// each carrier a CogniForge event crosses: HTTP headers, CloudEvents
// extensions (structured, binary, in an SQS body), SQS message attributes
// and Step Functions task payloads (directly and through the Lambda
// adapter); and that the reply carries it on to the next hop.
func TestBaggageReachesHandlerOnEveryHop(t *testing.T) {
	withTrace := func(ev cloudevents.Event) cloudevents.Event {
		ev.SetExtension(telemetry.TraceParent, gatewayTraceparent)
		ev.SetExtension(telemetry.Baggage, gatewayBaggage)
		return ev
	}
	ce := func(id string) cloudevents.Event {
		return faastest.CompletedEvent(id, faastest.RequestCompleted{Service: "s", Operation: "op"})
	}
	sqsOne := func(body string, attrs map[string]events.SQSMessageAttribute) []byte {
		return sqsSample(t, 1, func(int) string { return body }, func(int) map[string]events.SQSMessageAttribute { return attrs })
	}
	str := func(s string) *string { return &s }
	task := `{"service":"s","operation":"op","traceparent":"` + gatewayTraceparent + `","baggage":"` + gatewayBaggage + `"}`

	type hop struct {
		name string
		// run delivers the event and returns the reply event, if any.
		run func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event
	}
	invoke := func(payload []byte) func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event {
		return func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event {
			out, err := lambda.NewInvoker(fn, opts...).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var reply cloudevents.Event
			if json.Unmarshal(out, &reply) != nil || reply.ID() == "" {
				return nil
			}
			return &reply
		}
	}
	serve := func(req func() *http.Request) func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event {
		return func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event {
			rec := httptest.NewRecorder()
			cehttp.NewHandler(fn, opts...).ServeHTTP(rec, req())
			if rec.Code >= 300 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			return nil
		}
	}
	hops := []hop{
		{"http structured event with extensions", serve(func() *http.Request {
			r := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(faastest.StructuredJSON(t, withTrace(ce("h1"))))))
			r.Header.Set("Content-Type", cehttp.ContentTypeStructured)
			return r
		})},
		{"http binary event with W3C headers", serve(func() *http.Request {
			r := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(`{"service":"s","operation":"op"}`)))
			for k, v := range map[string]string{"Content-Type": "application/json", "Ce-Specversion": "1.0", "Ce-Id": "h2", "Ce-Source": "/gw", "Ce-Type": faastest.CompletedType,
				"Traceparent": gatewayTraceparent, "Baggage": gatewayBaggage} {
				r.Header.Set(k, v)
			}
			return r
		})},
		{"http route with W3C headers", serve(func() *http.Request {
			r := httptest.NewRequest("POST", "/requests", bytes.NewReader([]byte(`{"service":"s","operation":"op"}`)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Traceparent", gatewayTraceparent)
			r.Header.Set("Baggage", gatewayBaggage)
			return r
		})},
		{"direct cloudevent payload", invoke([]byte(faastest.StructuredJSON(t, withTrace(ce("d1")))))},
		{"sqs body cloudevent extensions", invoke(sqsOne(faastest.StructuredJSON(t, withTrace(ce("q1"))), nil))},
		{"sqs message attributes", invoke(sqsOne(faastest.StructuredJSON(t, ce("q2")), map[string]events.SQSMessageAttribute{
			"traceparent": {DataType: "String", StringValue: str(gatewayTraceparent)},
			"baggage":     {DataType: "String", StringValue: str(gatewayBaggage)},
		}))},
		{"step functions task payload", invoke([]byte(task))},
		{"step functions task payload through the lambda adapter", func(t *testing.T, fn faas.Function, opts []adapter.Option) *cloudevents.Event {
			if _, err := lambda.NewHandler(fn, opts...).Invoke(context.Background(), []byte(task)); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
	}
	for _, h := range hops {
		t.Run(h.name, func(t *testing.T) {
			tp := sdktrace.NewTracerProvider()
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			var mu sync.Mutex
			var got []seen
			opts := append(faastest.Options(), adapter.WithTracerProvider(tp))
			reply := h.run(t, baggageFunction(&mu, &got), opts)
			mu.Lock()
			defer mu.Unlock()
			want := seen{gatewayTraceID, "acme", "gold"}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("handler saw %+v, want [%+v]", got, want)
			}
			if reply != nil {
				// The next hop gets the baggage from the reply's extension.
				h := telemetry.EventHeaders(*reply)
				if h.Baggage == "" || baggage.FromContext(telemetry.ExtractEvent(context.Background(), *reply)).Member("tenant").Value() != "acme" {
					t.Fatalf("reply extensions %v carry no baggage", reply.Extensions())
				}
			}
		})
	}
}

// TestTracingNestsUnderInvocationSpanOfSameTrace: a task payload's
// traceparent is the parent of the Lambda invocation span and of the event;
// the event span goes under the invocation span (the closer ancestor), while
// an event from another trace keeps its producer as parent.
func TestTracingNestsUnderInvocationSpanOfSameTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h := faas.Chain(faastest.Handler, middleware.Tracing(tp))
	caller := telemetry.ContextWithTraceparent(context.Background(), gatewayTraceparent, "")
	ctx, invocation := tp.Tracer("t").Start(caller, "invocation")
	defer invocation.End()

	same := faastest.CompletedEvent("n1", faastest.RequestCompleted{Service: "s", Operation: "op"})
	same.SetExtension(telemetry.TraceParent, gatewayTraceparent)
	other := faastest.CompletedEvent("n2", faastest.RequestCompleted{Service: "s", Operation: "op"})
	other.SetExtension(telemetry.TraceParent, "00-11111111111111111111111111111111-2222222222222222-01")
	for _, ev := range []cloudevents.Event{same, other} {
		if _, err := h(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	ended := rec.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans", len(ended))
	}
	if got := ended[0].Parent().SpanID(); got != invocation.SpanContext().SpanID() {
		t.Errorf("same-trace event span parent %s, want the invocation span %s", got, invocation.SpanContext().SpanID())
	}
	if got := ended[1].Parent(); got.TraceID().String() != "11111111111111111111111111111111" || got.SpanID().String() != "2222222222222222" {
		t.Errorf("other-trace event span parent %v, want its producer", got)
	}
}

// TestTaskPayloadWithItsOwnBaggageField: a task input whose "baggage" is
// domain data (an object) still joins the caller's trace.
func TestTaskPayloadWithItsOwnBaggageField(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var mu sync.Mutex
	var got []seen
	payload := []byte(`{"service":"s","operation":"op","baggage":{"bags":2},"traceparent":"` + gatewayTraceparent + `"}`)
	for name, invoke := range map[string]func(faas.Function, []adapter.Option) error{
		"invoker": func(fn faas.Function, opts []adapter.Option) error {
			_, err := lambda.NewInvoker(fn, opts...).Invoke(context.Background(), payload)
			return err
		},
		"lambda adapter": func(fn faas.Function, opts []adapter.Option) error {
			_, err := lambda.NewHandler(fn, opts...).Invoke(context.Background(), payload)
			return err
		},
	} {
		got = nil
		if err := invoke(baggageFunction(&mu, &got), append(faastest.Options(), adapter.WithTracerProvider(tp))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 1 || got[0].traceID != gatewayTraceID || got[0].tenant != "" {
			t.Errorf("%s: handler saw %+v, want the caller's trace and no baggage", name, got)
		}
	}
}
