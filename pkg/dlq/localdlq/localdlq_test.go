package localdlq_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/dlq"
	"github.com/cogniforge/cogniforge/pkg/dlq/localdlq"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func event(id string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("//test")
	e.SetType("t")
	_ = e.SetData(cloudevents.ApplicationJSON, map[string]string{"id": id})
	return e
}

// consumer fails while down, then applies each event's effect once,
// guarded by pkg/idempotency; an event with id "bad-*" is invalid.
type consumer struct {
	mu      sync.Mutex
	down    bool
	effects map[string]int
}

func (c *consumer) effect(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.effects[id]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // deliveries run on the runtime's goroutines
	}
}

func TestLocalRedriveProcessedOnceAndPoisonStays(t *testing.T) {
	clk := localruntime.NewFakeClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clk.Now})
	c := &consumer{down: true, effects: map[string]int{}}
	guard, err := idempotency.New(idempotency.Config{Store: st, Namespace: "f", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := guard.Middleware(func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if strings.HasPrefix(e.ID(), "bad") {
			return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: "data: field n is required"}
		}
		if c.down {
			return nil, errors.New("downstream unavailable")
		}
		c.effects[e.ID()]++
		return nil, nil
	})
	fn := faas.Function{Name: "f", Handler: h, Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 1}}}
	rt, err := localruntime.New(localruntime.Config{Functions: []faas.Function{fn}, Store: st, Clock: clk,
		HTTPHandler: func(faas.Function) http.Handler { return http.NotFoundHandler() },
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rt.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for _, id := range []string{"e1", "bad-1", "e2"} {
		if err := rt.Enqueue(ctx, "f", event(id)); err != nil {
			t.Fatal(err)
		}
	}
	q := localdlq.New(rt, "f")
	waitFor(t, "dead letters", func() bool { ms, _ := q.List(ctx); return len(ms) == 3 })
	ms, _ := q.List(ctx)
	for _, m := range ms {
		if m.ReceiveCount != 1 || m.FirstFailure.IsZero() || m.Error == "" {
			t.Errorf("dead letter without its failure: %+v", m)
		}
		if m.Poison != (m.EventID == "bad-1") {
			t.Errorf("%s: poison %v (%s)", m.EventID, m.Poison, m.PoisonReason)
		}
	}
	if _, err := dlq.Retry(ctx, q, "bad-1", false); !errors.Is(err, dlq.ErrPoison) {
		t.Errorf("retry of a poison message: %v", err)
	}
	if _, err := dlq.Show(ctx, q, "nope"); !errors.Is(err, dlq.ErrNotFound) {
		t.Errorf("show unknown: %v", err)
	}

	c.mu.Lock()
	c.down = false
	c.mu.Unlock()
	rep, err := dlq.Redrive(ctx, q)
	if err != nil || len(rep.Redriven) != 2 || len(rep.Poison) != 1 || rep.Poison[0].EventID != "bad-1" {
		t.Fatalf("redrive %+v %v", rep, err)
	}
	waitFor(t, "redriven events processed", func() bool { return c.effect("e1") == 1 && c.effect("e2") == 1 })
	// The same event delivered again (a retry repeated after a crash
	// between enqueue and delete): the consumer deduplicates by event id.
	if err := rt.Enqueue(ctx, "f", event("e1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "duplicate handled", func() bool {
		st, _ := rt.Stats(ctx)
		return st[0].Delivered == 3
	})
	if c.effect("e1") != 1 || c.effect("e2") != 1 {
		t.Errorf("effects %v, want each once", c.effects)
	}
	ms, _ = q.List(ctx)
	if len(ms) != 1 || ms[0].EventID != "bad-1" || !ms[0].Poison {
		t.Errorf("left in the dead letters: %+v", ms)
	}
	if n, err := q.Purge(ctx); n != 1 || err != nil {
		t.Errorf("purge %d %v", n, err)
	}
}
