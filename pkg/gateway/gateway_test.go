package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/gateway"
)

// fakePublisher records every Publish call; fail decides each event's error.
type fakePublisher struct {
	mu    sync.Mutex
	calls [][]cloudevents.Event
	fail  func(e cloudevents.Event) error
	err   error // whole-call error
}

func (f *fakePublisher) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	f.mu.Lock()
	f.calls = append(f.calls, append([]cloudevents.Event(nil), evs...))
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := make([]error, len(evs))
	for i, e := range evs {
		if f.fail != nil {
			out[i] = f.fail(e)
		}
	}
	return out, nil
}

func (f *fakePublisher) published() []string {
	var ids []string
	for _, c := range f.calls {
		for _, e := range c {
			ids = append(ids, e.ID())
		}
	}
	return ids
}

var fixed = time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)

func newGateway(t *testing.T, pub bus.Publisher, ack bool) faas.Function {
	t.Helper()
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fn, err := gateway.New(gateway.Config{Publisher: pub, Catalog: catalog, Acknowledge: ack, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func request(t testing.TB, id string, durationMs any) cloudevents.Event {
	t.Helper()
	e, err := events.New(context.Background(), events.TypeRequestCompleted, "test/gateway",
		map[string]any{"service": "payments", "operation": "Charge", "status": "ok", "durationMs": durationMs},
		events.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestErrorNamesAgree(t *testing.T) {
	if events.ErrInvalidEvent != faas.ErrInvalidEvent {
		t.Fatalf("events.ErrInvalidEvent %q != faas.ErrInvalidEvent %q", events.ErrInvalidEvent, faas.ErrInvalidEvent)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := gateway.New(gateway.Config{GroupSize: -1})
	for _, want := range []string{"Publisher", "Catalog", "GroupSize"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(zero Config) = %v, want it to name %s", err, want)
		}
	}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		event     cloudevents.Event
		ack       bool
		fail      error
		wantName  string // error name; "" means success
		wantField string
		retryable bool
		published bool
	}{
		{name: "valid, acknowledged", event: request(t, "e1", 12), ack: true, published: true},
		{name: "valid, no reply", event: request(t, "e2", 12), published: true},
		{name: "invalid data", event: request(t, "e3", "slow"), wantName: faas.ErrInvalidEvent, wantField: "data.durationMs"},
		{name: "bus throttles", event: request(t, "e4", 1), fail: &eventbridge.EntryError{EventID: "e4", Code: "ThrottlingException"},
			wantName: gateway.ErrPublishFailed, retryable: true, published: true},
		{name: "bus refuses", event: request(t, "e5", 1), fail: &eventbridge.EntryError{EventID: "e5", Code: "MalformedDetail"},
			wantName: gateway.ErrPublishFailed, published: true},
		{name: "too large", event: request(t, "e6", 1), fail: fmt.Errorf("x: %w", eventbridge.ErrEventTooLarge),
			wantName: gateway.ErrPublishFailed, published: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{fail: func(cloudevents.Event) error { return tt.fail }}
			fn := newGateway(t, pub, tt.ack)
			reply, err := fn.Handler(context.Background(), tt.event)
			if got := len(pub.published()) == 1; got != tt.published {
				t.Errorf("published = %v, want %v", got, tt.published)
			}
			if tt.wantName == "" {
				if err != nil {
					t.Fatalf("Handler: %v", err)
				}
				if !tt.ack {
					if reply != nil {
						t.Errorf("reply = %v, want none", reply)
					}
					return
				}
				var data events.GatewayAccepted
				if reply == nil || reply.Type() != events.TypeGatewayAccepted || reply.DataAs(&data) != nil || data.EventID != tt.event.ID() {
					t.Fatalf("reply = %v, want an acknowledgement of %s", reply, tt.event.ID())
				}
				if reply.Extensions()[events.ExtCausationID] != tt.event.ID() || !reply.Time().Equal(fixed) {
					t.Errorf("acknowledgement %v is not caused by %s at %v", reply, tt.event.ID(), fixed)
				}
				return
			}
			var fe *faas.Error
			if !errors.As(err, &fe) || fe.Name != tt.wantName {
				t.Fatalf("err = %v, want a faas.Error named %s", err, tt.wantName)
			}
			if fe.Retryable != tt.retryable {
				t.Errorf("Retryable = %v, want %v", fe.Retryable, tt.retryable)
			}
			if tt.wantField != "" && !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("message %q does not name %s", err, tt.wantField)
			}
		})
	}
}

func TestHandlerPublisherDown(t *testing.T) {
	pub := &fakePublisher{err: errors.New("no route to bus")}
	_, err := newGateway(t, pub, false).Handler(context.Background(), request(t, "e1", 1))
	var fe *faas.Error
	if !errors.As(err, &fe) || fe.Name != gateway.ErrPublishFailed || !fe.Retryable || !strings.Contains(err.Error(), "no route") {
		t.Fatalf("err = %v", err)
	}
}

func TestBatch(t *testing.T) {
	// 25 events: 3 invalid (ids 04, 11, 20), the bus refuses id 15.
	var evs []cloudevents.Event
	invalid := map[int]bool{4: true, 11: true, 20: true}
	for i := 0; i < 25; i++ {
		var d any = i
		if invalid[i] {
			d = -1
		}
		evs = append(evs, request(t, fmt.Sprintf("e%02d", i), d))
	}
	pub := &fakePublisher{fail: func(e cloudevents.Event) error {
		if e.ID() == "e15" {
			return &eventbridge.EntryError{EventID: "e15", Code: "InternalFailure"}
		}
		return nil
	}}
	results := newGateway(t, pub, true).Batch(context.Background(), evs)
	if len(results) != len(evs) {
		t.Fatalf("%d results for %d events", len(results), len(evs))
	}
	if len(pub.calls) != 3 || len(pub.calls[0]) != 10 || len(pub.calls[1]) != 10 || len(pub.calls[2]) != 2 {
		t.Errorf("publish groups: %d calls", len(pub.calls))
	}
	for i, r := range results {
		switch {
		case invalid[i]:
			if faas.ErrorName(r.Err) != faas.ErrInvalidEvent || !strings.Contains(r.Err.Error(), "data.durationMs") {
				t.Errorf("event %d: %v, want InvalidEvent naming data.durationMs", i, r.Err)
			}
		case i == 15:
			var fe *faas.Error
			if !errors.As(r.Err, &fe) || fe.Name != gateway.ErrPublishFailed || !fe.Retryable {
				t.Errorf("event 15: %v, want a retryable PublishFailed", r.Err)
			}
		default:
			if r.Err != nil || r.Event == nil || r.Event.Extensions()[events.ExtCausationID] != evs[i].ID() {
				t.Errorf("event %d: %+v, want an acknowledgement", i, r)
			}
		}
	}
	for _, id := range pub.published() {
		if id == "e04" || id == "e11" || id == "e20" {
			t.Errorf("invalid event %s was published", id)
		}
	}

	pub = &fakePublisher{err: errors.New("down")}
	for i, r := range newGateway(t, pub, false).Batch(context.Background(), evs[:12]) {
		if invalid[i] {
			continue
		}
		if faas.ErrorName(r.Err) != gateway.ErrPublishFailed {
			t.Errorf("event %d with the bus down: %v", i, r.Err)
		}
	}
}

// putEventsCounter is an EventBridge client that accepts everything and
// counts calls.
type putEventsCounter struct {
	mu      sync.Mutex
	entries []int
}

func (c *putEventsCounter) PutEvents(_ context.Context, in *awseb.PutEventsInput, _ ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	c.mu.Lock()
	c.entries = append(c.entries, len(in.Entries))
	c.mu.Unlock()
	out := &awseb.PutEventsOutput{}
	for range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String("x")})
	}
	return out, nil
}

