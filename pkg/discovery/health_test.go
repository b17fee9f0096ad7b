package discovery_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
)

func TestApplyCountsResultsInARow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		th      discovery.Thresholds
		results string // p = pass, f = failure
		want    []discovery.Health
	}{
		{"defaults: 2 passes", discovery.Thresholds{}, "pp", []discovery.Health{discovery.Unknown, discovery.Healthy}},
		{"defaults: 3 failures", discovery.Thresholds{}, "fff", []discovery.Health{discovery.Unknown, discovery.Unknown, discovery.Unhealthy}},
		{"a pass resets failures", discovery.Thresholds{}, "ffpfff", []discovery.Health{"unknown", "unknown", "unknown", "unknown", "unknown", "unhealthy"}},
		{"back after 2 passes", discovery.Thresholds{}, "fffpfpp", []discovery.Health{"unknown", "unknown", "unhealthy", "unhealthy", "unhealthy", "unhealthy", "healthy"}},
		{"configured 1 and 1", discovery.Thresholds{Fail: 1, Pass: 1}, "fpf", []discovery.Health{"unhealthy", "healthy", "unhealthy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := discovery.Instance{Service: "s", ID: "a", Health: discovery.Unknown}
			changes := 0
			for i, r := range tc.results {
				errText := ""
				if r == 'f' {
					errText = "status 503"
				}
				before := in.Health
				if c := in.Apply(tc.th, epoch, errText); c != nil {
					changes++
					if c.From != before || c.To != in.Health || c.Seq != int64(changes) {
						t.Errorf("result %d: change %+v", i, c)
					}
				}
				if in.Health != tc.want[i] {
					t.Fatalf("after result %d (%c): %s, want %s", i, r, in.Health, tc.want[i])
				}
			}
		})
	}
}

type published struct {
	mu   sync.Mutex
	evs  []discovery.HealthChange
	fail error
}

func (p *published) publish(_ context.Context, c discovery.HealthChange) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.evs = append(p.evs, c)
	return nil
}

func (p *published) take() []discovery.HealthChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.evs
	p.evs = nil
	return out
}

