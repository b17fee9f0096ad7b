package discovery_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
)

// mixed is a service with three routable instances (weights 5, 3, 2; b's
// health still unknown) and three that must never be picked: unhealthy,
// lease over, weight 0.
func mixed(now time.Time) []discovery.Instance {
	a := discoverytest.Instance("s", "a", 5, now)
	b := discoverytest.Instance("s", "b", 3, now)
	b.Health = discovery.Unknown
	c := discoverytest.Instance("s", "c", 2, now)
	d := discoverytest.Instance("s", "d", 10, now)
	d.Health = discovery.Unhealthy
	e := discoverytest.Instance("s", "e", 4, now)
	e.ExpiresAt = now.Add(-time.Second)
	f := discoverytest.Instance("s", "f", 0, now)
	return []discovery.Instance{a, b, c, d, e, f}
}

func newClient(t *testing.T, st discovery.Strategy, src discovery.Source, clk *clock.Fake) *discovery.Client {
	t.Helper()
	c, err := discovery.NewClient(discovery.ClientConfig{Source: src, Strategy: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// 10,000 picks per strategy: each routable instance's share is within 3
// percentage points of its expected share (the weights' for Weighted, an
// equal share otherwise), and the unhealthy, expired and zero-weight ones
// are never picked. For the random strategy 3 points is more than 6
// standard deviations (at most 0.5 points at 10,000 picks), so the test
// does not flake; the deterministic ones land within 0.1 points.
func TestSharesOver10000Picks(t *testing.T) {
	const picks = 10000
	for _, tc := range []struct {
		st    discovery.Strategy
		want  map[string]float64
		bound float64
	}{
		{discovery.Weighted, map[string]float64{"a": 0.5, "b": 0.3, "c": 0.2}, 0.001},
		{discovery.RoundRobin, map[string]float64{"a": 1. / 3, "b": 1. / 3, "c": 1. / 3}, 0.001},
		{discovery.Random, map[string]float64{"a": 1. / 3, "b": 1. / 3, "c": 1. / 3}, 0.03},
		// Requests released before the next pick: all idle, taken in weighted turn.
		{discovery.LeastOutstanding, map[string]float64{"a": 0.5, "b": 0.3, "c": 0.2}, 0.001},
	} {
		t.Run(string(tc.st), func(t *testing.T) {
			clk := clock.NewFake(epoch)
			src := &discoverytest.Source{}
			src.Set(mixed(clk.Now())...)
			c := newClient(t, tc.st, src, clk)
			got := map[string]int{}
			for range picks {
				sel, err := c.Pick(context.Background(), "s")
				if err != nil {
					t.Fatal(err)
				}
				got[sel.Instance.ID]++
				sel.Done()
			}
			for id, n := range got {
				if _, ok := tc.want[id]; !ok {
					t.Errorf("picked %s %d times; it may not take traffic", id, n)
				}
			}
			chi := 0.0
			for id, share := range tc.want {
				exp := share * picks
				chi += (float64(got[id]) - exp) * (float64(got[id]) - exp) / exp
				if d := math.Abs(float64(got[id])/picks - share); d > tc.bound {
					t.Errorf("%s: share %.4f, want %.4f ± %.3f", id, float64(got[id])/picks, share, tc.bound)
				}
			}
			t.Logf("%s: %v (chi-square %.2f, df 2)", tc.st, got, chi)
			if src.Reads() != 1 {
				t.Errorf("%d source reads for %d picks within one cache period", src.Reads(), picks)
			}
		})
	}
}

// Weights too large for a precomputed cycle fall back to weighted random
// draws, which keep the shares too.
func TestWeightedLargeWeights(t *testing.T) {
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	var insts []discovery.Instance
	for i, w := range []int{9999, 7001, 3001, 1} {
		insts = append(insts, discoverytest.Instance("s", fmt.Sprintf("i%d", i), w, clk.Now()))
	}
	src.Set(insts...)
	c := newClient(t, discovery.Weighted, src, clk)
	got := map[string]int{}
	const picks = 10000
	for range picks {
		sel, err := c.Pick(context.Background(), "s")
		if err != nil {
			t.Fatal(err)
		}
		got[sel.Instance.ID]++
	}
	for i, w := range []int{9999, 7001, 3001, 1} {
		share := float64(w) / 20002
		if d := math.Abs(float64(got[fmt.Sprintf("i%d", i)])/picks - share); d > 0.03 {
			t.Errorf("i%d: %d picks, want share %.3f", i, got[fmt.Sprintf("i%d", i)], share)
		}
	}
}

// Smooth weighted round-robin spreads the heavy instance over the cycle.
func TestWeightedIsSmooth(t *testing.T) {
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	src.Set(discoverytest.Instance("s", "a", 5, clk.Now()), discoverytest.Instance("s", "b", 1, clk.Now()), discoverytest.Instance("s", "c", 1, clk.Now()))
	c := newClient(t, discovery.Weighted, src, clk)
	var seq []string
	for range 14 {
		sel, _ := c.Pick(context.Background(), "s")
		seq = append(seq, sel.Instance.ID)
	}
	if got := strings.Join(seq, ""); got != "aabacaaaabacaa" {
		t.Fatalf("order %s", got)
	}
}

// Under load, least-outstanding keeps each instance's requests in flight
// in proportion to its weight: with weights 3 and 1 and 40 requests held,
// a holds 30 and b 10; a released request's slot goes back to its
// instance.
func TestLeastOutstandingWeighsLoad(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	src.Set(discoverytest.Instance("s", "a", 3, clk.Now()), discoverytest.Instance("s", "b", 1, clk.Now()))
	c := newClient(t, discovery.LeastOutstanding, src, clk)
	var held []discovery.Selection
	for range 40 {
		sel, err := c.Pick(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, sel)
	}
	if got := c.Outstanding("s"); got["a"] != 30 || got["b"] != 10 {
		t.Fatalf("outstanding %v, want a 30 and b 10", got)
	}
	for _, sel := range held {
		if sel.Instance.ID == "b" {
			sel.Done()
			break
		}
	}
	if sel, _ := c.Pick(ctx, "s"); sel.Instance.ID != "b" {
		t.Fatalf("picked %s after one of b's requests finished; b had the room", sel.Instance.ID)
	}
}

func TestLeastOutstandingPrefersTheIdleInstance(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	src.Set(discoverytest.Instance("s", "a", 1, clk.Now()), discoverytest.Instance("s", "b", 1, clk.Now()), discoverytest.Instance("s", "c", 1, clk.Now()))
	c := newClient(t, discovery.LeastOutstanding, src, clk)
	// Three slow requests occupy a, b and c; finishing b's makes b the idle one.
	held := map[string]discovery.Selection{}
	for range 3 {
		sel, err := c.Pick(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := held[sel.Instance.ID]; dup {
			t.Fatalf("picked busy %s while another was idle", sel.Instance.ID)
		}
		held[sel.Instance.ID] = sel
	}
	held["b"].Done()
	for range 5 {
		sel, _ := c.Pick(ctx, "s")
		if sel.Instance.ID != "b" {
			t.Fatalf("picked %s; b was the idle one (%v)", sel.Instance.ID, c.Outstanding("s"))
		}
		sel.Done()
	}
	// a stays busy with 1; after c finishes too, b and c alternate and a is never taken.
	held["c"].Done()
	for range 10 {
		sel, _ := c.Pick(ctx, "s")
		if sel.Instance.ID == "a" {
			t.Fatal("picked the busy instance")
		}
		sel.Done()
	}
	if got := c.Outstanding("s"); got["a"] != 1 || got["b"] != 0 || got["c"] != 0 {
		t.Fatalf("outstanding %v", got)
	}
	// Counts survive a refresh of the cache.
	clk.Advance(discovery.DefaultCacheTTL)
	sel, _ := c.Pick(ctx, "s")
	if sel.Instance.ID == "a" || src.Reads() != 2 {
		t.Fatalf("after refresh picked %s (%d reads)", sel.Instance.ID, src.Reads())
	}
}

func TestCacheRefreshAndStaleOnError(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	src.Set(discoverytest.Instance("s", "a", 1, clk.Now()))
	c := newClient(t, discovery.RoundRobin, src, clk)
	if _, err := c.Pick(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	// A new instance reaches the client after the cache period, not before.
	src.Set(discoverytest.Instance("s", "a", 1, clk.Now()), discoverytest.Instance("s", "b", 1, clk.Now()))
	seen := func() map[string]bool {
		m := map[string]bool{}
		for range 4 {
			sel, err := c.Pick(ctx, "s")
			if err != nil {
				t.Fatal(err)
			}
			m[sel.Instance.ID] = true
		}
		return m
	}
	if s := seen(); s["b"] {
		t.Fatal("b seen within the cache period")
	}
	clk.Advance(discovery.DefaultCacheTTL)
	if s := seen(); !s["b"] || src.Reads() != 2 {
		t.Fatalf("after the period: %v, %d reads", s, src.Reads())
	}
	// The source fails: picks go on from the last good read, once per period.
	src.Fail(errors.New("store unreachable"))
	clk.Advance(discovery.DefaultCacheTTL)
	if s := seen(); !s["a"] || !s["b"] {
		t.Fatalf("stale picks: %v", s)
	}
	if err := c.Err("s"); err == nil || !strings.Contains(err.Error(), "store unreachable") || src.Reads() != 3 {
		t.Fatalf("Err = %v, %d reads", err, src.Reads())
	}
	src.Fail(nil)
	clk.Advance(discovery.DefaultCacheTTL)
	seen()
	if c.Err("s") != nil {
		t.Fatal(c.Err("s"))
	}
	// Nothing cached and the source down: the error.
	src.Fail(errors.New("store unreachable"))
	if _, err := c.Pick(ctx, "other"); err == nil || !strings.Contains(err.Error(), "store unreachable") {
		t.Fatalf("first read failing: %v", err)
	}
	// No routable instance: ErrNoInstance.
	src.Fail(nil)
	if _, err := c.Pick(ctx, "none"); !errors.Is(err, discovery.ErrNoInstance) {
		t.Fatalf("empty service: %v", err)
	}
	c.Invalidate("s")
	svc := c.Service("s")
	if _, err := svc.Pick(ctx); err != nil || src.Reads() != 7 {
		t.Fatalf("after Invalidate: %v, %d reads", err, src.Reads())
	}
	if c.Service("s") != svc || svc.Name() != "s" {
		t.Fatal("Service is not one handle per name")
	}
	// One staleness timer per cached service (s and the empty "none"),
	// however often they were read: replaced views stop theirs.
	if n := clk.Waiters(); n != 2 {
		t.Fatalf("%d timers pending for 2 cached services", n)
	}
}

func TestPreferredZone(t *testing.T) {
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	a, b, c := discoverytest.Instance("s", "a", 1, clk.Now()), discoverytest.Instance("s", "b", 1, clk.Now()), discoverytest.Instance("s", "c", 1, clk.Now())
	a.Zone, b.Zone, c.Zone = "z1", "z2", "z2"
	src.Set(a, b, c)
	cl, err := discovery.NewClient(discovery.ClientConfig{Source: src, Strategy: discovery.RoundRobin, Zone: "z2", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		sel, _ := cl.Pick(context.Background(), "s")
		if sel.Instance.Zone != "z2" {
			t.Fatalf("left the zone: %s", sel.Instance.ID)
		}
	}
	// The zone's instances go unhealthy: the others take over.
	b.Health, c.Health = discovery.Unhealthy, discovery.Unhealthy
	src.Set(a, b, c)
	clk.Advance(discovery.DefaultCacheTTL)
	if sel, err := cl.Pick(context.Background(), "s"); err != nil || sel.Instance.ID != "a" {
		t.Fatalf("fallback: %v %v", sel.Instance, err)
	}
}

func TestNewClientBadConfig(t *testing.T) {
	_, err := discovery.NewClient(discovery.ClientConfig{Strategy: "fastest", CacheTTL: -1})
	for _, f := range []string{"Source", "strategy", "cacheTTL"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%v does not name %s", err, f)
		}
	}
	if _, err := discovery.ParseStrategy("least-outstanding"); err != nil {
		t.Error(err)
	}
}

// Many goroutines picking while the cache refreshes under them.
func TestConcurrentPicks(t *testing.T) {
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	src.Set(mixed(clk.Now())...)
	for _, st := range discovery.Strategies {
		c := newClient(t, st, src, clk)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 2000 {
					sel, err := c.Pick(context.Background(), "s")
					if err != nil {
						t.Error(err)
						return
					}
					if !sel.Instance.Routable {
						t.Errorf("picked %s", sel.Instance.ID)
					}
					sel.Done()
					if g == 0 && i%500 == 0 {
						clk.Advance(discovery.DefaultCacheTTL)
					}
				}
			}()
		}
		wg.Wait()
		for id, n := range c.Outstanding("s") {
			if n != 0 {
				t.Errorf("%s: %s has %d outstanding", st, id, n)
			}
		}
	}
}

// FailOpen: with every instance unhealthy, picks go on among them (never
// to an expired or zero-weight one); without it, ErrNoInstance.
func TestFailOpen(t *testing.T) {
	clk := clock.NewFake(epoch)
	src := &discoverytest.Source{}
	insts := mixed(clk.Now())
	for i := range insts {
		insts[i].Health = discovery.Unhealthy
	}
	src.Set(insts...)
	if _, err := newClient(t, discovery.RoundRobin, src, clk).Pick(context.Background(), "s"); !errors.Is(err, discovery.ErrNoInstance) {
		t.Fatalf("closed: %v", err)
	}
	c, err := discovery.NewClient(discovery.ClientConfig{Source: src, Strategy: discovery.RoundRobin, FailOpen: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for range 40 {
		sel, err := c.Pick(context.Background(), "s")
		if err != nil {
			t.Fatal(err)
		}
		if sel.Instance.Routable {
			t.Fatalf("%s marked routable", sel.Instance.ID)
		}
		got[sel.Instance.ID]++
	}
	if len(got) != 4 || got["e"] != 0 || got["f"] != 0 {
		t.Fatalf("fail-open picks %v, want a, b, c, d (not e: expired, f: weight 0)", got)
	}
}