// TestBatchOverHTTPToEventBridge posts a cloudevents-batch of 25 through the
// faas HTTP adapter to the gateway on the EventBridge publisher: three
// PutEvents calls, one result per event.
func TestBatchOverHTTPToEventBridge(t *testing.T) {
	client := &putEventsCounter{}
	pub, err := eventbridge.New(eventbridge.Config{Client: client, EventBusName: "cogniforge"})
	if err != nil {
		t.Fatal(err)
	}
	fn := newGateway(t, pub, false)
	srv := httptest.NewServer(cehttp.NewHandler(fn, adapter.WithLogger(discardLogger())))
	defer srv.Close()

	var evs []cloudevents.Event
	for i := 0; i < 25; i++ {
		evs = append(evs, request(t, fmt.Sprintf("b%02d", i), i))
	}
	body, _ := json.Marshal(evs)
	resp, err := http.Post(srv.URL, "application/cloudevents-batch+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Results []cehttp.BatchResult `json:"results"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Results) != 25 {
		t.Fatalf("results %s: %v", b, err)
	}
	if fmt.Sprint(client.entries) != "[10 10 5]" {
		t.Errorf("PutEvents entries per call = %v, want [10 10 5]", client.entries)
	}
}

// TestInvalidEventOverHTTP checks what a producer sees: a 400 problem naming
// the field, and nothing published.
func TestInvalidEventOverHTTP(t *testing.T) {
	pub := &fakePublisher{}
	srv := httptest.NewServer(cehttp.NewHandler(newGateway(t, pub, true), adapter.WithLogger(discardLogger())))
	defer srv.Close()
	body, _ := json.Marshal(request(t, "bad-1", "slow"))
	resp, err := http.Post(srv.URL, "application/cloudevents+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p faas.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || p.ErrorType != faas.ErrInvalidEvent || p.Field != "data.durationMs" {
		t.Errorf("status %d problem %+v, want 400 InvalidEvent on data.durationMs", resp.StatusCode, p)
	}
	if len(pub.calls) != 0 {
		t.Error("an invalid event was published")
	}

	body, _ = json.Marshal(request(t, "good-1", 3))
	resp, err = http.Post(srv.URL, "application/cloudevents+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ack, err := events.Decode(b)
	if resp.StatusCode != http.StatusOK || err != nil || ack.Type() != events.TypeGatewayAccepted {
		t.Errorf("valid event: status %d, reply %s (%v)", resp.StatusCode, b, err)
	}
	if len(pub.calls) != 1 {
		t.Errorf("%d publish calls for one valid event", len(pub.calls))
	}
}

// nopPublisher accepts everything without work, so the benchmark measures
// the gateway itself (validation, acknowledgement).
type nopPublisher struct{}

func (nopPublisher) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	return make([]error, len(evs)), nil
}

