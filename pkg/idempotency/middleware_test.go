package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func newEvent(t *testing.T, id string, data any) cloudevents.Event {
	t.Helper()
	ev := cloudevents.NewEvent()
	ev.SetID(id)
	ev.SetSource("urn:test:orders")
	ev.SetType("com.cogniforge.order.placed")
	if err := ev.SetData(cloudevents.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return ev
}

// replyHandler answers with an order.confirmed event, or no event for ids
// starting with "quiet", and counts its calls.
func replyHandler(calls *atomic.Int64) faas.Handler {
	return func(_ context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		n := calls.Add(1)
		if len(ev.ID()) >= 5 && ev.ID()[:5] == "quiet" {
			return nil, nil
		}
		reply := cloudevents.NewEvent()
		reply.SetID("reply-" + ev.ID())
		reply.SetSource("urn:test:orders")
		reply.SetType("com.cogniforge.order.confirmed")
		if err := reply.SetData(cloudevents.ApplicationJSON, map[string]int64{"run": n}); err != nil {
			return nil, err
		}
		return &reply, nil
	}
}

func eventJSON(t *testing.T, ev *cloudevents.Event) string {
	t.Helper()
	if ev == nil {
		return "null"
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testMiddleware(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	h := e.guard.Middleware(replyHandler(&calls))

	ev := newEvent(t, "e-1", map[string]string{"orderId": "o-1"})
	first, err := h(ctx, ev)
	if err != nil || first == nil {
		t.Fatalf("first = %v, %v", first, err)
	}
	again, err := h(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if eventJSON(t, again) != eventJSON(t, first) {
		t.Fatalf("replayed reply\n%s\nwant\n%s", eventJSON(t, again), eventJSON(t, first))
	}
	// No reply is replayed as no reply.
	quiet := newEvent(t, "quiet-1", map[string]string{"orderId": "o-2"})
	for range 2 {
		if r, err := h(ctx, quiet); err != nil || r != nil {
			t.Fatalf("quiet = %v, %v; want nil, nil", r, err)
		}
	}
	// Another id is another key.
	if _, err := h(ctx, newEvent(t, "e-2", map[string]string{"orderId": "o-1"})); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("handler ran %d times, want 3", calls.Load())
	}
}

func TestMiddlewareKeyPath(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		requireKey bool
		event      any
		wantCalls  int64
		wantErr    string // error name
	}{
		{"same key in data, different ids", false, map[string]any{"orderId": "o-1"}, 1, ""},
		{"numeric key", false, map[string]any{"orderId": 17}, 1, ""},
		{"missing key runs unguarded", false, map[string]any{"other": 1}, 2, ""},
		{"missing key required", true, map[string]any{"other": 1}, 0, idempotency.NameKeyMissing},
		{"null key required", true, map[string]any{"orderId": nil}, 0, idempotency.NameKeyMissing},
		{"data not JSON", false, "not json", 0, faas.ErrInvalidEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mw, err := idempotency.Middleware(idempotency.Config{Store: memory.New(memory.Config{}), KeyPath: "$.orderId", RequireKey: tc.requireKey})
			if err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int64
			h := mw(replyHandler(&calls))
			var lastErr error
			for _, id := range []string{"e-1", "e-2"} {
				ev := newEvent(t, id, tc.event)
				if s, ok := tc.event.(string); ok {
					ev.SetData("text/plain", []byte(s))
				}
				_, lastErr = h(ctx, ev)
			}
			if tc.wantErr == "" && lastErr != nil {
				t.Fatalf("err = %v", lastErr)
			}
			if tc.wantErr != "" && faas.ErrorName(lastErr) != tc.wantErr {
				t.Fatalf("err = %v (name %q), want name %q", lastErr, faas.ErrorName(lastErr), tc.wantErr)
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("handler ran %d times, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}

func TestMiddlewareHandlerErrorReleases(t *testing.T) {
	mw, err := idempotency.Middleware(idempotency.Config{Store: memory.New(memory.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	fail := true
	h := mw(func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		calls.Add(1)
		if fail {
			return nil, faas.Errorf("Orders.Declined", "card declined")
		}
		return nil, nil
	})
	ev := newEvent(t, "e-1", map[string]string{})
	if _, err := h(context.Background(), ev); faas.ErrorName(err) != "Orders.Declined" {
		t.Fatalf("err = %v, want the handler's named error", err)
	}
	fail = false
	if _, err := h(context.Background(), ev); err != nil || calls.Load() != 2 {
		t.Fatalf("retry: %v, calls %d", err, calls.Load())
	}
}

// failingStore fails every call, as an unreachable DynamoDB would.
type failingStore struct{ store.Store }

var errDown = errors.New("store down")

func (failingStore) Put(context.Context, store.Item, store.Condition) (store.Item, error) {
	return store.Item{}, errDown
}

func TestStoreFailureIsPersistenceError(t *testing.T) {
	g, err := idempotency.New(idempotency.Config{Store: failingStore{}})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	_, err = idempotency.Do(context.Background(), g, "k", nil, counted(&calls, order{}))
	if !errors.Is(err, idempotency.ErrPersistence) || !errors.Is(err, errDown) || faas.ErrorName(err) != idempotency.NamePersistence {
		t.Fatalf("err = %v, want ErrPersistence wrapping the store error", err)
	}
	if calls.Load() != 0 {
		t.Fatal("function ran without a record")
	}
}

func TestCancelledContext(t *testing.T) {
	g, _ := idempotency.New(idempotency.Config{Store: memory.New(memory.Config{})})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	if _, err := idempotency.Do(ctx, g, "k", nil, counted(&calls, order{})); !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Fatalf("err = %v, calls %d", err, calls.Load())
	}
}

func TestConfigValidate(t *testing.T) {
	err := idempotency.Config{KeyPath: "orderId", ExpiresAfter: -1, MaxInProgress: -1}.Validate()
	for _, want := range []string{"Store", "key path", "ExpiresAfter", "MaxInProgress"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %v does not mention %s", err, want)
		}
	}
	if _, err := idempotency.New(idempotency.Config{}); err == nil {
		t.Fatal("New accepted an empty config")
	}
}

func TestMiddlewarePayloadPath(t *testing.T) {
	mw, err := idempotency.Middleware(idempotency.Config{Store: memory.New(memory.Config{}), KeyPath: "$.orderId", PayloadPath: "$.order"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	h := mw(replyHandler(&calls))
	ctx := context.Background()
	send := func(id string, total int, sentAt string) error {
		_, err := h(ctx, newEvent(t, id, map[string]any{"orderId": "o-1", "sentAt": sentAt, "order": map[string]int{"total": total}}))
		return err
	}
	if err := send("e-1", 10, "t1"); err != nil {
		t.Fatal(err)
	}
	// Redelivery with a new timestamp outside the compared part: a duplicate.
	if err := send("e-2", 10, "t2"); err != nil || calls.Load() != 1 {
		t.Fatalf("redelivery: %v, calls %d", err, calls.Load())
	}
	// Same key, different order: a reused key.
	if err := send("e-3", 11, "t3"); !errors.Is(err, idempotency.ErrPayloadMismatch) {
		t.Fatalf("changed order err = %v, want ErrPayloadMismatch", err)
	}
	if err := (idempotency.Config{Store: memory.New(memory.Config{}), PayloadPath: "order"}).Validate(); err == nil {
		t.Fatal("bad PayloadPath accepted")
	}
}
