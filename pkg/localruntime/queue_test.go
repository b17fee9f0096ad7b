package localruntime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// storedMessages reads function fn's queue as stored.
func storedMessages(t *testing.T, st store.Store, fn string) []message {
	t.Helper()
	items, err := st.Query(context.Background(), queuePartition(fn), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]message, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it.Value, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestReceiveCountedBeforeHandler: the receive count and the visibility
// deadline are in the store while the handler runs, so a process killed
// mid-handler has counted the receive.
func TestReceiveCountedBeforeHandler(t *testing.T) {
	running := make(chan struct{})
	release := make(chan struct{})
	h := start(t, nil, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, VisibilityTimeoutSeconds: 45}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			close(running)
			<-release
			return nil, nil
		}})
	if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e1")); err != nil {
		t.Fatal(err)
	}
	<-running
	ms := storedMessages(t, h.store, "f")
	if len(ms) != 1 || ms[0].Receives != 1 || !ms[0].VisibleAt.Equal(h.clock.Now().Add(45*time.Second)) {
		t.Fatalf("stored while handling: %+v", ms)
	}
	close(release)
	waitFor(t, "acknowledged", func() bool { return len(storedMessages(t, h.store, "f")) == 0 })
}

// TestVisibilityTimeoutFreesHungWorkers: handlers that never return do not
// stall the queue: when the visibility timeout ends their context is
// cancelled, the worker moves on and the event is delivered again.
func TestVisibilityTimeoutFreesHungWorkers(t *testing.T) {
	hang := make(chan struct{})
	var mu sync.Mutex
	causes := map[string][]error{}
	receives := map[string]int{}
	fn := faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, VisibilityTimeoutSeconds: 10}},
		Handler: func(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			mu.Lock()
			receives[e.ID()]++
			first := receives[e.ID()] == 1
			mu.Unlock()
			if first && strings.HasPrefix(e.ID(), "hung") {
				select { // ignores its context until the test ends, like a stuck call
				case <-hang:
				case <-ctx.Done():
					mu.Lock()
					causes[e.ID()] = append(causes[e.ID()], context.Cause(ctx))
					mu.Unlock()
					<-hang
				}
			}
			return nil, nil
		}}
	h := start(t, nil, fn) // two workers
	// Registered after start, so it runs before the runtime stops: a stop
	// waits for handlers, and these ignore their context.
	t.Cleanup(func() { close(hang) })
	for _, id := range []string{"hung1", "hung2", "next"} {
		if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", id)); err != nil {
			t.Fatal(err)
		}
	}
	// Both handlers started: both visibility deadlines are set (at the same
	// fake instant, so behind one clock timer).
	waitFor(t, "both workers hung", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return receives["hung1"] == 1 && receives["hung2"] == 1 && h.clock.Waiters() == 1
	})
	h.clock.Advance(9 * time.Second)
	mu.Lock()
	if receives["next"] != 0 {
		t.Fatal("a third event was delivered while both workers were busy")
	}
	mu.Unlock()
	h.clock.Advance(time.Second)
	waitFor(t, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return receives["next"] == 1 && receives["hung1"] == 2 && receives["hung2"] == 2 && len(causes) == 2
	})
	waitFor(t, "queue drained", func() bool { return h.idle() && len(storedMessages(t, h.store, "f")) == 0 })
	mu.Lock()
	for id, c := range causes {
		if len(c) != 1 || !errors.Is(c[0], errVisibilityExpired) {
			t.Errorf("%s: context cancelled with %v, want the visibility timeout", id, c)
		}
	}
	mu.Unlock()
	st, _ := h.rt.Stats(context.Background())
	if st[0].Failed != 2 || st[0].Delivered != 3 || st[0].VisibilityTimeoutSeconds != 10 {
		t.Errorf("stats %+v", st[0])
	}
}