func BenchmarkHandler(b *testing.B) {
	for _, ack := range []bool{false, true} {
		b.Run(fmt.Sprintf("ack=%v", ack), func(b *testing.B) {
			catalog, err := events.NewCatalog()
			if err != nil {
				b.Fatal(err)
			}
			fn, err := gateway.New(gateway.Config{Publisher: nopPublisher{}, Catalog: catalog, Acknowledge: ack})
			if err != nil {
				b.Fatal(err)
			}
			e := request(b, "bench-1", 12)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn.Handler(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A producer may leave out time and correlationid; the gateway forwards the
// event with the arrival time and its own id as correlation id, and keeps
// what the producer did set.
func TestCompletesEnvelope(t *testing.T) {
	pub := &fakePublisher{}
	fn := newGateway(t, pub, false)
	bare := request(t, "bare", 5)
	bare.Context.(*cloudevents.EventContextV1).Time = nil
	delete(bare.Context.(*cloudevents.EventContextV1).Extensions, events.ExtCorrelationID)
	kept := request(t, "kept", 5)
	kept.SetExtension(events.ExtCorrelationID, "order-7")
	for _, e := range []cloudevents.Event{bare, kept} {
		if _, err := fn.Handler(context.Background(), e); err != nil {
			t.Fatalf("%s: %v", e.ID(), err)
		}
	}
	got := pub.calls
	if len(got) != 2 {
		t.Fatalf("published %d calls", len(got))
	}
	if b := got[0][0]; !b.Time().Equal(fixed) || b.Extensions()[events.ExtCorrelationID] != "bare" {
		t.Errorf("bare event forwarded as time %v correlation %v", b.Time(), b.Extensions()[events.ExtCorrelationID])
	}
	if k := got[1][0]; k.Extensions()[events.ExtCorrelationID] != "order-7" || k.Time().Equal(fixed) {
		t.Errorf("producer's attributes overwritten: %v", k)
	}
}

// A producer behind an instrumented HTTP client sends W3C traceparent and
// baggage headers, not ce- extensions: the gateway forwards the event with
// its own span as parent and the request's baggage, and leaves a
// producer's own extensions alone.
func TestForwardsTraceContextAndBaggage(t *testing.T) {
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := &fakePublisher{}
	srv := httptest.NewServer(cehttp.NewHandler(newGateway(t, pub, false), adapter.WithLogger(discardLogger()), adapter.WithTracerProvider(tp)))
	defer srv.Close()
	own := request(t, "own", 1)
	own.SetExtension(events.ExtBaggage, "tenant=globex")
	for _, e := range []cloudevents.Event{request(t, "bare", 1), own} {
		body, _ := json.Marshal(e)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/cloudevents+json")
		req.Header.Set("Traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
		req.Header.Set("Baggage", "tenant=acme")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: status %d", e.ID(), resp.StatusCode)
		}
	}
	if len(pub.calls) != 2 {
		t.Fatalf("%d publish calls", len(pub.calls))
	}
	bare, kept := pub.calls[0][0], pub.calls[1][0]
	tp0, _ := bare.Extensions()[events.ExtTraceParent].(string)
	if !strings.HasPrefix(tp0, "00-"+callerTrace+"-") || strings.Contains(tp0, "00f067aa0ba902b7") {
		t.Errorf("forwarded traceparent %q, want the gateway's span in the caller's trace", tp0)
	}
	if got := bare.Extensions()[events.ExtBaggage]; got != "tenant=acme" {
		t.Errorf("forwarded baggage %v, want the request's", got)
	}
	if got := kept.Extensions()[events.ExtBaggage]; got != "tenant=globex" {
		t.Errorf("producer's baggage replaced: %v", got)
	}
}

// Invalid UTF-8 in an attribute or in the data would be replaced with
// U+FFFD on the way to the bus, so different bad ids would collapse into
// one: the gateway refuses each with a 400 naming the field, in binary and
// structured mode, and publishes nothing.
func TestInvalidUTF8IsRefused(t *testing.T) {
	pub := &fakePublisher{}
	srv := httptest.NewServer(cehttp.NewHandler(newGateway(t, pub, true), adapter.WithLogger(discardLogger())))
	defer srv.Close()
	binary := func(id, data string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(data))
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", id)
		req.Header.Set("Ce-Source", "//checkout")
		req.Header.Set("Ce-Type", events.TypeRequestCompleted)
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	good := `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`
	tests := []struct {
		name  string
		req   *http.Request
		field string
	}{
		{"id", binary("bad-\xff-1", good), "id"},
		{"another id", binary("bad-\xfe-1", good), "id"},
		{"data", binary("ok-1", `{"service":"check`+"\xff"+`out","operation":"POST /orders","status":"ok","durationMs":42}`), "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p faas.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || p.ErrorType != faas.ErrInvalidEvent || p.Field != tt.field {
				t.Errorf("status %d problem %+v, want 400 InvalidEvent on %s", resp.StatusCode, p, tt.field)
			}
		})
	}
	if len(pub.calls) != 0 {
		t.Errorf("%d publish calls; invalid UTF-8 must not reach the bus", len(pub.calls))
	}
	resp, err := http.DefaultClient.Do(binary("ok-2", good))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(pub.calls) != 1 {
		t.Errorf("valid event: status %d, %d publish calls", resp.StatusCode, len(pub.calls))
	}
}

// The gateway validates every event itself unless the Validate middleware
// already checked that same event against the same catalog: then it trusts
// the mark and does not check it again. An invalid event marked valid gets
// through, which is how the test sees the second check is gone; a mark for
// another event or another catalog does not count.
func TestValidatesOnce(t *testing.T) {
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	other, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	bad := request(t, "bad-1", "slow")
	tests := []struct {
		name  string
		ctx   context.Context
		valid bool
	}{
		{"unmarked", context.Background(), false},
		{"marked by the same catalog", middleware.WithValidated(context.Background(), catalog, bad), true},
		{"marked for another event", middleware.WithValidated(context.Background(), catalog, request(t, "good-1", 3)), false},
		{"marked by another catalog", middleware.WithValidated(context.Background(), other, bad), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{}
			fn, err := gateway.New(gateway.Config{Publisher: pub, Catalog: catalog, Now: func() time.Time { return fixed }})
			if err != nil {
				t.Fatal(err)
			}
			_, err = fn.Handler(tt.ctx, bad)
			if got := err == nil; got != tt.valid {
				t.Errorf("handler: err %v, want accepted %v", err, tt.valid)
			}
			res := fn.Batch(tt.ctx, []cloudevents.Event{bad, request(t, "bad-2", "slow")})
			if got := res[0].Err == nil; got != tt.valid {
				t.Errorf("batch: event 0 err %v, want accepted %v", res[0].Err, tt.valid)
			}
			if faas.ErrorName(res[1].Err) != faas.ErrInvalidEvent {
				t.Errorf("batch: unmarked event 1 err %v, want %s", res[1].Err, faas.ErrInvalidEvent)
			}
		})
	}
}

// Hosted alone or behind the Validate middleware with its own catalog (as
// `cogniforge run` and Lambda host it), the gateway answers an invalid event
// with the same 400 problem naming the field, and a valid one with its
// acknowledgement.
func TestInvalidEventOverHTTPHosts(t *testing.T) {
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts []adapter.Option
	}{
		{"alone", nil},
		{"behind Validate", []adapter.Option{adapter.WithValidator(catalog)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{}
			fn, err := gateway.New(gateway.Config{Publisher: pub, Catalog: catalog, Acknowledge: true, Now: func() time.Time { return fixed }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(cehttp.NewHandler(fn, append([]adapter.Option{adapter.WithLogger(discardLogger())}, tt.opts...)...))
			defer srv.Close()
			for _, c := range []struct {
				event  cloudevents.Event
				status int
				field  string
			}{
				{request(t, "bad-1", "slow"), http.StatusBadRequest, "data.durationMs"},
				{request(t, "good-1", 3), http.StatusOK, ""},
			} {
				body, _ := json.Marshal(c.event)
				resp, err := http.Post(srv.URL, "application/cloudevents+json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.status {
					t.Fatalf("%s: status %d, want %d: %s", c.event.ID(), resp.StatusCode, c.status, b)
				}
				if c.field == "" {
					if ack, err := events.Decode(b); err != nil || ack.Type() != events.TypeGatewayAccepted {
						t.Errorf("%s: reply %s (%v)", c.event.ID(), b, err)
					}
					continue
				}
				var p faas.Problem
				if err := json.Unmarshal(b, &p); err != nil || p.ErrorType != faas.ErrInvalidEvent || p.Field != c.field {
					t.Errorf("%s: problem %s (%v), want %s on %s", c.event.ID(), b, err, faas.ErrInvalidEvent, c.field)
				}
			}
			if got := pub.published(); len(got) != 1 || got[0] != "good-1" {
				t.Errorf("published %v, want [good-1]", got)
			}
		})
	}
}
