package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/events"
)

func TestNew(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 15, 4, 5, 0, time.FixedZone("CET", 3600))
	e, err := events.New(ctx, events.TypeSagaStarted, "cogniforge/test",
		events.SagaStarted{SagaID: "s-1", Saga: "place-order", Steps: []string{"a", "b"}},
		events.Subject("s-1"), events.Time(at))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(e); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(e.ID()) != 36 {
		t.Errorf("id %q is not a UUID", e.ID())
	}
	if got := e.Extensions()[events.ExtCorrelationID]; got != e.ID() {
		t.Errorf("correlationid = %v, want the id %s", got, e.ID())
	}
	if _, ok := e.Extensions()[events.ExtTraceParent]; ok {
		t.Error("traceparent set without a span in ctx")
	}
	if !e.Time().Equal(at) || e.Time().Location() != time.UTC {
		t.Errorf("time = %v, want %v in UTC", e.Time(), at)
	}
	if e.Subject() != "s-1" || e.DataContentType() != events.ContentTypeJSON {
		t.Errorf("subject %q, content type %q", e.Subject(), e.DataContentType())
	}
	var data events.SagaStarted
	if err := e.DataAs(&data); err != nil || data.SagaID != "s-1" || len(data.Steps) != 2 {
		t.Errorf("data = %+v, %v", data, err)
	}
	other, _ := events.New(ctx, events.TypeSagaStarted, "cogniforge/test", events.SagaStarted{SagaID: "s", Saga: "x"})
	if other.ID() == e.ID() {
		t.Error("two events share an id")
	}
}

