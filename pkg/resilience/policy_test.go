package resilience_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

var errDown = errors.New("downstream: connection reset")

// maxJitter draws the top of the range: backoffs are deterministic.
func maxJitter(n int64) int64 { return n - 1 }

func newPolicy(t *testing.T, fake *clock.Fake, cfg resilience.PolicyConfig) *resilience.Policy {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "payments-api"
	}
	cfg.Clock, cfg.Rand = fake, maxJitter
	p, err := resilience.NewPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// failing returns fn failing with err its first n calls, then succeeding,
// and a count of its calls.
func failing(n int, err error) (func(context.Context) (string, error), *atomic.Int64) {
	var calls atomic.Int64
	return func(context.Context) (string, error) {
		if calls.Add(1) <= int64(n) {
			return "", err
		}
		return "ok", nil
	}, &calls
}

func TestRetriesStopAtTheDeadline(t *testing.T) {
	start := time.Now()
	fake := clock.NewFake(start)
	p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: true,
		Retry: resilience.RetryPolicy{MaxAttempts: 100, BaseDelay: 300 * time.Millisecond, MaxDelay: 300 * time.Millisecond, BudgetReserve: 100}})
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Second))
	defer cancel()
	fn, calls := failing(1000, errDown)
	_, err := resilience.Do(ctx, p, fn)
	if !errors.Is(err, errDown) {
		t.Fatalf("err %v", err)
	}
	// Attempts at 0, .3, .6, .9 s; the next would start at 1.2 s, past
	// the deadline, so the call ends at .9 s without sleeping.
	if got := calls.Load(); got != 4 {
		t.Errorf("%d attempts, want 4", got)
	}
	if slept := fake.Now().Sub(start); slept != 900*time.Millisecond {
		t.Errorf("slept %s, want 900ms", slept)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	start := time.Now() // the context's deadline is judged by the wall clock too
	for _, tc := range []struct {
		name      string
		deadline  time.Duration
		wantCalls int64
		wantSlept time.Duration
	}{
		{"waits", time.Minute, 2, 7 * time.Second},
		{"beyond the deadline", 5 * time.Second, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := clock.NewFake(start)
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.deadline))
			defer cancel()
			p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: true, Retry: resilience.RetryPolicy{BaseDelay: 10 * time.Millisecond}})
			begin := fake.Now()
			fn, calls := failing(1, resilience.WithRetryAfter(errDown, 7*time.Second))
			_, _ = resilience.Do(ctx, p, fn)
			if calls.Load() != tc.wantCalls || fake.Now().Sub(begin) != tc.wantSlept {
				t.Errorf("%d calls, slept %s; want %d, %s", calls.Load(), fake.Now().Sub(begin), tc.wantCalls, tc.wantSlept)
			}
		})
	}
}

type throttled struct{}

func (throttled) Error() string     { return "api error ThrottlingException: Rate exceeded" }
func (throttled) ErrorCode() string { return "ThrottlingException" }

func TestWhatIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name       string
		idempotent bool
		ctx        func(context.Context) context.Context
		err        error
		want       int64
	}{
		{"transient, idempotent", true, nil, errDown, 2},
		{"transient, not idempotent", false, nil, errDown, 1},
		{"marked safe per call", false, func(c context.Context) context.Context { return resilience.WithIdempotent(c, true) }, errDown, 2},
		{"marked unsafe per call", true, func(c context.Context) context.Context { return resilience.WithIdempotent(c, false) }, errDown, 1},
		{"permanent", true, nil, resilience.Permanent(errDown), 1},
		{"faas.Error not retryable", true, nil, &faas.Error{Name: "Saga.BusinessError", Message: "no stock"}, 1},
		{"faas.Error retryable", true, nil, &faas.Error{Name: "X.Busy", Message: "busy", Retryable: true}, 2},
		{"AWS throttling", true, nil, throttled{}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := clock.NewFake(time.Unix(0, 0))
			p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: tc.idempotent})
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx(ctx)
			}
			fn, calls := failing(1, tc.err)
			_, _ = resilience.Do(ctx, p, fn)
			if got := calls.Load(); got != tc.want {
				t.Errorf("%d attempts, want %d", got, tc.want)
			}
		})
	}
}

func TestRetryBudget(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: true,
		Retry: resilience.RetryPolicy{MaxAttempts: 5, BudgetRatio: 0.1, BudgetReserve: 2}})
	fn, calls := failing(1<<30, errDown)
	_, _ = resilience.Do(context.Background(), p, fn) // 1 + 2 retries: the reserve
	if got := calls.Load(); got != 3 {
		t.Fatalf("%d attempts, want 3", got)
	}
	for range 10 {
		_, _ = resilience.Do(context.Background(), p, fn)
	}
	// Ten calls after the reserve was spent earned one retry (ratio 0.1).
	if got := calls.Load(); got != 3+10+1 {
		t.Errorf("%d attempts after 11 calls, want %d", got, 3+10+1)
	}
}

