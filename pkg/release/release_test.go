package release_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/release"
	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

type published struct {
	typ, id string
	data    events.ReleaseChanged
}

type harness struct {
	t       *testing.T
	clk     *clock.Fake
	st      store.Store
	aliases *release.StoreAliases
	counter *release.Counter
	rs      *release.Releases
	mu      sync.Mutex
	events  []published
	failPub bool
	seq     int
}

func newHarness(t *testing.T, slos ...slo.SLO) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewFake(time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC))}
	h.st = memory.New(memory.Config{Now: h.clk.Now})
	h.aliases = &release.StoreAliases{Store: h.st, Functions: []string{"checkout", "payments"}, Now: h.clk.Now}
	h.counter = &release.Counter{Store: h.st, SLOs: slos}
	rs, err := release.New(release.Config{Store: h.st, Aliases: h.aliases, Counter: h.counter, Now: h.clk.Now,
		Publish: func(_ context.Context, typ, id string, d events.ReleaseChanged) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.failPub {
				return errors.New("bus down")
			}
			h.events = append(h.events, published{typ, id, d})
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.rs = rs
	if _, err := h.aliases.Publish(context.Background(), "checkout", "v2"); err != nil {
		t.Fatal(err)
	}
	return h
}

// traffic counts n calls of a version spread over the last minute, the
// first errs of them failed, each taking ms.
func (h *harness) traffic(version string, n, errs int, ms float64) {
	h.t.Helper()
	var evs []slo.Event
	for i := range n {
		h.seq++
		status := "ok"
		if i < errs {
			status = "error"
		}
		evs = append(evs, slo.Event{Source: "test", ID: fmt.Sprintf("e%d", h.seq), Time: h.clk.Now().Add(-time.Duration(i%50) * time.Second),
			Service: "checkout", Operation: "invoke", Status: status, DurationMs: ms, Version: version})
	}
	for i, err := range h.counter.Count(context.Background(), evs) {
		if err != nil {
			h.t.Fatalf("count %d: %v", i, err)
		}
	}
}

func (h *harness) routing() release.Routing {
	h.t.Helper()
	r, err := h.aliases.Alias(context.Background(), "checkout", "live")
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) kinds() []string {
	var out []string
	for _, e := range h.events {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(e.typ, "dev.cogniforge.release."), ".v1"))
	}
	return out
}