// TestRecoveryHonoursReceivesAndVisibility: what a previous run left in the
// store is received as SQS would: a message received MaxReceives times
// without an outcome goes to the dead letters unhandled, one still in its
// visibility timeout waits for its end, one released on shutdown comes at
// once.
func TestRecoveryHonoursReceivesAndVisibility(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // the harness clock's start
	st := memory.New(memory.Config{})
	put := func(m message) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(context.Background(), store.Item{Key: store.Key{Partition: queuePartition("f"), Sort: m.ID}, Value: b}, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	put(message{ID: "1", Event: testEvent(t, "t", "exhausted"), Receives: 3, VisibleAt: t0.Add(-time.Minute)})
	put(message{ID: "2", Event: testEvent(t, "t", "invisible"), Receives: 1, VisibleAt: t0.Add(20 * time.Second)})
	put(message{ID: "3", Event: testEvent(t, "t", "released"), Receives: 1})
	var mu sync.Mutex
	var got []string
	h := start(t, st, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 3}},
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			mu.Lock()
			got = append(got, e.ID())
			mu.Unlock()
			return nil, nil
		}})
	waitFor(t, "first deliveries", func() bool {
		d, _ := h.rt.DeadLetters(context.Background(), "f")
		mu.Lock()
		defer mu.Unlock()
		return len(d) == 1 && len(got) == 1 && h.idle() && h.clock.Waiters() == 1
	})
	d, _ := h.rt.DeadLetters(context.Background(), "f")
	if d[0].Event.ID() != "exhausted" || d[0].LastErrorType != ErrNotAcknowledged || d[0].Receives != 3 {
		t.Errorf("dead letter %+v", d[0])
	}
	h.clock.Advance(20 * time.Second)
	waitFor(t, "the invisible one, once visible", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	if got[0] != "released" || got[1] != "invisible" {
		t.Errorf("delivered %v", got)
	}
	mu.Unlock()
	if s, err := h.rt.Stats(context.Background()); err != nil || s[0].DeadLetters != 1 {
		t.Errorf("stats %+v %v", s, err)
	}
}

// TestDeadLetterCountStartsFromExistingDeadLetters: a data directory written
// before the counter existed is counted once at start.
func TestDeadLetterCountStartsFromExistingDeadLetters(t *testing.T) {
	st := memory.New(memory.Config{})
	for _, id := range []string{"a", "b"} {
		b, _ := json.Marshal(DeadLetter{ID: id, Function: "f"})
		if _, err := st.Put(context.Background(), store.Item{Key: store.Key{Partition: dlqPartition("f"), Sort: id}, Value: b}, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	h := start(t, st, faas.Function{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }})
	waitFor(t, "count", func() bool { s, err := h.rt.Stats(context.Background()); return err == nil && s[0].DeadLetters == 2 })
}

// TestTimersWithoutGoroutines: many delayed redeliveries wait in the
// queue's index behind one clock timer, not a goroutine or timer each.
func TestTimersWithoutGoroutines(t *testing.T) {
	var calls atomic.Int32
	h := start(t, nil, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			calls.Add(1)
			return nil, errors.New("down")
		}})
	const n = 50
	for i := range n {
		if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e"+strings.Repeat("x", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "first receives", func() bool { return calls.Load() == n && h.idle() })
	if w := h.clock.Waiters(); w != 1 {
		t.Fatalf("%d clock waiters for %d delayed messages, want 1", w, n)
	}
	st, _ := h.rt.Stats(context.Background())
	if st[0].Pending != n {
		t.Errorf("pending %d, want %d", st[0].Pending, n)
	}
	h.clock.Advance(time.Second)
	waitFor(t, "second receives", func() bool { return calls.Load() == 2*n })
}

func TestQueueConfigErrors(t *testing.T) {
	h := func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	_, err := New(Config{Store: memory.New(memory.Config{}), HTTPHandler: plainHTTP, VisibilityTimeout: -time.Second,
		Functions: []faas.Function{{Name: "a", Handler: h, Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, VisibilityTimeoutSeconds: 43201, MaxReceives: -1}}}}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"visibilityTimeoutSeconds 43201", "maxReceives -1", "VisibilityTimeout -1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestSweepsExpiredItems: the runtime sweeps an embedded store's expired
// items every SweepInterval on its clock.
func TestSweepsExpiredItems(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clock.Now})
	ctx := context.Background()
	for i, ttl := range []time.Duration{time.Minute, 20 * time.Minute, 0} {
		it := store.Item{Key: store.Key{Partition: "p", Sort: string(rune('a' + i))}, Value: []byte("v")}
		if ttl > 0 {
			it.ExpiresAt = clock.Now().Add(ttl)
		}
		if _, err := st.Put(ctx, it, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := New(Config{Functions: []faas.Function{{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }}},
		Store: st, HTTPHandler: plainHTTP, Clock: clock, Logger: quietLogger(), SweepInterval: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = rt.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	// At 10 minutes the first is gone, at 20 the second; the third and the
	// runtime's own items stay.
	for range 2 {
		waitFor(t, "sweeper waiting", func() bool { return clock.Waiters() == 1 })
		before := st.Len()
		clock.Advance(10 * time.Minute)
		waitFor(t, "sweep", func() bool { return st.Len() == before-1 })
	}
	if _, err := st.Get(ctx, store.Key{Partition: "p", Sort: "c"}); err != nil {
		t.Errorf("the item without expiry: %v", err)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestStopWhileStarting: a runtime stopped while it recovers its queues
// stops cleanly instead of reporting the store's context error.
func TestStopWhileStarting(t *testing.T) {
	rt, err := New(Config{Functions: []faas.Function{{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }}},
		Store: memory.New(memory.Config{}), HTTPHandler: plainHTTP, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rt.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}
