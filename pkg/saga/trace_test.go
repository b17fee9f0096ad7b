package saga_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// TestOneTraceSpansTheSaga: every step invoked with the saga's traceparent
// (as the generated Parameters pass it) gets a span in the saga's trace,
// and the step events carry that span's context.
func TestOneTraceSpansTheSaga(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	st := memory.New(memory.Config{})
	b := &bustest.Recorder{}
	step := saga.Step[demoIn, demoOut]{
		Action:       func(context.Context, demoIn) (demoOut, error) { return demoOut{Step: "x"}, nil },
		Compensation: func(context.Context, demoIn) error { return nil },
	}
	fn, err := saga.NewFunction("demo", "", withNames(step, "a", "b"), saga.Config{Store: st, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), adapter.WithTracerProvider(tp))
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, c := range []struct{ step, phase string }{{"a", "forward"}, {"b", "forward"}, {"b", "compensation"}} {
		_, err := inv.Invoke(context.Background(), []byte(`{"sagaId":"t-1","step":"`+c.step+`","phase":"`+c.phase+
			`","correlationId":"t-1","traceparent":"00-`+traceID+`-00f067aa0ba902b7-01","input":{"id":"x"}}`))
		if err != nil {
			t.Fatal(err)
		}
	}
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want one per step", len(spans))
	}
	for _, s := range spans {
		if s.SpanContext().TraceID().String() != traceID {
			t.Errorf("span %s in trace %s, want the saga's %s", s.Name(), s.SpanContext().TraceID(), traceID)
		}
	}
	for i, e := range b.Events() {
		tp, _ := e.Extensions()[events.ExtTraceParent].(string)
		if !strings.Contains(tp, traceID) || strings.Contains(tp, "00f067aa0ba902b7") {
			t.Errorf("event %d traceparent %q: want the step span in the saga's trace", i, tp)
		}
	}
}
