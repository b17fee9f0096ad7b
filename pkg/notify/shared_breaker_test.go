package notify_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/resilience"
)

// Two escalator instances share one store: the failures one of them sees
// open the channel's breaker for both, so the second fails fast with
// Notify.CircuitOpen without a request; after the open timeout a probe
// goes out, and successful probes close it for both.
func TestSharedBreakerAcrossInstances(t *testing.T) {
	a := newFixture(t, nil)
	breaker := func(name string) *resilience.Breaker {
		b, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "notify." + name, Store: a.store, Now: a.clock.Now,
			Settings: resilience.BreakerSettings{FailureThreshold: 3, OpenTimeout: time.Minute, SuccessThreshold: 1, CacheTTL: time.Nanosecond}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	instance := func() *notify.Notifier {
		n, err := notify.New(notify.Config{Store: a.store, Clock: a.clock, Jitter: func() float64 { return 0 }, MaxAttempts: 10,
			Breakers: func(ch string) *resilience.Breaker { return breaker(ch) }})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	one, two := instance(), instance()
	healthy := false
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
		if healthy {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	hook := webhookChannel(t, "hook", srv.URL, a.clock.Now)

	r, err := one.Deliver(context.Background(), hook, message())
	if !errors.Is(err, notify.ErrCircuitOpen) || r.Attempts != 3 {
		t.Fatalf("instance one: %+v, %v; want circuit open after 3 attempts", r, err)
	}
	sent := srv.count.Load()
	next := message()
	next.Key = notify.MessageKey("INC-43", 1, "alice", "hook", notify.ActionTrigger)
	r, err = two.Deliver(context.Background(), hook, next)
	if !errors.Is(err, notify.ErrCircuitOpen) || r.Attempts != 0 || srv.count.Load() != sent {
		t.Fatalf("instance two: %+v, %v, %d requests; want circuit open at once, no request", r, err, srv.count.Load()-sent)
	}

	healthy = true
	a.clock.Advance(time.Minute)
	if r, err := two.Deliver(context.Background(), hook, next); err != nil || r.Status != notify.StatusDelivered || r.Attempts != 1 {
		t.Fatalf("probe after the open timeout: %+v, %v; want delivered in one attempt", r, err)
	}
	third := message()
	third.Key = notify.MessageKey("INC-44", 1, "alice", "hook", notify.ActionTrigger)
	if r, err := one.Deliver(context.Background(), hook, third); err != nil || r.Status != notify.StatusDelivered {
		t.Fatalf("instance one after the probe closed the breaker: %+v, %v", r, err)
	}
}
