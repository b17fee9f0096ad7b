package notify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// The proof's endpoint that fails three times then succeeds: delivered on
// the fourth attempt, after backoff waits of 0.5s, 1s and 2s of virtual
// time (the jitter is pinned at its maximum), and the outcome recorded.
func TestFailsThreeTimesThenDelivers(t *testing.T) {
	f := newFixture(t, nil)
	srv := newServer(t, statuses(503, 503, 503, 200))
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)

	r, err := f.n.Deliver(context.Background(), ch, message())
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if r.Status != notify.StatusDelivered || r.Attempts != 4 || r.Elapsed != 3500*time.Millisecond {
		t.Errorf("result %+v, want delivered after 4 attempts in 3.5s", r)
	}
	if n := srv.count.Load(); n != 4 {
		t.Errorf("server got %d requests, want 4", n)
	}
	got := f.rec.all()
	if len(got) != 1 || got[0].Status != notify.StatusDelivered || got[0].Attempts != 4 || got[0].Channel != "hook" || got[0].Key != message().Key {
		t.Errorf("outcomes %+v, want one delivered after 4 attempts", got)
	}
	// Each retry is signed afresh, at its own time.
	if a, b := srv.heads[0].Get(notify.HeaderTimestamp), srv.heads[3].Get(notify.HeaderTimestamp); a == b {
		t.Errorf("first and fourth attempts share timestamp %s", a)
	}
}

func TestRetryPolicy(t *testing.T) {
	cases := []struct {
		name         string
		tune         func(*notify.Config)
		handler      func(int64, http.ResponseWriter, *http.Request, []byte)
		wantStatus   notify.Status
		wantAttempts int
		wantElapsed  time.Duration
		wantErr      error
	}{
		{
			name: "429 waits its Retry-After instead of the backoff",
			handler: func(n int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
				if n == 1 {
					w.Header().Set("Retry-After", "7")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.WriteHeader(http.StatusOK)
			},
			wantStatus: notify.StatusDelivered, wantAttempts: 2, wantElapsed: 7 * time.Second,
		},
		{
			name:       "a permanent refusal is not retried",
			handler:    statuses(http.StatusNotFound),
			wantStatus: notify.StatusFailed, wantAttempts: 1, wantErr: notify.ErrRejected,
		},
		{
			// Waits 0.5+1+2+4 = 7.5s; the next, 8s, would end past 10s.
			name:       "MaxElapsed stops before a wait that would end past it",
			tune:       func(c *notify.Config) { c.MaxElapsed = 10 * time.Second; c.MaxAttempts = 100 },
			handler:    statuses(http.StatusBadGateway),
			wantStatus: notify.StatusFailed, wantAttempts: 5, wantElapsed: 7500 * time.Millisecond, wantErr: notify.ErrUnavailable,
		},
		{
			name:       "MaxAttempts bounds the attempts",
			tune:       func(c *notify.Config) { c.MaxAttempts = 3 },
			handler:    statuses(http.StatusInternalServerError),
			wantStatus: notify.StatusFailed, wantAttempts: 3, wantElapsed: 1500 * time.Millisecond, wantErr: notify.ErrUnavailable,
		},
		{
			name: "Retry-After beyond MaxElapsed gives up at once",
			tune: func(c *notify.Config) { c.MaxElapsed = time.Minute },
			handler: func(_ int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(503)
			},
			wantStatus: notify.StatusFailed, wantAttempts: 1, wantErr: notify.ErrUnavailable,
		},
		{
			name:       "the waits are capped by MaxInterval",
			tune:       func(c *notify.Config) { c.MaxInterval = time.Second; c.MaxAttempts = 5 },
			handler:    statuses(503),
			wantStatus: notify.StatusFailed, wantAttempts: 5, wantElapsed: 3500 * time.Millisecond, wantErr: notify.ErrUnavailable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tune)
			srv := newServer(t, tc.handler)
			r, err := f.n.Deliver(context.Background(), webhookChannel(t, "hook", srv.URL, f.clock.Now), message())
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Deliver error %v, want %v", err, tc.wantErr)
			}
			if r.Status != tc.wantStatus || r.Attempts != tc.wantAttempts || r.Elapsed != tc.wantElapsed {
				t.Errorf("result %s after %d attempts in %s, want %s after %d in %s", r.Status, r.Attempts, r.Elapsed, tc.wantStatus, tc.wantAttempts, tc.wantElapsed)
			}
			if int(srv.count.Load()) != tc.wantAttempts {
				t.Errorf("server got %d requests, want %d", srv.count.Load(), tc.wantAttempts)
			}
			if out := f.rec.all(); len(out) != 1 || out[0].Status != tc.wantStatus || (tc.wantErr != nil) != (out[0].Error != "") {
				t.Errorf("outcomes %+v", out)
			}
		})
	}
}