func TestNewCausedByAndTrace(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "produce")
	defer span.End()

	root, err := events.New(context.Background(), events.TypeSagaStarted, "s", json.RawMessage(`{"sagaId":"1","saga":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	root.SetExtension(events.ExtTraceParent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	child, err := events.New(context.Background(), events.TypeSagaStepSucceeded, "s",
		events.StepSucceeded{SagaID: "1", Step: "a", Attempt: 1}, events.CausedBy(root))
	if err != nil {
		t.Fatal(err)
	}
	grandchild, err := events.New(ctx, events.TypeSagaCompleted, "s", []byte(`{"sagaId":"1"}`), events.CausedBy(child))
	if err != nil {
		t.Fatal(err)
	}
	ext := func(e cloudevents.Event, k string) any { return e.Extensions()[k] }
	if ext(child, events.ExtCausationID) != root.ID() || ext(child, events.ExtCorrelationID) != root.ID() {
		t.Errorf("child causation %v correlation %v, want %s", ext(child, events.ExtCausationID), ext(child, events.ExtCorrelationID), root.ID())
	}
	if ext(child, events.ExtTraceParent) != ext(root, events.ExtTraceParent) {
		t.Errorf("child without a span did not inherit the parent's traceparent")
	}
	if ext(grandchild, events.ExtCausationID) != child.ID() || events.CorrelationID(grandchild) != root.ID() {
		t.Errorf("grandchild causation %v correlation %v", ext(grandchild, events.ExtCausationID), events.CorrelationID(grandchild))
	}
	want := fmt.Sprintf("00-%s-%s-01", span.SpanContext().TraceID(), span.SpanContext().SpanID())
	if got := ext(grandchild, events.ExtTraceParent); got != want {
		t.Errorf("traceparent = %v, want the span's %s", got, want)
	}
	back := events.ContextWithTraceParent(context.Background(), grandchild)
	if events.TraceParent(back) != want {
		t.Errorf("ContextWithTraceParent round trip = %q, want %q", events.TraceParent(back), want)
	}
	c := newCatalog(t)
	for _, e := range []cloudevents.Event{root, child, grandchild} {
		if err := c.Validate(e); err != nil {
			t.Errorf("%s: %v", e.Type(), err)
		}
	}
}

func TestNewRejectsBadData(t *testing.T) {
	if _, err := events.New(context.Background(), events.TypeSagaStarted, "s", []byte(`{`)); err == nil {
		t.Error("New accepted invalid JSON bytes")
	}
	if _, err := events.New(context.Background(), events.TypeSagaStarted, "s", func() {}); err == nil {
		t.Error("New accepted data that does not encode")
	}
	if _, err := events.New(context.Background(), events.TypeSagaStarted, "", []byte(`{}`)); err == nil ||
		!strings.Contains(err.Error(), "source") {
		t.Errorf("New without a source = %v", err)
	}
}

func Example() {
	catalog, err := events.NewCatalog()
	if err != nil {
		panic(err)
	}
	e, err := events.New(context.Background(), events.TypeRequestCompleted, "https://checkout.example.com",
		events.RequestCompleted{Service: "payments", Operation: "Charge", Status: events.StatusOK, DurationMs: 41})
	if err != nil {
		panic(err)
	}
	fmt.Println(catalog.Validate(e))

	bad, _ := events.New(context.Background(), events.TypeRequestCompleted, "https://checkout.example.com",
		map[string]any{"service": "payments", "operation": "Charge", "status": "fine", "durationMs": -1},
		events.ID("evt-1"))
	fmt.Println(catalog.Validate(bad))
	// Output:
	// <nil>
	// invalid event evt-1: data.durationMs: minimum: got -1, want 0; data.status: value must be one of 'ok', 'error'
}

func TestNewCarriesBaggage(t *testing.T) {
	m, _ := baggage.NewMember("tenant", "acme")
	b, _ := baggage.New(m)
	withBag := baggage.ContextWithBaggage(context.Background(), b)
	tests := []struct {
		name string
		ctx  context.Context
		opts []events.Option
		want any
	}{
		{"from ctx", withBag, nil, "tenant=acme"},
		{"from the parent when ctx has none", context.Background(), []events.Option{events.CausedBy(func() cloudevents.Event {
			p := cloudevents.NewEvent()
			p.SetID("p-1")
			p.SetExtension(events.ExtBaggage, "tenant=globex")
			return p
		}())}, "tenant=globex"},
		{"none", context.Background(), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := events.New(tc.ctx, events.TypeSagaStarted, "s", events.SagaStarted{SagaID: "1", Saga: "x"}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Extensions()[events.ExtBaggage]; got != tc.want {
				t.Fatalf("baggage extension %v, want %v", got, tc.want)
			}
			if err := newCatalog(t).Validate(e); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFillTraceContext(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	m, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(m)
	ctx, span := tp.Tracer("t").Start(baggage.ContextWithBaggage(context.Background(), bag), "gateway")
	defer span.End()
	ours := fmt.Sprintf("00-%s-%s-01", span.SpanContext().TraceID(), span.SpanContext().SpanID())
	const theirs = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name                string
		ctx                 context.Context
		set                 map[string]string
		wantParent, wantBag any
	}{
		{"bare event", ctx, nil, ours, "tenant=acme"},
		{"producer's traceparent kept", ctx, map[string]string{events.ExtTraceParent: theirs}, theirs, "tenant=acme"},
		{"producer's baggage kept", ctx, map[string]string{events.ExtBaggage: "tenant=globex"}, ours, "tenant=globex"},
		{"nothing in ctx", context.Background(), nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := cloudevents.NewEvent()
			for k, v := range tc.set {
				e.SetExtension(k, v)
			}
			events.FillTraceContext(tc.ctx, &e)
			if got := e.Extensions()[events.ExtTraceParent]; got != tc.wantParent {
				t.Errorf("traceparent %v, want %v", got, tc.wantParent)
			}
			if got := e.Extensions()[events.ExtBaggage]; got != tc.wantBag {
				t.Errorf("baggage %v, want %v", got, tc.wantBag)
			}
		})
	}
}

// New fills the event context directly when it is sure the event is valid
// and goes through the sdk's setters and Validate otherwise: either way it
// answers what the setters and Validate answer, the same event or the same
// error, for good and bad ids, types, sources, subjects and data.
func TestNewMatchesChecked(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	spanCtx, span := tp.Tracer("test").Start(context.Background(), "produce")
	defer span.End()
	member, _ := baggage.NewMemberRaw("tenant", "acme")
	bag, _ := baggage.New(member)
	parent, err := events.New(context.Background(), events.TypeSagaStarted, "s", json.RawMessage(`{"sagaId":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	parent.SetExtension(events.ExtCorrelationID, "flow-1")
	parent.SetExtension(events.ExtTraceParent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	parent.SetExtension(events.ExtBaggage, "k=v")
	at := events.Time(time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)))
	type payload struct {
		A string `json:"a"`
	}
	tests := []struct {
		name   string
		ctx    context.Context
		typ    string
		source string
		data   any
		opts   []events.Option
	}{
		{"struct", context.Background(), events.TypeSagaStarted, "cogniforge/x", payload{"<b>"}, nil},
		{"map", context.Background(), events.TypeSagaStarted, "https://a.example/x?q=1#f", map[string]int{"n": 1}, nil},
		{"raw", context.Background(), "t", "s", json.RawMessage(` {"a": 1} `), nil},
		{"bytes", context.Background(), "t", "s", []byte(`[1,2]`), nil},
		{"nil data", context.Background(), "t", "s", nil, nil},
		{"typed nil", context.Background(), "t", "s", (*payload)(nil), nil},
		{"caused by", context.Background(), "t", "s", payload{}, []events.Option{events.CausedBy(parent), events.Subject("saga-1")}},
		{"span and baggage", baggage.ContextWithBaggage(spanCtx, bag), "t", "s", payload{}, []events.Option{events.CausedBy(parent)}},
		{"blank subject", context.Background(), "t", "s", payload{}, []events.Option{events.Subject("  ")}},
		{"type with spaces", context.Background(), " t ", "s", payload{}, nil},
		{"blank type", context.Background(), "  ", "s", payload{}, nil},
		{"empty source", context.Background(), "t", "", payload{}, nil},
		{"fragment-only source", context.Background(), "t", "#", payload{}, nil},
		{"unparsable source", context.Background(), "t", "http://[::1", payload{}, nil},
		{"blank id", context.Background(), "t", "s", payload{}, []events.Option{events.ID("  ")}},
		{"bad raw data", context.Background(), "t", "s", json.RawMessage(`{`), nil},
		{"bad data and bad source", context.Background(), "t", "", []byte(`{`), nil},
		{"unencodable data", context.Background(), "t", "s", map[string]any{"f": func() {}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]events.Option{events.ID("id-1"), at}, tt.opts...)
			got, gotErr := events.New(tt.ctx, tt.typ, tt.source, tt.data, opts...)
			want, wantErr := events.NewChecked(tt.ctx, tt.typ, tt.source, tt.data, opts...)
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if gotErr != nil {
				return
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) || got.String() != want.String() || len(got.FieldErrors) != len(want.FieldErrors) || got.DataBase64 != want.DataBase64 {
				t.Errorf("event\n%s\nwant\n%s", gb, wb)
			}
		})
	}
}
