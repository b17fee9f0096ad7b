package faas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	h := faas.Chain(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
		panic(errors.New("kaput"))
	}, faas.Recover(slog.New(slog.NewJSONHandler(&logs, nil))))
	reply, err := h(context.Background(), completedEvent("r1", requestCompleted{}))
	var fe *faas.Error
	if reply != nil || !errors.As(err, &fe) || fe.Name != faas.ErrPanic || !strings.Contains(err.Error(), "kaput") {
		t.Fatalf("reply %v err %v", reply, err)
	}
	if !strings.Contains(logs.String(), "goroutine") || !strings.Contains(logs.String(), "handler panicked") {
		t.Fatalf("stack not logged: %s", logs.String())
	}
}

func TestLoggingStampsIDsAndLevels(t *testing.T) {
	var logs bytes.Buffer
	logger := telemetry.NewLogger(&logs, "recorder", slog.LevelDebug)
	h := faas.Chain(testHandler, faas.Logging(logger))
	ev := completedEvent("l1", requestCompleted{Service: "s", Operation: "business"})
	ev.SetExtension(faas.CorrelationExtension, "saga-1")
	if _, err := h(context.Background(), ev); err == nil {
		t.Fatal("want error")
	}
	if _, err := h(context.Background(), completedEvent("l2", requestCompleted{Service: "s", Operation: "ok"})); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logs: %s", logs.String())
	}
	var first, second map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[1]), &second)
	if first["level"] != "WARN" || first["event_id"] != "l1" || first["correlation_id"] != "saga-1" || first["errorType"] != "Saga.BusinessError" || first["function"] != "recorder" {
		t.Fatalf("failure log %v", first)
	}
	if second["level"] != "DEBUG" || second["event_id"] != "l2" || second["correlation_id"] != "l2" {
		t.Fatalf("success log %v", second)
	}
}

func TestValidateAndAccept(t *testing.T) {
	h := faas.Chain(testHandler, faas.Validate(testValidator{}), faas.Accept(completedType))
	_, err := h(context.Background(), completedEvent("v1", requestCompleted{}))
	if p := faas.ProblemFor(err); faas.ErrorName(err) != faas.ErrInvalidEvent || p.Field != "data.service" || p.Status != 400 {
		t.Fatalf("%v %+v", err, p)
	}
	other := completedEvent("v2", requestCompleted{Service: "s"})
	other.SetType("dev.cogniforge.other.v1")
	_, err = h(context.Background(), other)
	if faas.ErrorName(err) != faas.ErrUnsupported {
		t.Fatalf("%v", err)
	}
}

func TestTimeout(t *testing.T) {
	// A deadline already in the past: the handler sees ctx done at once, no
	// waiting involved.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	h := faas.Chain(testHandler, faas.Timeout(faas.DefaultTimeoutMargin))
	_, err := h(ctx, completedEvent("t1", requestCompleted{Service: "s", Operation: "slow"}))
	var fe *faas.Error
	if !errors.As(err, &fe) || fe.Name != faas.ErrTimeout || !fe.Retryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
	// The margin is taken off the deadline the handler sees.
	far := time.Now().Add(time.Hour)
	ctx2, cancel2 := context.WithDeadline(context.Background(), far)
	defer cancel2()
	var seen time.Time
	probe := faas.Chain(func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		seen, _ = ctx.Deadline()
		return nil, nil
	}, faas.Timeout(time.Minute))
	if _, err := probe(ctx2, completedEvent("t2", requestCompleted{})); err != nil {
		t.Fatal(err)
	}
	if !seen.Equal(far.Add(-time.Minute)) {
		t.Fatalf("handler deadline %v, want %v", seen, far.Add(-time.Minute))
	}
	// Named errors keep their name even when the deadline passed.
	named := faas.Chain(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
		return nil, &faas.Error{Name: "Saga.BusinessError", Err: context.DeadlineExceeded}
	}, faas.Timeout(0))
	if _, err := named(ctx, completedEvent("t3", requestCompleted{})); faas.ErrorName(err) != "Saga.BusinessError" {
		t.Fatalf("%v", err)
	}
}