// Full jitter: each wait is the drawn fraction of its exponential cap.
func TestFullJitter(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) { c.Jitter = func() float64 { return 0.25 }; c.MaxAttempts = 4 })
	srv := newServer(t, statuses(503))
	r, _ := f.n.Deliver(context.Background(), webhookChannel(t, "hook", srv.URL, f.clock.Now), message())
	if want := (500*time.Millisecond + time.Second + 2*time.Second) / 4; r.Elapsed != want {
		t.Errorf("elapsed %s, want a quarter of the caps, %s", r.Elapsed, want)
	}
}

// The proof's endpoint that never answers: every attempt times out, the
// breaker opens after BreakerFailures of them, the delivery ends with
// Notify.CircuitOpen, the next delivery on that channel fails fast without
// a request, and another channel (the next level) still pages.
func TestHangingEndpointOpensTheBreaker(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) {
		c.AttemptTimeout = 200 * time.Millisecond
		c.BreakerFailures = 3
		c.MaxAttempts = 10
	})
	hang := newServer(t, func(_ int64, _ http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() })
	dead := webhookChannel(t, "dead-hook", hang.URL, f.clock.Now)

	r, err := f.n.Deliver(context.Background(), dead, message())
	if !errors.Is(err, notify.ErrCircuitOpen) || r.Status != notify.StatusCircuitOpen || r.Attempts != 3 {
		t.Fatalf("first delivery: %+v, %v; want circuit open after 3 attempts", r, err)
	}
	if !strings.Contains(r.Error, "timed out") && !strings.Contains(r.Error, "deadline") {
		t.Errorf("error %q does not say the attempts timed out", r.Error)
	}
	if s := f.n.BreakerState("dead-hook"); s != "open" {
		t.Errorf("breaker %s, want open", s)
	}

	next := message()
	next.Key = notify.MessageKey("INC-43", 1, "alice", "dead-hook", notify.ActionTrigger)
	start := time.Now()
	r, err = f.n.Deliver(context.Background(), dead, next)
	var e *notify.Error
	if !errors.As(err, &e) || e.ErrorName() != "Notify.CircuitOpen" || r.Attempts != 0 || r.Status != notify.StatusCircuitOpen {
		t.Fatalf("second delivery: %+v, %v; want Notify.CircuitOpen without an attempt", r, err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("failing fast took %s", took)
	}

	okSrv := newServer(t, statuses(200))
	r, err = f.n.Deliver(context.Background(), webhookChannel(t, "next-level", okSrv.URL, f.clock.Now), next)
	if err != nil || r.Status != notify.StatusDelivered {
		t.Errorf("another channel: %+v, %v; want delivered", r, err)
	}

	hang.Close() // waits for the handlers, so the count is final
	if n := hang.count.Load(); n != 3 {
		t.Errorf("hanging server got %d requests, want 3", n)
	}
	var statuses []notify.Status
	for _, o := range f.rec.all() {
		statuses = append(statuses, o.Status)
	}
	if want := []notify.Status{notify.StatusCircuitOpen, notify.StatusCircuitOpen, notify.StatusDelivered}; !equal(statuses, want) {
		t.Errorf("outcomes %v, want %v", statuses, want)
	}
}

