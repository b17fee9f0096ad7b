package lambda_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

func TestTracingThroughAdapters(t *testing.T) {
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	t.Run("HTTP traceparent header", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		h := cehttp.NewHandler(faastest.Function(), append(faastest.Options(), adapter.WithTracerProvider(tp))...)
		req, err := sdkhttp.NewHTTPRequestFromEvent(context.Background(), "http://x/", faastest.CompletedEvent("h1", faastest.RequestCompleted{Service: "s", Operation: "op"}))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Traceparent", parent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		ended := spans.Ended()
		if rec.Code != 200 || len(ended) != 1 || ended[0].Parent().SpanID().String() != "b7ad6b7169203331" {
			t.Fatalf("status %d spans %d", rec.Code, len(ended))
		}
		if !strings.Contains(rec.Header().Get("Ce-Traceparent"), ended[0].SpanContext().SpanID().String()) {
			t.Fatalf("reply traceparent %q", rec.Header().Get("Ce-Traceparent"))
		}
	})
	t.Run("SQS batch handler: event spans and a linked batch span", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		fn := faastest.Function()
		fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
			return make([]faas.Result, len(evs))
		}
		payload := sqsSample(t, 3, func(i int) string {
			ev := faastest.CompletedEvent("s"+string(rune('0'+i)), faastest.RequestCompleted{Service: "s"})
			ev.SetExtension("traceparent", parent)
			return faastest.StructuredJSON(t, ev)
		}, nil)
		inv := lambda.NewInvoker(fn, append(faastest.Options(), adapter.WithTracerProvider(tp))...)
		if _, err := inv.Invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		// One span per event, child of its producer's (the same chain as a
		// single event), and one for the batch call linked to the three.
		var batch sdktrace.ReadOnlySpan
		perEvent := map[string]bool{}
		for _, s := range spans.Ended() {
			switch {
			case s.Name() == "process batch":
				batch = s
			case s.Name() == "process "+faastest.CompletedType && s.Parent().SpanID().String() == "b7ad6b7169203331":
				perEvent[s.SpanContext().SpanID().String()] = true
			default:
				t.Errorf("unexpected span %q", s.Name())
			}
		}
		if batch == nil || len(perEvent) != 3 || len(batch.Links()) != 3 {
			t.Fatalf("batch span %v, %d event spans", batch != nil, len(perEvent))
		}
		for _, l := range batch.Links() {
			if !perEvent[l.SpanContext.SpanID().String()] {
				t.Errorf("batch span links %s, not an event span", l.SpanContext.SpanID())
			}
		}
	})
	t.Run("SQS AWSTraceHeader becomes the parent", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		payload := sqsSample(t, 1, func(int) string {
			return `{"specversion":"1.0","id":"x1","source":"/s","type":"` + faastest.CompletedType + `","data":{"service":"s"}}`
		}, nil)
		payload = bytes.Replace(payload, []byte(`"attributes":{`), []byte(`"attributes":{"AWSTraceHeader":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",`), 1)
		inv := lambda.NewInvoker(faastest.Function(), append(faastest.Options(), adapter.WithTracerProvider(tp))...)
		if _, err := inv.Invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		ended := spans.Ended()
		if len(ended) != 1 || ended[0].Parent().TraceID().String() != "5759e988bd862e3fe1be46a994272793" {
			t.Fatalf("%d spans %v", len(ended), ended)
		}
	})
}
