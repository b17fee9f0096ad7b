package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// countingStore counts writes and can fail them.
type countingStore struct {
	store.Store
	puts, gets   atomic.Int64
	failPuts     atomic.Bool // every Put: an outage
	conflictPuts atomic.Bool // every Put: ErrConditionFailed
}

func (s *countingStore) Get(ctx context.Context, k store.Key) (store.Item, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, k)
}

func (s *countingStore) Put(ctx context.Context, it store.Item, c store.Condition) (store.Item, error) {
	s.puts.Add(1)
	switch {
	case s.failPuts.Load():
		return store.Item{}, errors.New("dynamodb: connection refused")
	case s.conflictPuts.Load():
		return store.Item{}, store.ErrConditionFailed
	}
	return s.Store.Put(ctx, it, c)
}

var epoch = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func policies(t testing.TB, yaml string) *Policies {
	t.Helper()
	ps, err := Parse(File{Name: "test.yaml", Data: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func newLimiter(t testing.TB, ps *Policies, st store.Store, clk *clock.Fake, lease time.Duration) *Limiter {
	t.Helper()
	l, err := New(Config{Policies: ps, Store: st, Now: clk.Now, LeaseInterval: lease})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var anon = apiclient.Client{ID: "anon:192.0.2.1", Class: apiclient.Anonymous, Via: apiclient.ViaAnonymous}

func allowN(l *Limiter, c apiclient.Client, api string, n int) (allowed int, last Decision) {
	for range n {
		last = l.Allow(context.Background(), c, api)
		if last.Allowed {
			allowed++
		}
	}
	return allowed, last
}

func TestGCRABurstAndRefill(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	// 10/s, burst 5, leases of 1 (100 ms × 10/s): every request is exact.
	l := newLimiter(t, policies(t, "policies:\n- {class: anonymous, api: '*', rate: 10/s, burst: 5}"), st, clk, 100*time.Millisecond)

	got, d := allowN(l, anon, "orders", 8)
	if got != 5 {
		t.Fatalf("burst: %d allowed at once, want 5", got)
	}
	if d.Allowed || d.RetryAfter != 100*time.Millisecond || d.Remaining != 0 {
		t.Errorf("over the burst: %+v, want refused with RetryAfter 100ms", d)
	}
	clk.Advance(100 * time.Millisecond)
	if got, _ := allowN(l, anon, "orders", 3); got != 1 {
		t.Errorf("after one interval: %d allowed, want 1", got)
	}
	clk.Advance(time.Second) // a full burst again (5 × 100 ms), no more
	if got, _ := allowN(l, anon, "orders", 8); got != 5 {
		t.Errorf("after idling: %d allowed, want 5 (the burst)", got)
	}
	// A steady 10/s for 3 s: 30 allowed.
	allowed := 0
	for range 300 {
		clk.Advance(10 * time.Millisecond)
		if l.Allow(context.Background(), anon, "orders").Allowed {
			allowed++
		}
	}
	if allowed != 30 {
		t.Errorf("steady 100/s offered against 10/s for 3 s: %d allowed, want 30", allowed)
	}
	// Another API and another client have their own limits.
	if got, _ := allowN(l, anon, "events", 5); got != 5 {
		t.Errorf("other API: %d allowed, want 5", got)
	}
	other := anon
	other.ID = "anon:192.0.2.2"
	if got, _ := allowN(l, other, "orders", 5); got != 5 {
		t.Errorf("other client: %d allowed, want 5", got)
	}
}

func TestLeaseSize(t *testing.T) {
	tests := []struct {
		rate  string
		burst int
		lease time.Duration
		want  int64
	}{
		{"10/s", 5, 100 * time.Millisecond, 1},
		{"100/s", 100, 100 * time.Millisecond, 10},
		{"100/s", 10, time.Second, 5},             // at most ceil(burst/2)
		{"100/s", 1, time.Second, 1},              // burst 1: one at a time
		{"60/min", 10, 250 * time.Millisecond, 1}, // below one per lease: 1
		{"50/s", 100, 250 * time.Millisecond, 13},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.rate)
		if err != nil {
			t.Fatal(err)
		}
		if got := LeaseSize(&Policy{Rate: r, Burst: tt.burst}, tt.lease); got != tt.want {
			t.Errorf("LeaseSize(%s, burst %d, %v) = %d, want %d", tt.rate, tt.burst, tt.lease, got, tt.want)
		}
	}
}

// One store write per lease: a client sending as fast as it can costs one
// write per refill interval, allowed or refused.
func TestOneWritePerLease(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	// 100/s, burst 100, leases of 10 (100 ms).
	l := newLimiter(t, policies(t, "policies:\n- {class: anonymous, api: '*', rate: 100/s, burst: 100}"), st, clk, 100*time.Millisecond)
	got, _ := allowN(l, anon, "orders", 1000)
	if got != 100 || st.puts.Load() != 10 {
		t.Fatalf("1000 at once: %d allowed with %d writes, want 100 with 10", got, st.puts.Load())
	}
	// 10 s at 1000 requests per second offered: 1000 allowed (the rate),
	// in leases of 10: 100 writes, one per 100 ms refill interval.
	st.puts.Store(0)
	allowed := 0
	for range 10000 {
		clk.Advance(time.Millisecond)
		if l.Allow(context.Background(), anon, "orders").Allowed {
			allowed++
		}
	}
	// Whole leases only: up to one lease (10) short at the window's end.
	if allowed > 1000 || allowed < 990 {
		t.Errorf("10 s at 10× the rate: %d allowed, want 1000 - 10 ... 1000", allowed)
	}
	if w := st.puts.Load(); w > 100 {
		t.Errorf("10 s at 10× the rate: %d store writes, want at most 100 (one per 100 ms)", w)
	}
}

func TestDailyQuotaResetsAtUTCMidnight(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 23, 59, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clk.Now})
	l := newLimiter(t, policies(t, "policies:\n- {class: anonymous, api: '*', rate: 1000/s, burst: 1000, quota: 25}"), st, clk, time.Second)

	got, d := allowN(l, anon, "orders", 30)
	if got != 25 {
		t.Fatalf("quota 25: %d allowed", got)
	}
	if d.Allowed || !d.QuotaExhausted || d.RetryAfter != time.Minute || d.QuotaRemaining != 0 {
		t.Errorf("over the quota: %+v, want refused until midnight (1m)", d)
	}
	clk.Advance(59 * time.Second)
	if got, _ := allowN(l, anon, "orders", 5); got != 0 {
		t.Errorf("a second before midnight: %d allowed, want 0", got)
	}
	clk.Advance(time.Second)
	got, d = allowN(l, anon, "orders", 30)
	if got != 25 {
		t.Errorf("after midnight: %d allowed, want the whole quota (25)", got)
	}
	if d.QuotaReset != 24*time.Hour {
		t.Errorf("QuotaReset at midnight: %v, want 24h", d.QuotaReset)
	}
	// A second instance sharing the store sees the spent quota.
	l2 := newLimiter(t, policies(t, "policies:\n- {class: anonymous, api: '*', rate: 1000/s, burst: 1000, quota: 25}"), st, clk, time.Second)
	if got, d := allowN(l2, anon, "orders", 3); got != 0 || !d.QuotaExhausted {
		t.Errorf("second instance: %d allowed (%+v), want 0: the quota is shared", got, d)
	}
}

func TestContentionFailsClosed(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	st.conflictPuts.Store(true)
	l, err := New(Config{Policies: policies(t, "policies:\n- {class: anonymous, api: '*', rate: 10/s, burst: 10}"),
		Store: st, Now: clk.Now, MaxRaceRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	d := l.Allow(context.Background(), anon, "orders")
	if d.Allowed || !errors.Is(d.Err, ErrContention) || d.RetryAfter != 100*time.Millisecond {
		t.Errorf("contended: %+v, want refused with ErrContention, RetryAfter one interval", d)
	}
	if n := st.puts.Load(); n != 3 {
		t.Errorf("contended: %d writes, want 3 (1 + MaxRaceRetries)", n)
	}
}

func TestStoreFailureFailsOpen(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	st.failPuts.Store(true)
	l := newLimiter(t, policies(t, "policies:\n- {class: anonymous, api: '*', rate: 10/s, burst: 5}"), st, clk, 100*time.Millisecond)

	d := l.Allow(context.Background(), anon, "orders")
	if !d.Allowed || d.Err == nil {
		t.Fatalf("store down: %+v, want allowed with the error", d)
	}
	// The in-process limiter still holds the policy, without the store.
	got, _ := allowN(l, anon, "orders", 10)
	if got != 4 || st.puts.Load() != 1 {
		t.Errorf("store down: %d more allowed with %d writes, want 4 (the burst) and no more writes", got, st.puts.Load())
	}
	// After the backoff, the store is tried again; it is back.
	st.failPuts.Store(false)
	clk.Advance(DefaultStoreBackoff)
	if d := l.Allow(context.Background(), anon, "orders"); !d.Allowed || d.Err != nil || st.puts.Load() != 2 {
		t.Errorf("store back: %+v after %d writes, want allowed through the store", d, st.puts.Load())
	}
}

func TestNoPolicyNoLimit(t *testing.T) {
	l, err := New(Config{Policies: policies(t, "policies:\n- {class: premium, api: orders, rate: 1/s, burst: 1}")})
	if err != nil {
		t.Fatal(err)
	}
	if got, d := allowN(l, anon, "orders", 100); got != 100 || d.Policy != nil {
		t.Errorf("no policy for the class: %d allowed (%+v), want all", got, d)
	}
	// No store: the in-process limiter alone.
	prem := apiclient.Client{ID: "acme", Class: apiclient.Premium}
	if got, _ := allowN(l, prem, "orders", 5); got != 1 {
		t.Errorf("no store, burst 1: %d allowed, want 1", got)
	}
}

func TestNewRejectsNegatives(t *testing.T) {
	_, err := New(Config{LeaseInterval: -1, MaxRaceRetries: -1, StoreBackoff: -1})
	if err == nil {
		t.Fatal("New accepted negative settings")
	}
	for _, w := range []string{"LeaseInterval", "MaxRaceRetries", "StoreBackoff"} {
		if !contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

// Two instances sharing one store on a fake clock: over any run the
// client gets the limit within ±N × L (N = 2 instances, L the lease), and
// an instance that goes idle holding a lease costs the client at most L.
func TestTwoInstancesWithinTolerance(t *testing.T) {
	const yaml = "policies:\n- {class: anonymous, api: '*', rate: 100/s, burst: 40}"
	tests := []struct {
		name  string
		pick  func(i int) int // which instance serves request i
		hold  bool            // instance 1 goes idle after its first request
		steps int
	}{
		{name: "alternating", pick: func(i int) int { return i % 2 }, steps: 10000},
		{name: "mostly one", pick: func(i int) int {
			if i%10 == 0 {
				return 1
			}
			return 0
		}, steps: 10000},
		{name: "one idle with a lease", pick: func(i int) int {
			if i == 0 {
				return 1
			}
			return 0
		}, steps: 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(epoch)
			st := memory.New(memory.Config{Now: clk.Now})
			ps := policies(t, yaml)
			ls := []*Limiter{newLimiter(t, ps, st, clk, DefaultLeaseInterval), newLimiter(t, ps, st, clk, DefaultLeaseInterval)}
			p, _ := ps.For(apiclient.Anonymous, "x")
			lease := LeaseSize(p, DefaultLeaseInterval) // 20: ceil(40/2) caps round(100 × 250 ms) = 25
			allowed := 0
			step := time.Millisecond // 1000/s offered against 100/s
			for i := range tt.steps {
				if ls[tt.pick(i)].Allow(context.Background(), anon, "x").Allowed {
					allowed++
				}
				clk.Advance(step)
			}
			window := time.Duration(tt.steps) * step
			limit := int64(p.Burst) + int64(p.Rate.PerSecond()*window.Seconds())
			tol := 2 * lease
			t.Logf("%d allowed, limit %d ± %d", allowed, limit, tol)
			if int64(allowed) > limit+tol || int64(allowed) < limit-tol {
				t.Errorf("%d allowed, want %d ± %d", allowed, limit, tol)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodPolicies))
	f.Add([]byte("policies:\n- {class: anonymous, api: '*', rate: 0/s, burst: 0, quota: -1}"))
	f.Add([]byte("policies: 3"))
	f.Add([]byte("policies:\n- {class: premium, api: x, rate: 1e308/s, burst: 2147483647}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Parse(File{Name: "fuzz.yaml", Data: data})
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error not wrapping ErrInvalidPolicy: %v", err)
			}
			return
		}
		for _, p := range ps.List() {
			if p.Rate.Count <= 0 || p.Rate.Interval() <= 0 || p.Burst < 1 || p.Quota < 0 || !p.Class.Valid() || p.API == "" {
				t.Fatalf("accepted a bad policy: %+v", p)
			}
			// Whatever was accepted, the limiter decides without panicking.
			clk := clock.NewFake(epoch)
			l := newLimiter(t, ps, memory.New(memory.Config{Now: clk.Now}), clk, 0)
			c := apiclient.Client{ID: "c", Class: p.Class}
			for range 3 {
				l.Allow(context.Background(), c, p.API)
				clk.Advance(time.Second)
			}
		}
	})
}

// Many goroutines on two instances at one instant: never more than the
// burst, whatever the interleaving (run with -race).
func TestConcurrentNeverOverBurst(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := memory.New(memory.Config{Now: clk.Now})
	ps := policies(t, "policies:\n- {class: anonymous, api: '*', rate: 100/s, burst: 60}")
	ls := []*Limiter{newLimiter(t, ps, st, clk, DefaultLeaseInterval), newLimiter(t, ps, st, clk, DefaultLeaseInterval)}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 200 {
				if ls[g%2].Allow(context.Background(), anon, "x").Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n > 60 || n < 60-2*25 {
		t.Errorf("%d allowed at one instant, want at most the burst (60) and at least 60 - 2 leases", n)
	}
}
