package slo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
)

// availability is a 99.9% SLO over 30 days counting every checkout call.
func availability() slo.SLO {
	return slo.SLO{
		Name: "checkout-availability", Service: "checkout",
		Total: slo.Selector{Service: "checkout"}, Good: slo.Selector{Service: "checkout", Status: "ok"}, HasGood: true,
		Target: 0.999, Window: slo.Window{Rolling: 30 * 24 * time.Hour}, Budgeting: slo.Occurrences,
		Alerts: slo.DefaultAlerts(), MinEvents: slo.DefaultMinEvents,
	}
}

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// stream makes one event every gap from t0 for d; bad says which fail.
type phase struct {
	d   time.Duration
	bad func(i int) bool
}

func stream(gap time.Duration, phases ...phase) []slo.Event {
	var out []slo.Event
	t := t0
	n := 0
	for _, p := range phases {
		end := t.Add(p.d)
		for i := 0; t.Before(end); i++ {
			st := "ok"
			if p.bad(i) {
				st = "error"
			}
			out = append(out, slo.Event{Source: "test", ID: fmt.Sprint(n), Time: t, Service: "checkout", Operation: "POST /orders", Status: st, DurationMs: 20})
			n++
			t = t.Add(gap)
		}
	}
	return out
}

func never(int) bool  { return false }
func always(int) bool { return true }
func every(k int) func(int) bool {
	return func(i int) bool { return i%k == k-1 }
}

func replay(t *testing.T, s slo.SLO, evs []slo.Event) []slo.Transition {
	t.Helper()
	var out []slo.Transition
	i := 0
	err := slo.Replay(context.Background(), slo.ReplayConfig{SLOs: []slo.SLO{s}, Step: time.Minute,
		Emit:    func(tr slo.Transition) error { out = append(out, tr); return nil },
		Refused: func(e slo.Event, err error) { t.Errorf("event %s refused: %v", e.ID, err) },
	}, func() (slo.Event, bool, error) {
		if i == len(evs) {
			return slo.Event{}, false, nil
		}
		i++
		return evs[i-1], true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func find(ts []slo.Transition, severity, state string) (slo.Transition, bool) {
	for _, tr := range ts {
		if tr.Severity == severity && tr.State == state {
			return tr, true
		}
	}
	return slo.Transition{}, false
}

func TestReplayTotalOutagePagesAndResolves(t *testing.T) {
	healthy := 2 * time.Hour
	outage := 20 * time.Minute
	evs := stream(time.Second, phase{healthy, never}, phase{outage, always}, phase{3 * time.Hour, never})
	ts := replay(t, availability(), evs)
	start, recovery := t0.Add(healthy), t0.Add(healthy+outage)
	fire, ok := find(ts, "page", slo.Firing)
	if !ok {
		t.Fatalf("a total outage did not page: %+v", ts)
	}
	if d := fire.Time.Sub(start); d > 3*time.Minute || d <= 0 {
		t.Errorf("paged %s after the outage started, want within 3m", d)
	}
	res, ok := find(ts, "page", slo.Resolved)
	if !ok {
		t.Fatalf("the page never resolved: %+v", ts)
	}
	if d := res.Time.Sub(recovery); d > 40*time.Minute || d <= 0 {
		t.Errorf("page resolved %s after recovery, want within 40m", d)
	}
	for _, tr := range ts {
		t.Logf("%s %s %s after start %s, burn %+v over %v", tr.Severity, tr.State, tr.Time.Format("15:04"), tr.Time.Sub(start), tr.BurnRate, tr.Windows)
	}
	n := 0
	for _, tr := range ts {
		if tr.Severity == "page" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("page transitions = %d, want one firing and one resolved: %+v", n, ts)
	}
}

func TestReplaySlowBurnTicketsNeverPages(t *testing.T) {
	// 0.2% errors, twice the budget rate, from the SLO's first event: the
	// Workbook's arithmetic puts the 3d/6h ticket at half of 3 days.
	evs := stream(10*time.Second, phase{48 * time.Hour, every(500)})
	ts := replay(t, availability(), evs)
	if _, ok := find(ts, "page", slo.Firing); ok {
		t.Errorf("a 2x burn paged: %+v", ts)
	}
	tk, ok := find(ts, "ticket", slo.Firing)
	if !ok {
		t.Fatalf("a 2x burn over 48h opened no ticket: %+v", ts)
	}
	if d := tk.Time.Sub(t0); d < 34*time.Hour || d > 38*time.Hour {
		t.Errorf("ticket after %s, want about 36h: %+v", d, tk)
	}
}

func TestReplayQuietStreams(t *testing.T) {
	tests := []struct {
		name string
		evs  []slo.Event
	}{
		{"0.05% errors", stream(2*time.Second, phase{12 * time.Hour, every(2000)})},
		{"no errors", stream(time.Minute, phase{2 * time.Hour, never})},
		{"low traffic, all failing", stream(20*time.Minute, phase{2 * time.Hour, always})},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ts := replay(t, availability(), tt.evs); len(ts) != 0 {
				t.Errorf("transitions = %+v, want none", ts)
			}
		})
	}
}

func TestReplayShortSpikeResolves(t *testing.T) {
	// Five minutes of 50% errors, then healthy.
	evs := stream(time.Second, phase{3 * time.Hour, never}, phase{5 * time.Minute, every(2)}, phase{2 * time.Hour, never})
	ts := replay(t, availability(), evs)
	fire, ok := find(ts, "page", slo.Firing)
	if !ok {
		t.Fatalf("a 500x spike did not page: %+v", ts)
	}
	res, ok := find(ts, "page", slo.Resolved)
	if !ok || !res.Time.After(fire.Time) {
		t.Fatalf("the spike's page did not resolve: %+v", ts)
	}
	last := map[string]string{}
	for _, tr := range ts {
		last[tr.Severity] = tr.State
	}
	for sev, st := range last {
		if st != slo.Resolved {
			t.Errorf("%s is still %s at the end of a healthy stream", sev, st)
		}
	}
}

func TestReplayTimeslicesAndCustomRules(t *testing.T) {
	s := availability()
	s.Name = "checkout-slices"
	s.Budgeting = slo.Timeslices
	s.TimeSliceTarget = 0.95
	s.TimeSliceWindow = time.Minute
	s.Target = 0.99
	// One minute in ten has 10% errors: a bad slice; 10% bad slices burn
	// the 1% budget 10 times over.
	evs := stream(time.Second, phase{6 * time.Hour, func(i int) bool { return (i/60)%10 == 9 && i%10 == 0 }})
	ts := replay(t, s, evs)
	if fire, ok := find(ts, "page", slo.Firing); !ok || fire.Rule != "6h/30m" {
		t.Errorf("a 10x slice burn did not page on 6h/30m (threshold 6): %+v", ts)
	}
	s.Alerts = []slo.AlertRule{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Threshold: 12, Name: "fast"}}
	if ts := replay(t, s, evs); len(ts) != 0 {
		t.Errorf("a 10x burn fired a 12x rule: %+v", ts)
	}
	s.Alerts[0].Threshold = 8
	ts = replay(t, s, evs)
	fire, ok := find(ts, "page", slo.Firing)
	if !ok || fire.Rule != "fast" {
		t.Fatalf("a custom 8x rule did not page on a 10x slice burn: %+v", ts)
	}
}