func TestAttemptTimeout(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: true, AttemptTimeout: time.Second, Retry: resilience.RetryPolicy{MaxAttempts: 2}})
	go func() {
		for range 2 {
			for fake.Waiters() == 0 {
				time.Sleep(time.Millisecond)
			}
			fake.Advance(time.Second)
		}
	}()
	var attempts atomic.Int64
	_, err := resilience.Do(context.Background(), p, func(ctx context.Context) (int, error) {
		attempts.Add(1)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if faas.ErrorName(err) != resilience.ErrNameTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v (%s), want %s wrapping DeadlineExceeded", err, faas.ErrorName(err), resilience.ErrNameTimeout)
	}
	if attempts.Load() != 2 {
		t.Errorf("%d attempts, want 2 (a timed-out attempt is retried)", attempts.Load())
	}
}

func TestDeadlineContextWithoutDone(t *testing.T) {
	// An attempt that never asks for Done still sees its deadline in Err.
	fake := clock.NewFake(time.Unix(0, 0))
	p := newPolicy(t, fake, resilience.PolicyConfig{AttemptTimeout: time.Second, Retry: resilience.RetryPolicy{MaxAttempts: 1}})
	_, err := resilience.Do(context.Background(), p, func(ctx context.Context) (int, error) {
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(time.Unix(1, 0)) {
			t.Errorf("deadline %v %v", dl, ok)
		}
		if ctx.Err() != nil {
			t.Error("err before the deadline")
		}
		fake.Advance(time.Second)
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("err %v after the deadline", ctx.Err())
		}
		select {
		case <-ctx.Done():
		default:
			t.Error("done not closed after the deadline")
		}
		return 0, ctx.Err()
	})
	if faas.ErrorName(err) != resilience.ErrNameTimeout {
		t.Errorf("err %v", err)
	}
}