// Permanent refusals and abandoned attempts say nothing about a channel's
// health: they never open its breaker.
func TestBreakerIgnoresRefusalsAndCallerCancels(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) { c.BreakerFailures = 2 })
	srv := newServer(t, statuses(400))
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)
	for i := range 5 {
		m := message()
		m.Key = notify.MessageKey("INC", i, "a", "hook", "trigger")
		if _, err := f.n.Deliver(context.Background(), ch, m); !errors.Is(err, notify.ErrRejected) {
			t.Fatalf("delivery %d: %v, want rejected", i, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 3 {
		m := message()
		m.Key = notify.MessageKey("INC", 10+i, "a", "hook", "trigger")
		if _, err := f.n.Deliver(ctx, ch, m); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled delivery: %v, want context.Canceled", err)
		}
	}
	if s := f.n.BreakerState("hook"); s != "closed" {
		t.Errorf("breaker %s, want closed", s)
	}
}

// A redelivered message (same Key) is not sent twice; a new key is.
func TestSameKeyIsSentOnce(t *testing.T) {
	f := newFixture(t, nil)
	srv := newServer(t, statuses(200))
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)
	m := message()
	for i := range 3 {
		r, err := f.n.Deliver(context.Background(), ch, m)
		want := notify.StatusDuplicate
		if i == 0 {
			want = notify.StatusDelivered
		}
		if err != nil || r.Status != want {
			t.Fatalf("delivery %d: %+v, %v; want %s", i, r, err, want)
		}
	}
	ack := m
	ack.Action = notify.ActionAcknowledge
	ack.Key = notify.MessageKey("INC-42", 1, "alice", "hook", notify.ActionAcknowledge)
	if r, err := f.n.Deliver(context.Background(), ch, ack); err != nil || r.Status != notify.StatusDelivered {
		t.Fatalf("ack: %+v, %v", r, err)
	}
	// The same key on another channel is another delivery.
	other := newServer(t, statuses(200))
	if r, _ := f.n.Deliver(context.Background(), webhookChannel(t, "hook2", other.URL, f.clock.Now), m); r.Status != notify.StatusDelivered {
		t.Errorf("other channel: %s", r.Status)
	}
	if n := srv.count.Load(); n != 2 {
		t.Errorf("server got %d requests, want 2 (trigger once, ack once)", n)
	}
	// The marker outlives the retries of an event but not MarkerTTL.
	f.clock.Advance(notify.DefaultMarkerTTL)
	if r, _ := f.n.Deliver(context.Background(), ch, m); r.Status != notify.StatusDelivered {
		t.Errorf("after MarkerTTL: %s, want delivered again", r.Status)
	}
}

// Concurrent deliveries of one key: the lease lets exactly one send.
func TestConcurrentDeliveriesOfOneKeySendOnce(t *testing.T) {
	f := newFixture(t, nil)
	release := make(chan struct{})
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
		<-release // hold the first send until every delivery has tried
		w.WriteHeader(http.StatusOK)
	})
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)
	const n = 8
	var wg sync.WaitGroup
	results := make([]notify.Result, n)
	errs := make([]error, n)
	var started sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			results[i], errs[i] = f.n.Deliver(context.Background(), ch, message())
		}()
	}
	started.Wait()
	// Every delivery but the sender ends without the server; wait for the
	// seven outcomes, then let the send finish.
	f.rec.wait(t, n-1)
	close(release)
	wg.Wait()
	count := map[notify.Status]int{}
	for i, r := range results {
		count[r.Status]++
		if r.Status == notify.StatusInProgress && !errors.Is(errs[i], notify.ErrInProgress) {
			t.Errorf("in-progress delivery returned %v", errs[i])
		}
	}
	if count[notify.StatusDelivered] != 1 || count[notify.StatusInProgress]+count[notify.StatusDuplicate] != n-1 {
		t.Errorf("statuses %v, want one delivered", count)
	}
	if c := srv.count.Load(); c != 1 {
		t.Errorf("server got %d requests, want 1", c)
	}
}