func TestTracing(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(telemetry.MaskingProcessor(spans)))
	h := faas.Chain(testHandler, faas.Tracing(tp), faas.Logging(quietLogger()))
	ev := completedEvent("tr1", requestCompleted{Service: "s", Operation: "op"})
	ev.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	ev.SetExtension(faas.CorrelationExtension, "saga-7")
	reply, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	bad := completedEvent("tr2", requestCompleted{Service: "s", Operation: "business"})
	if _, err := h(context.Background(), bad); err == nil {
		t.Fatal("want error")
	}
	ended := spans.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans", len(ended))
	}
	s := ended[0]
	if s.Name() != "process "+completedType || s.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Fatalf("span %s parent %v", s.Name(), s.Parent())
	}
	want := map[attribute.Key]string{faas.AttrEventType: completedType, faas.AttrEventSource: "/gateway", faas.AttrEventID: "tr1", faas.AttrCorrelationID: "saga-7"}
	for _, kv := range s.Attributes() {
		if w, ok := want[kv.Key]; ok && kv.Value.AsString() == w {
			delete(want, kv.Key)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing attributes %v in %v", want, s.Attributes())
	}
	tp0, _ := telemetry.EventTraceparent(*reply)
	if !strings.Contains(tp0, s.SpanContext().SpanID().String()) || !strings.Contains(tp0, "0af7651916cd43dd8448eb211c80319c") {
		t.Fatalf("reply traceparent %q, span %v", tp0, s.SpanContext())
	}
	if reply.Extensions()[faas.CorrelationExtension] != "saga-7" {
		t.Fatalf("reply correlation %v", reply.Extensions())
	}
	f := ended[1]
	if f.Status().Code != codes.Error || f.Parent().IsValid() {
		t.Fatalf("failed span status %v parent %v", f.Status(), f.Parent())
	}
	found := false
	for _, kv := range f.Attributes() {
		found = found || kv.Key == faas.AttrErrorType && kv.Value.AsString() == "Saga.BusinessError"
	}
	if !found {
		t.Fatalf("error.type missing: %v", f.Attributes())
	}
}

func TestDefaultsOrderAndExtension(t *testing.T) {
	var order []string
	mark := func(name string) faas.Middleware {
		return func(next faas.Handler) faas.Handler {
			return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
				order = append(order, name)
				return next(ctx, ev)
			}
		}
	}
	mws := faas.Defaults(faas.WithLogger(quietLogger()), faas.WithMiddleware(mark("idempotency"), mark("chaos")))
	if len(mws) != 5 { // Logging, Recover, Timeout + 2 extra (no tracer, no validator)
		t.Fatalf("%d middleware", len(mws))
	}
	h := faas.Chain(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { panic("x") }, mws...)
	_, err := h(context.Background(), completedEvent("d1", requestCompleted{}))
	if faas.ErrorName(err) != faas.ErrPanic || strings.Join(order, ",") != "idempotency,chaos" {
		t.Fatalf("%v %v", err, order)
	}
}

func TestTracingThroughAdapters(t *testing.T) {
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	t.Run("HTTP traceparent header", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		h := faas.NewHTTPHandler(testFunction(), append(testOptions(), faas.WithTracerProvider(tp))...)
		req, err := cehttp.NewHTTPRequestFromEvent(context.Background(), "http://x/", completedEvent("h1", requestCompleted{Service: "s", Operation: "op"}))
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
	t.Run("SQS batch handler links producers", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		fn := testFunction()
		fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
			return make([]faas.Result, len(evs))
		}
		payload := sqsSample(t, 3, func(i int) string {
			ev := completedEvent("s"+string(rune('0'+i)), requestCompleted{Service: "s"})
			ev.SetExtension("traceparent", parent)
			return structuredJSON(t, ev)
		}, nil)
		inv := faas.NewInvoker(fn, append(testOptions(), faas.WithTracerProvider(tp))...)
		if _, err := inv.Invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		ended := spans.Ended()
		if len(ended) != 1 || ended[0].Name() != "process batch" || len(ended[0].Links()) != 3 {
			t.Fatalf("%d spans", len(ended))
		}
	})
	t.Run("SQS AWSTraceHeader becomes the parent", func(t *testing.T) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		payload := sqsSample(t, 1, func(int) string {
			return `{"specversion":"1.0","id":"x1","source":"/s","type":"` + completedType + `","data":{"service":"s"}}`
		}, nil)
		payload = bytes.Replace(payload, []byte(`"attributes":{`), []byte(`"attributes":{"AWSTraceHeader":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",`), 1)
		inv := faas.NewInvoker(testFunction(), append(testOptions(), faas.WithTracerProvider(tp))...)
		if _, err := inv.Invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		ended := spans.Ended()
		if len(ended) != 1 || ended[0].Parent().TraceID().String() != "5759e988bd862e3fe1be46a994272793" {
			t.Fatalf("%d spans %v", len(ended), ended)
		}
	})
}
