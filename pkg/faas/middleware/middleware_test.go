package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"

	cloudevents "github.com/cloudevents/sdk-go/v2"
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
	}, middleware.Recover(slog.New(slog.NewJSONHandler(&logs, nil))))
	reply, err := h(context.Background(), faastest.CompletedEvent("r1", faastest.RequestCompleted{}))
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
	h := faas.Chain(faastest.Handler, middleware.Logging(logger))
	ev := faastest.CompletedEvent("l1", faastest.RequestCompleted{Service: "s", Operation: "business"})
	ev.SetExtension(faas.CorrelationExtension, "saga-1")
	if _, err := h(context.Background(), ev); err == nil {
		t.Fatal("want error")
	}
	if _, err := h(context.Background(), faastest.CompletedEvent("l2", faastest.RequestCompleted{Service: "s", Operation: "ok"})); err != nil {
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
	h := faas.Chain(faastest.Handler, middleware.Validate(faastest.Validator{}), middleware.Accept(faastest.CompletedType))
	_, err := h(context.Background(), faastest.CompletedEvent("v1", faastest.RequestCompleted{}))
	if p := faas.ProblemFor(err); faas.ErrorName(err) != faas.ErrInvalidEvent || p.Field != "data.service" || p.Status != 400 {
		t.Fatalf("%v %+v", err, p)
	}
	other := faastest.CompletedEvent("v2", faastest.RequestCompleted{Service: "s"})
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
	h := faas.Chain(faastest.Handler, middleware.Timeout(middleware.DefaultTimeoutMargin))
	_, err := h(ctx, faastest.CompletedEvent("t1", faastest.RequestCompleted{Service: "s", Operation: "slow"}))
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
	}, middleware.Timeout(time.Minute))
	if _, err := probe(ctx2, faastest.CompletedEvent("t2", faastest.RequestCompleted{})); err != nil {
		t.Fatal(err)
	}
	if !seen.Equal(far.Add(-time.Minute)) {
		t.Fatalf("handler deadline %v, want %v", seen, far.Add(-time.Minute))
	}
	// Named errors keep their name even when the deadline passed.
	named := faas.Chain(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
		return nil, &faas.Error{Name: "Saga.BusinessError", Err: context.DeadlineExceeded}
	}, middleware.Timeout(0))
	if _, err := named(ctx, faastest.CompletedEvent("t3", faastest.RequestCompleted{})); faas.ErrorName(err) != "Saga.BusinessError" {
		t.Fatalf("%v", err)
	}
}

func TestTracing(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(telemetry.MaskingProcessor(spans)))
	h := faas.Chain(faastest.Handler, middleware.Tracing(tp), middleware.Logging(faastest.QuietLogger()))
	ev := faastest.CompletedEvent("tr1", faastest.RequestCompleted{Service: "s", Operation: "op"})
	ev.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	ev.SetExtension(faas.CorrelationExtension, "saga-7")
	reply, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	bad := faastest.CompletedEvent("tr2", faastest.RequestCompleted{Service: "s", Operation: "business"})
	if _, err := h(context.Background(), bad); err == nil {
		t.Fatal("want error")
	}
	ended := spans.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans", len(ended))
	}
	s := ended[0]
	if s.Name() != "process "+faastest.CompletedType || s.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Fatalf("span %s parent %v", s.Name(), s.Parent())
	}
	want := map[attribute.Key]string{middleware.AttrEventType: faastest.CompletedType, middleware.AttrEventSource: "/gateway", middleware.AttrEventID: "tr1", middleware.AttrCorrelationID: "saga-7"}
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
		found = found || kv.Key == middleware.AttrErrorType && kv.Value.AsString() == "Saga.BusinessError"
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
	mws := adapter.Defaults(adapter.WithLogger(faastest.QuietLogger()), adapter.WithMiddleware(mark("idempotency"), mark("chaos")))
	if len(mws) != 5 { // Logging, Recover, Timeout + 2 extra (no tracer, no validator)
		t.Fatalf("%d middleware", len(mws))
	}
	h := faas.Chain(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { panic("x") }, mws...)
	_, err := h(context.Background(), faastest.CompletedEvent("d1", faastest.RequestCompleted{}))
	if faas.ErrorName(err) != faas.ErrPanic || strings.Join(order, ",") != "idempotency,chaos" {
		t.Fatalf("%v %v", err, order)
	}
}

// funcValidator is a validator whose dynamic type cannot be compared.
type funcValidator func(cloudevents.Event) error

func (f funcValidator) Validate(ev cloudevents.Event) error { return f(ev) }

// Validate marks the context of the event it lets through, for that event
// and validator only, so a handler that validates by itself can skip a
// second check without skipping a check of anything else.
func TestValidated(t *testing.T) {
	v := faastest.Validator{}
	ev := faastest.CompletedEvent("m1", faastest.RequestCompleted{Service: "s"})
	clone := ev.Clone()
	changed := ev
	changed.DataEncoded = []byte(`{"service":"t"}`)
	var got context.Context
	h := faas.Chain(func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
		got = ctx
		return nil, nil
	}, middleware.Validate(v))
	if _, err := h(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	fv := funcValidator(func(cloudevents.Event) error { return nil })
	tests := []struct {
		name string
		ctx  context.Context
		v    middleware.Validator
		ev   cloudevents.Event
		want bool
	}{
		{"the event Validate passed", got, v, ev, true},
		{"a copy of its Event value", got, v, func() cloudevents.Event { c := ev; return c }(), true},
		{"a clone", got, v, clone, false},
		{"other data", got, v, changed, false},
		{"another event", got, v, faastest.CompletedEvent("m2", faastest.RequestCompleted{Service: "s"}), false},
		{"another validator type", got, fv, ev, false},
		{"nil validator", got, nil, ev, false},
		{"unmarked", context.Background(), v, ev, false},
		{"uncomparable validator", middleware.WithValidated(context.Background(), fv, ev), fv, ev, false},
		{"one of a marked batch", middleware.WithValidated(context.Background(), v, clone, ev), v, ev, true},
		{"marked with no events", middleware.WithValidated(context.Background(), v), v, ev, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g := middleware.Validated(tt.ctx, tt.v, tt.ev); g != tt.want {
				t.Errorf("Validated = %v, want %v", g, tt.want)
			}
		})
	}
}