func (h *harness) check(id string) release.Outcome {
	h.t.Helper()
	o, err := h.rs.Check(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

func TestCanaryFailingTwentyPercentRollsBackAtFirstCheck(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r, err := h.rs.Start(ctx, release.Spec{ID: "rel-1", Function: "checkout", Version: "2", By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.routing(); got.Version != "1" || got.Share("2") != 0.1 {
		t.Fatalf("after start the alias routes %+v, want 10%% to 2", got)
	}
	if r.Weight != 10 || r.PreviousVersion != "1" {
		t.Fatalf("release %+v", r)
	}
	// Too early: nothing is judged.
	h.clk.Advance(5 * time.Minute)
	if o := h.check("rel-1"); o.Decision != "waiting" || o.WaitSeconds != 300 {
		t.Fatalf("early check: %+v", o)
	}
	h.clk.Advance(5 * time.Minute)
	h.traffic("2", 100, 20, 40)
	h.traffic("1", 900, 0, 40) // the old version's health is not the new one's
	o := h.check("rel-1")
	if !o.Done || o.State != release.RolledBack || o.Decision != release.DidRollBack {
		t.Fatalf("first check: %+v", o)
	}
	if !strings.Contains(o.Reason, "error rate 0.2 over the maximum 0.05") {
		t.Fatalf("reason %q", o.Reason)
	}
	if got := h.routing(); got.Version != "1" || len(got.Weights) != 0 {
		t.Fatalf("after rollback the alias routes %+v", got)
	}
	if got := h.kinds(); strings.Join(got, ",") != "started,rolledback" {
		t.Fatalf("events %v", got)
	}
	last := h.events[1]
	if last.id != "rel-1/2" || last.data.Metrics == nil || last.data.Metrics.Requests != 100 || last.data.Metrics.Errors != 20 || last.data.State != "rolledback" {
		t.Fatalf("rolledback event %+v metrics %+v", last, last.data.Metrics)
	}
	// The alias is free for the next release.
	if _, err := h.rs.Start(ctx, release.Spec{ID: "rel-2", Function: "checkout", Version: "2"}); err != nil {
		t.Fatal(err)
	}
}

func TestHealthyReleasesReachAllTraffic(t *testing.T) {
	for _, tc := range []struct {
		spec    release.Spec
		weights []float64 // the new version's share after start and each check
		kinds   string
	}{
		{release.Spec{Strategy: release.Canary}, []float64{0.1, 1}, "started,promoted"},
		{release.Spec{Strategy: release.Canary, Weights: []float64{5, 50}}, []float64{0.05, 0.5, 1}, "started,stepped,promoted"},
		{release.Spec{Strategy: release.Linear, Weights: release.LinearWeights(25)}, []float64{0.25, 0.5, 0.75, 1}, "started,stepped,stepped,promoted"},
		{release.Spec{Strategy: release.BlueGreen}, []float64{1, 1}, "started,promoted"},
	} {
		t.Run(fmt.Sprint(tc.spec.Strategy, tc.spec.Weights), func(t *testing.T) {
			h := newHarness(t)
			spec := tc.spec
			spec.ID, spec.Function, spec.Version, spec.Interval = "rel", "checkout", "2", release.Duration(time.Minute)
			spec.Checks = release.Checks{MaxLatencyMs: 250, MinRequests: 20}
			if _, err := h.rs.Start(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.weights {
				if got := h.routing().Share("2"); got != w {
					t.Fatalf("step %d: version 2 gets %v, want %v", i, got, w)
				}
				if i == len(tc.weights)-1 {
					break
				}
				h.clk.Advance(time.Minute)
				h.traffic("2", 50, 1, 120) // 2% errors, p99 in the 250 ms bucket
				o := h.check("rel")
				if o.State == release.RolledBack {
					t.Fatalf("step %d rolled back: %s", i, o.Reason)
				}
			}
			r, err := h.rs.Get(context.Background(), "rel")
			if err != nil {
				t.Fatal(err)
			}
			if r.State != release.Promoted || r.Weight != 100 || h.routing().Version != "2" || len(h.routing().Weights) != 0 {
				t.Fatalf("release %s at %v, alias %+v", r.State, r.Weight, h.routing())
			}
			if got := strings.Join(h.kinds(), ","); got != tc.kinds {
				t.Fatalf("events %s, want %s", got, tc.kinds)
			}
			if len(r.History) != len(h.events) {
				t.Fatalf("history %d decisions, %d events", len(r.History), len(h.events))
			}
		})
	}
}

func TestBreaches(t *testing.T) {
	avail := slo.SLO{Name: "checkout-availability", Target: 0.99, Total: slo.Selector{Service: "checkout"}, Bad: slo.Selector{Status: "error"}, HasBad: true}
	for _, tc := range []struct {
		name   string
		checks release.Checks
		n, bad int
		ms     float64
		want   string
	}{
		{"latency", release.Checks{MaxLatencyMs: 300, LatencyPercentile: 95}, 40, 0, 700, "p95 latency 1000ms over the maximum 300ms"},
		{"burn rate", release.Checks{MaxErrorRate: 1, SLO: "checkout-availability", MaxBurnRate: 2}, 40, 2, 10, "SLO checkout-availability burn rate 5 over the maximum 2"},
		{"too few requests, held out", release.Checks{MinRequests: 50, MaxHolds: 2}, 10, 0, 10, "fewer than the 50 needed to judge it; held 2 times already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, avail)
			if _, err := h.rs.Start(context.Background(), release.Spec{ID: "rel", Function: "checkout", Version: "2", Checks: tc.checks}); err != nil {
				t.Fatal(err)
			}
			var o release.Outcome
			for range 5 {
				h.clk.Advance(10 * time.Minute)
				h.traffic("2", tc.n, tc.bad, tc.ms)
				if o = h.check("rel"); o.Done {
					break
				}
				if o.Decision != release.Held || h.routing().Share("2") != 0.1 {
					t.Fatalf("%+v, alias %+v", o, h.routing())
				}
			}
			if o.State != release.RolledBack || !strings.Contains(o.Reason, tc.want) {
				t.Fatalf("outcome %+v, want a rollback for %q", o, tc.want)
			}
			if h.routing().Version != "1" || len(h.routing().Weights) != 0 {
				t.Fatalf("alias %+v", h.routing())
			}
		})
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, tc := range []struct {
		spec       release.Spec
		name, want string
	}{
		{release.Spec{Function: "checkout", Version: "9"}, release.ErrNameNotFound, `version: release: no such version: checkout has no version "9" (have [1 2])`},
		{release.Spec{Function: "checkout", Version: "2", Alias: "beta"}, release.ErrNameNotFound, "no such alias: checkout:beta"},
		{release.Spec{Function: "nope", Version: "2"}, release.ErrNameNotFound, `no such function: "nope"`},
		{release.Spec{Function: "checkout", Version: "1"}, release.ErrNameConflict, "on version 1 already"},
		{release.Spec{Function: "checkout", Version: "2", Weights: []float64{50, 20}}, release.ErrNameInvalid, "weights[1]: 20 does not grow from 50"},
		{release.Spec{Function: "checkout", Version: "2", Weights: []float64{120}}, release.ErrNameInvalid, "weights[0]: 120 is not a percentage in (0, 100)"},
		{release.Spec{Function: "checkout", Version: "2", Strategy: "big-bang"}, release.ErrNameInvalid, `strategy: "big-bang" is not canary, linear or blue-green`},
		{release.Spec{Function: "checkout", Version: "2", Checks: release.Checks{MaxErrorRate: 2, MinRequests: -1}}, release.ErrNameInvalid, "maxErrorRate: 2 is not a rate in [0, 1]\nminRequests: -1 is negative"},
		{release.Spec{Function: "checkout", Version: "2", Checks: release.Checks{SLO: "nope", MaxBurnRate: 2}}, release.ErrNameInvalid, `slo: no SLO named "nope"`},
	} {
		_, err := h.rs.Start(ctx, tc.spec)
		var e *release.Error
		if !errors.As(err, &e) || e.Name != tc.name || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %s %q", tc.spec, err, tc.name, tc.want)
		}
	}
	if got := h.routing(); got.Version != "1" || len(got.Weights) != 0 {
		t.Fatalf("alias changed: %+v", got)
	}
	if list, _ := h.rs.List(ctx, ""); len(list) != 0 || len(h.events) != 0 {
		t.Fatalf("recorded %d releases, published %d events", len(list), len(h.events))
	}
	// An alias move that fails removes the record again.
	bad := &failingAliases{StoreAliases: h.aliases}
	rs, _ := release.New(release.Config{Store: h.st, Aliases: bad, Counter: h.counter, Now: h.clk.Now})
	if _, err := rs.Start(ctx, release.Spec{ID: "x", Function: "checkout", Version: "2"}); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Fatalf("got %v", err)
	}
	if _, err := h.rs.Get(ctx, "x"); err == nil {
		t.Fatal("the failed release's record stayed")
	}
	if _, err := h.rs.Start(ctx, release.Spec{ID: "y", Function: "checkout", Version: "2"}); err != nil {
		t.Fatalf("the failed release's lock stayed: %v", err)
	}
	// One release per alias.
	if _, err := h.rs.Start(ctx, release.Spec{ID: "z", Function: "checkout", Version: "2"}); err == nil || !strings.Contains(err.Error(), "already splits") {
		t.Fatalf("second release: %v", err)
	}
}

type failingAliases struct{ *release.StoreAliases }

func (f *failingAliases) SetAlias(context.Context, string, string, release.Routing) error {
	return errors.New("throttled")
}

func TestManualRollbackAndOutbox(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.rs.Start(ctx, release.Spec{ID: "rel", Function: "checkout", Version: "2", Strategy: release.BlueGreen}); err != nil {
		t.Fatal(err)
	}
	if h.routing().Version != "2" {
		t.Fatalf("blue-green moves everything at once: %+v", h.routing())
	}
	h.failPub = true
	if _, err := h.rs.Rollback(ctx, "rel", "bob", "checkout errors in the logs"); err == nil {
		t.Fatal("a rollback whose event could not be published says so")
	}
	if h.routing().Version != "1" {
		t.Fatalf("the rollback is applied even when the bus is down: %+v", h.routing())
	}
	h.failPub = false
	r, err := h.rs.Rollback(ctx, "rel", "bob", "again")
	if err != nil || r.State != release.RolledBack || r.Reason != "checkout errors in the logs" {
		t.Fatalf("%v %+v", err, r)
	}
	if got := h.kinds(); strings.Join(got, ",") != "started,rolledback" || h.events[1].id != "rel/2" || h.events[1].data.By != "bob" {
		t.Fatalf("events %+v", h.events)
	}
	// A promoted release is not rolled back: releasing the old version is.
	if _, err := h.rs.Start(ctx, release.Spec{ID: "rel2", Function: "checkout", Version: "2", Strategy: release.BlueGreen, Checks: release.Checks{MinRequests: 1}}); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(10 * time.Minute)
	h.traffic("2", 5, 0, 10)
	if o := h.check("rel2"); o.State != release.Promoted {
		t.Fatalf("%+v", o)
	}
	if _, err := h.rs.Rollback(ctx, "rel2", "bob", ""); err == nil || !strings.Contains(err.Error(), "release version 1 to go back") {
		t.Fatalf("got %v", err)
	}
}

func TestCounterCountsEachEventOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	e := slo.Event{Source: "s", ID: "e1", Time: h.clk.Now(), Service: "checkout", Status: "error", DurationMs: 3000, Version: "2"}
	for range 3 {
		for _, err := range h.counter.Count(ctx, []slo.Event{e, e}) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// A batch holding a redelivered event and a new one counts the new one.
	e2 := e
	e2.ID, e2.Status, e2.DurationMs = "e3", "ok", 20
	for _, err := range h.counter.Count(ctx, []slo.Event{e, e2}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	unversioned := e
	unversioned.ID, unversioned.Version = "e2", ""
	h.counter.Count(ctx, []slo.Event{unversioned})
	w, err := h.counter.Read(ctx, "checkout", "2", h.clk.Now().Add(-time.Hour), h.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if w.Requests != 2 || w.Errors != 1 || w.Percentile(50) != 25 || w.Percentile(99) != 5000 {
		t.Fatalf("%+v p50 %v", w, w.Percentile(50))
	}
}

func TestRoutingPickMatchesWeights(t *testing.T) {
	r := release.Split("1", "2", 10)
	n := 0
	const picks = 10000
	for i := range picks {
		if r.Pick((float64(i)+0.5)/picks) == "2" {
			n++
		}
	}
	if n != 1000 {
		t.Fatalf("version 2 got %d of %d picks", n, picks)
	}
}

// racingAliases lets an operator's rollback land between a check's read of
// the release and its write.
type racingAliases struct {
	*release.StoreAliases
	race func()
}

func (a *racingAliases) SetAlias(ctx context.Context, fn, alias string, r release.Routing) error {
	if race := a.race; race != nil {
		a.race = nil
		race()
	}
	return a.StoreAliases.SetAlias(ctx, fn, alias, r)
}

func TestARollbackRacingACheckWins(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	racing := &racingAliases{StoreAliases: h.aliases}
	rs, _ := release.New(release.Config{Store: h.st, Aliases: racing, Counter: h.counter, Now: h.clk.Now})
	if _, err := rs.Start(ctx, release.Spec{ID: "rel", Function: "checkout", Version: "2", Weights: []float64{10, 50}}); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(10 * time.Minute)
	h.traffic("2", 50, 0, 10)
	racing.race = func() {
		if _, err := h.rs.Rollback(ctx, "rel", "bob", "stop"); err != nil {
			t.Error(err)
		}
	}
	if _, err := rs.Check(ctx, "rel"); err == nil {
		t.Fatal("the check that lost the race says so, so the state machine runs it again")
	}
	if r := h.routing(); r.Version != "1" || len(r.Weights) != 0 {
		t.Fatalf("the rollback won but the alias routes %+v", r)
	}
	if o, err := rs.Check(ctx, "rel"); err != nil || o.State != release.RolledBack || !o.Done {
		t.Fatalf("the retried check: %+v %v", o, err)
	}
}

func TestBusDownDelaysEventsNotDecisions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.rs.Start(ctx, release.Spec{ID: "rel", Function: "checkout", Version: "2", Weights: []float64{10, 50}}); err != nil {
		t.Fatal(err)
	}
	h.failPub = true
	h.clk.Advance(10 * time.Minute)
	h.traffic("2", 50, 0, 10)
	if _, err := h.rs.Check(ctx, "rel"); err == nil {
		t.Fatal("an unpublished decision is reported, so the state machine's retry sends it")
	}
	if r := h.routing(); r.Share("2") != 0.5 {
		t.Fatalf("the healthy step was not taken: %+v", r)
	}
	h.failPub = false
	if o := h.check("rel"); o.Decision != "waiting" || o.Weight != 50 {
		t.Fatalf("%+v", o)
	}
	if got := strings.Join(h.kinds(), ","); got != "started,stepped" || h.events[1].id != "rel/2" {
		t.Fatalf("events %s", got)
	}
}

type countingStore struct {
	store.Store
	transactions int
}

func (s *countingStore) Transact(ctx context.Context, ops []store.Op) error {
	s.transactions++
	return s.Store.Transact(ctx, ops)
}

func TestABatchIsOneTransaction(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 14, 0, 30, 0, time.UTC))
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	c := &release.Counter{Store: st}
	var evs []slo.Event
	for i := range 10 {
		evs = append(evs, slo.Event{ID: fmt.Sprint(i), Time: clk.Now(), Service: "checkout", Status: "ok", DurationMs: 20, Version: "2"})
	}
	for _, err := range c.Count(context.Background(), evs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Read(context.Background(), "checkout", "2", clk.Now(), clk.Now())
	if st.transactions != 1 || err != nil || w.Requests != 10 {
		t.Fatalf("%d transactions, %d requests counted (%v)", st.transactions, w.Requests, err)
	}
}