func TestOpenBreakerIsNotCalledNorRetried(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	br, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "payments-api", Store: memory.New(memory.Config{}), Now: fake.Now,
		Settings: resilience.BreakerSettings{FailureThreshold: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p := newPolicy(t, fake, resilience.PolicyConfig{Idempotent: true, Breaker: br, Retry: resilience.RetryPolicy{MaxAttempts: 5}})
	fn, calls := failing(1<<30, errDown)
	_, _ = resilience.Do(context.Background(), p, fn)
	if got := calls.Load(); got != 2 {
		t.Errorf("%d attempts, want 2: the breaker opened after 2 failures and the third was refused", got)
	}
	_, err = resilience.Do(context.Background(), p, fn)
	if faas.ErrorName(err) != resilience.ErrNameCircuitOpen || calls.Load() != 2 {
		t.Errorf("err %v, %d attempts", err, calls.Load())
	}
}

func TestConfigBadInput(t *testing.T) {
	declared := map[string]resilience.Downstream{"event-bus": {Kind: resilience.KindExternal, Idempotent: true}}
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"negative limits", "downstreams:\n  event-bus:\n    bulkhead: {maxConcurrent: -1, maxQueued: -5}\n",
			[]string{"downstreams.event-bus.bulkhead.maxConcurrent", "downstreams.event-bus.bulkhead.maxQueued"}},
		{"threshold outside (0,1]", "downstreams:\n  event-bus:\n    breaker: {failureRate: 1.5}\n    retry: {budgetRatio: -0.1}\n",
			[]string{"downstreams.event-bus.breaker.failureRate: 1.5 is outside (0, 1]", "downstreams.event-bus.retry.budgetRatio"}},
		{"unknown downstream", "downstreams:\n  payments: {kind: external}\n", []string{"downstreams.payments: unknown downstream (this function calls [event-bus])"}},
		{"unknown kind", "downstreams:\n  event-bus: {kind: queue}\nbulkheads:\n  gpu: {maxConcurrent: 1}\n",
			[]string{"downstreams.event-bus.kind", "bulkheads.gpu: unknown kind"}},
		{"negative table row", "bulkheads:\n  llm: {maxConcurrent: 10, queueTimeout: -1s}\n", []string{"bulkheads.llm.queueTimeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := resilience.ParseConfig("event-gateway.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got, table, err := resilience.Resolve(declared, cfg)
			if err == nil || got != nil || table != nil {
				t.Fatalf("no error, or something applied: %v %v", got, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	if _, err := resilience.ParseConfig("x.yaml", []byte("downstream: {}\n")); err == nil || !strings.Contains(err.Error(), "downstream") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := resilience.ParseConfig("x.yaml", []byte("downstreams:\n  event-bus:\n    bulkhead: {maxConcurrent: many}\n")); err == nil {
		t.Error("a limit that is not a number was accepted")
	}
}

func TestConfigFromFileOrEnvironment(t *testing.T) {
	declared := map[string]resilience.Downstream{"event-bus": {Kind: resilience.KindExternal, Idempotent: true}}
	file := map[string][]byte{"config/resilience/event-gateway.yaml": []byte("bulkheads:\n  external: {maxConcurrent: 3, maxQueued: 4, queueTimeout: 2s}\ndownstreams:\n  event-bus:\n    attemptTimeout: 2s\n    breaker: {failureThreshold: 7}\n")}
	env := `{"downstreams":{"event-bus":{"kind":"external","bulkhead":{"maxConcurrent":9,"maxQueued":1}}}}`
	cfg, err := resilience.LoadConfig("event-gateway", file, env)
	if err != nil {
		t.Fatal(err)
	}
	ds, table, err := resilience.Resolve(declared, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds["event-bus"]; d.Kind != resilience.KindExternal || d.AttemptTimeout != 2*time.Second || d.Breaker.FailureThreshold != 7 ||
		table[resilience.KindExternal].MaxConcurrent != 3 || table[resilience.KindLLM].MaxConcurrent != 10 {
		t.Errorf("file: %+v %+v", d, table)
	}
	cfg, err = resilience.LoadConfig("event-gateway", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err = resilience.Resolve(declared, cfg)
	if err != nil || ds["event-bus"].Bulkhead == nil || ds["event-bus"].Bulkhead.MaxConcurrent != 9 {
		t.Errorf("env: %+v %v", ds, err)
	}
}

func TestRegistryPublishesTransitionsAndReports(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: fake.Now})
	rec := &bustest.Recorder{}
	reg, err := resilience.NewRegistry(resilience.RegistryConfig{Function: "event-gateway", Store: st, Publisher: rec, Clock: fake,
		Downstreams: map[string]resilience.Downstream{"event-bus": {Kind: resilience.KindExternal, Retry: resilience.RetryPolicy{MaxAttempts: 1},
			Breaker: resilience.BreakerSettings{FailureThreshold: 1, OpenTimeout: time.Second, SuccessThreshold: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Policy("event-bus")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Policy("payments"); err == nil || !strings.Contains(err.Error(), "event-bus") {
		t.Errorf("unknown policy: %v", err)
	}
	ctx := context.Background()
	_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { return 0, errDown })
	fake.Advance(time.Second)
	if _, err := resilience.Do(ctx, p, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{events.TypeBreakerOpened, events.TypeBreakerHalfOpened, events.TypeBreakerClosed}
	if got := rec.Types(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", got, want)
	}
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range rec.Events() {
		if err := catalog.Validate(ev); err != nil {
			t.Errorf("%s: %v", ev.Type(), err)
		}
	}
	admin := &resilience.Admin{Store: st, Now: fake.Now}
	status, err := admin.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(status.Breakers) != 1 || status.Breakers[0].State != resilience.Closed ||
		len(status.Bulkheads) != 1 || status.Bulkheads[0].Limits.MaxConcurrent != 15 || status.Bulkheads[0].Instances != 1 {
		t.Errorf("status %+v", status)
	}
	if err := admin.Force(ctx, "event-bus", resilience.ForceOpen, fake.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Second)
	if _, err := resilience.Do(ctx, p, func(context.Context) (int, error) { return 1, nil }); faas.ErrorName(err) != resilience.ErrNameCircuitOpen {
		t.Errorf("forced open: %v", err)
	}
	if err := admin.Force(ctx, "event-bus", "sideways", time.Time{}); err == nil || !strings.Contains(err.Error(), "mode") {
		t.Errorf("bad mode: %v", err)
	}
}

func TestPanickingProbeReopensTheBreaker(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	br, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "payments-api", Store: memory.New(memory.Config{}), Now: fake.Now,
		Settings: resilience.BreakerSettings{FailureThreshold: 1, OpenTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	p := newPolicy(t, fake, resilience.PolicyConfig{Breaker: br, Retry: resilience.RetryPolicy{MaxAttempts: 1}})
	ctx := context.Background()
	_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { return 0, errDown })
	fake.Advance(time.Second)
	func() {
		defer func() { _ = recover() }()
		_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { panic("boom") })
	}()
	st, err := br.State(ctx)
	if err != nil || st.State != resilience.Open || st.ProbesInFlight != 0 || !st.OpenedAt.Equal(fake.Now()) {
		t.Errorf("after a panicking probe: %+v %v, want open again with no probe in flight", st, err)
	}
}