// Real endpoints: one healthy, one answering 503, one that never answers
// in time; the registry moves each after the configured results in a row
// and every transition is published once.
func TestCheckerTransitionsAfterNResults(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	good, bad := discoverytest.NewEndpoint(t), discoverytest.NewEndpoint(t)
	bad.SetHealthy(false)
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); slow.Close() })
	for id, hu := range map[string]string{"good": good.HealthURL(), "bad": bad.HealthURL(), "slow": slow.URL, "none": ""} {
		if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: id, URL: "http://" + id, HealthURL: hu, TTL: discovery.Duration(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	pub := &published{}
	ck, err := discovery.NewChecker(discovery.CheckerConfig{Registry: r, Publish: pub.publish, Timeout: 100 * time.Millisecond, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	health := func() map[string]discovery.Health {
		all, err := r.Instances(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]discovery.Health{}
		for _, in := range all {
			out[in.ID] = in.Health
		}
		return out
	}
	want := []map[string]discovery.Health{
		{"good": "unknown", "bad": "unknown", "slow": "unknown", "none": "unknown"},
		{"good": "healthy", "bad": "unknown", "slow": "unknown", "none": "unknown"},
		{"good": "healthy", "bad": "unhealthy", "slow": "unhealthy", "none": "unknown"},
	}
	for run, w := range want {
		clk.Advance(time.Minute)
		rep, err := ck.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Checked != 3 {
			t.Fatalf("run %d checked %d", run, rep.Checked)
		}
		got := health()
		for id, h := range w {
			if got[id] != h {
				t.Fatalf("run %d: %s is %s, want %s (all %v)", run, id, got[id], h, got)
			}
		}
	}
	evs := pub.take()
	if len(evs) != 3 {
		t.Fatalf("published %+v", evs)
	}
	slowIn, _ := r.Get(ctx, "s", "slow")
	if !strings.Contains(slowIn.LastError, "no answer within 100ms") || slowIn.Routable {
		t.Errorf("slow: %+v", slowIn)
	}
	// The bad one recovers after two passes, not one.
	bad.SetHealthy(true)
	clk.Advance(time.Minute)
	if _, err := ck.Check(ctx); err != nil || health()["bad"] != discovery.Unhealthy {
		t.Fatalf("after one pass: %v %v", health(), err)
	}
	clk.Advance(time.Minute)
	rep, err := ck.Check(ctx)
	if err != nil || health()["bad"] != discovery.Healthy || len(rep.Changes) != 1 {
		t.Fatalf("after two passes: %v %+v %v", health(), rep, err)
	}
	evs = pub.take()
	if len(evs) != 1 || evs[0].ID != "bad" || evs[0].From != discovery.Unhealthy || evs[0].To != discovery.Healthy || evs[0].Seq != 2 {
		t.Fatalf("recovery published %+v", evs)
	}
}

// A transition the bus refused stays pending and is published by the next
// check, with the same event id.
func TestCheckerRepublishesPendingTransitions(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	ep := discoverytest.NewEndpoint(t)
	if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: "a", URL: "http://a", HealthURL: ep.HealthURL()}); err != nil {
		t.Fatal(err)
	}
	pub := &published{fail: errors.New("bus down")}
	ck, err := discovery.NewChecker(discovery.CheckerConfig{Registry: r, Publish: pub.publish, Thresholds: discovery.Thresholds{Pass: 1}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ck.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "bus down") || len(rep.Changes) != 1 {
		t.Fatalf("check with the bus down: %+v %v", rep, err)
	}
	in, _ := r.Get(ctx, "s", "a")
	if in.Health != discovery.Healthy || len(in.Pending) != 1 {
		t.Fatalf("after a refused publish: %+v", in)
	}
	pub.fail = nil
	clk.Advance(time.Minute)
	rep, err = ck.Check(ctx)
	if err != nil || rep.Announced != 1 || len(rep.Changes) != 0 {
		t.Fatalf("next check: %+v %v", rep, err)
	}
	evs := pub.take()
	if len(evs) != 1 || evs[0].EventID() != rep0ID(t, in) {
		t.Fatalf("republished %+v", evs)
	}
	in, _ = r.Get(ctx, "s", "a")
	if len(in.Pending) != 0 {
		t.Fatalf("still pending: %+v", in.Pending)
	}
}

func rep0ID(t *testing.T, in discovery.Instance) string {
	t.Helper()
	return in.Pending[0].EventID()
}

func TestNewCheckerBadConfig(t *testing.T) {
	r, _ := newRegistry(t)
	_, err := discovery.NewChecker(discovery.CheckerConfig{Registry: r, Thresholds: discovery.Thresholds{Fail: -1, Pass: -2}, Timeout: -time.Second})
	for _, f := range []string{"failThreshold", "passThreshold", "timeout"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%v does not name %s", err, f)
		}
	}
}

// Results that change nothing (same state, counters at their threshold,
// same error) are written once per QuietWrite, not once per check.
func TestRecordSkipsWritesThatChangeNothing(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: "a", URL: "http://a", HealthURL: "http://a/health", TTL: discovery.Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	record := func(errText string) discovery.Instance {
		t.Helper()
		clk.Advance(time.Minute)
		in, _, err := r.Record(ctx, "s", "a", discovery.Thresholds{}, clk.Now(), errText)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	record("")
	in := record("")
	if in.Health != discovery.Healthy || in.Passes != 2 {
		t.Fatalf("after two passes: %+v", in)
	}
	written := in.Version
	for range 4 { // minutes 3 to 6: within QuietWrite of the last write at minute 2
		if in = record(""); in.Version != written || in.Passes != 2 || in.Health != discovery.Healthy {
			t.Fatalf("an unchanged pass was written: %+v", in)
		}
	}
	if in = record(""); in.Version != written+1 || !in.LastCheck.Equal(clk.Now()) {
		t.Fatalf("after QuietWrite: version %d (want %d), last check %v", in.Version, written+1, in.LastCheck)
	}
	// Failures: counted to the threshold, then quiet while the error stays the same.
	for i := 1; i <= 3; i++ {
		if in = record("status 503"); in.Failures != i {
			t.Fatalf("failure %d: %+v", i, in)
		}
	}
	written = in.Version
	if in = record("status 503"); in.Version != written || in.Failures != 3 || in.Health != discovery.Unhealthy {
		t.Fatalf("a repeated failure was written: %+v", in)
	}
	if in = record("status 500"); in.Version != written+1 || in.LastError != "status 500" {
		t.Fatalf("a new error was not written: %+v", in)
	}
}