// At least once: a delivery that died after taking its lease (a crash
// between send and marker) blocks redeliveries until the lease expires;
// then the message is sent again.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) { c.LeaseFor = 5 * time.Minute })
	srv := newServer(t, statuses(200))
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)
	m := message()
	// The lease a crashed instance left behind.
	if _, err := f.store.Put(context.Background(), store.Item{Key: store.Key{Partition: "notify", Sort: "lease#hook#" + m.Key},
		Value: []byte("crashed"), ExpiresAt: t0.Add(5 * time.Minute)}, store.Condition{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.n.Deliver(context.Background(), ch, m); r.Status != notify.StatusInProgress || !errors.Is(err, notify.ErrInProgress) || !notify.Retryable(err) {
		t.Fatalf("under a live lease: %+v, %v", r, err)
	}
	f.clock.Advance(5 * time.Minute)
	if r, err := f.n.Deliver(context.Background(), ch, m); r.Status != notify.StatusDelivered || err != nil {
		t.Fatalf("after the lease expired: %+v, %v", r, err)
	}
	if c := srv.count.Load(); c != 1 {
		t.Errorf("server got %d requests, want 1", c)
	}
}

// failingStore fails every Get.
type failingStore struct{ store.Store }

func (failingStore) Get(context.Context, store.Key) (store.Item, error) {
	return store.Item{}, errors.New("dynamodb: throttled")
}

func TestStoreFailureSendsNothing(t *testing.T) {
	f := newFixture(t, nil)
	n, err := notify.New(notify.Config{Store: failingStore{f.store}, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, statuses(200))
	r, err := n.Deliver(context.Background(), webhookChannel(t, "hook", srv.URL, f.clock.Now), message())
	if !errors.Is(err, notify.ErrStore) || !notify.Retryable(err) || r.Status != notify.StatusFailed || !strings.Contains(err.Error(), "channel hook") {
		t.Errorf("%+v, %v; want a retryable Notify.StoreError", r, err)
	}
	if srv.count.Load() != 0 {
		t.Error("sent without knowing whether it was sent before")
	}
}

func TestInvalidMessageIsReported(t *testing.T) {
	f := newFixture(t, nil)
	srv := newServer(t, statuses(200))
	m := message()
	m.Severity = "urgent"
	r, err := f.n.Deliver(context.Background(), webhookChannel(t, "hook", srv.URL, f.clock.Now), m)
	if !errors.Is(err, notify.ErrInvalidMessage) || r.Status != notify.StatusInvalid || r.ErrorName != notify.NameInvalidMessage || !strings.Contains(r.Error, "severity") {
		t.Errorf("%+v, %v", r, err)
	}
	if srv.count.Load() != 0 || len(f.rec.all()) != 1 {
		t.Errorf("sent %d, outcomes %d", srv.count.Load(), len(f.rec.all()))
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  notify.Config
		want []string
	}{
		{"no store", notify.Config{}, []string{"Store is required"}},
		{"short lease", notify.Config{Store: failingStore{}, LeaseFor: time.Minute}, []string{"LeaseFor 1m0s must exceed"}},
		{"negatives", notify.Config{Store: failingStore{}, MaxElapsed: -1, MaxAttempts: -1}, []string{"MaxElapsed -1ns is negative", "MaxAttempts -1"}},
		{"intervals", notify.Config{Store: failingStore{}, InitialInterval: time.Minute, MaxInterval: time.Second}, []string{"MaxInterval 1s is below"}},
	}
	for _, tc := range cases {
		_, err := notify.New(tc.cfg)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: New = %v, want it to say %q", tc.name, err, w)
			}
		}
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// After BreakerOpenFor the breaker lets one trial through; its success
// closes the breaker again. (gobreaker keeps time on the wall clock, so
// this test waits a real 50ms for the state to change.)
func TestBreakerClosesAfterASuccessfulTrial(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) {
		c.BreakerFailures = 2
		c.BreakerOpenFor = 50 * time.Millisecond
		c.MaxAttempts = 5
	})
	srv := newServer(t, statuses(503, 503, 200))
	ch := webhookChannel(t, "hook", srv.URL, f.clock.Now)
	if _, err := f.n.Deliver(context.Background(), ch, message()); !errors.Is(err, notify.ErrCircuitOpen) {
		t.Fatalf("first delivery: %v, want circuit open", err)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for f.n.BreakerState("hook") != "half-open" {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatal("breaker never became half-open")
		}
	}
	r, err := f.n.Deliver(context.Background(), ch, message())
	if err != nil || r.Status != notify.StatusDelivered || r.Attempts != 1 {
		t.Fatalf("trial delivery: %+v, %v", r, err)
	}
	if s := f.n.BreakerState("hook"); s != "closed" {
		t.Errorf("breaker %s after a successful trial, want closed", s)
	}
}

// A backoff wait longer than what is left of the invocation is not
// started: the delivery ends with the channel's error at once.
func TestDeadlineShorterThanTheWait(t *testing.T) {
	f := newFixture(t, func(c *notify.Config) {
		c.InitialInterval = time.Hour
		c.MaxInterval = time.Hour
		c.MaxElapsed = 2 * time.Hour
	})
	srv := newServer(t, statuses(503))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := f.n.Deliver(ctx, webhookChannel(t, "hook", srv.URL, f.clock.Now), message())
	if !errors.Is(err, notify.ErrUnavailable) || r.Attempts != 1 || r.Elapsed != 0 {
		t.Errorf("%+v, %v; want Notify.Unavailable after one attempt and no wait", r, err)
	}
}

// A "#" in a channel name cannot make two channels share a marker.
func TestChannelNamesAreEscapedInKeys(t *testing.T) {
	f := newFixture(t, nil)
	srv := newServer(t, statuses(200))
	a, b := message(), message()
	a.Key, b.Key = "b#k", "k"
	if r, _ := f.n.Deliver(context.Background(), webhookChannel(t, "a", srv.URL, f.clock.Now), a); r.Status != notify.StatusDelivered {
		t.Fatal(r.Status)
	}
	if r, _ := f.n.Deliver(context.Background(), webhookChannel(t, "a#b", srv.URL, f.clock.Now), b); r.Status != notify.StatusDelivered {
		t.Errorf("channel a#b, key k: %s, want delivered", r.Status)
	}
}
