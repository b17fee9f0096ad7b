package slo_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestCountRedeliveryAndRefusals(t *testing.T) {
	now := t0.Add(48 * time.Hour)
	st := memory.New(memory.Config{Now: func() time.Time { return now }})
	s := availability()
	agg, err := slo.NewAggregator(slo.AggregatorConfig{Store: st, SLOs: []slo.SLO{s}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(id string, at time.Time, status string) slo.Event {
		return slo.Event{Source: "test", ID: id, Time: at, Service: "checkout", Operation: "op", Status: status}
	}
	batch := []slo.Event{
		ev("a", now.Add(-time.Minute), "ok"),
		ev("b", now.Add(-time.Minute), "error"),
		ev("a", now.Add(-time.Minute), "ok"),                   // the same event twice in a batch
		ev("late", now.Add(-30*time.Hour), "error"),            // late: its own bucket
		ev("future", now.Add(time.Hour), "ok"),                 // too far ahead
		ev("old", now.Add(-40*24*time.Hour), "ok"),             // older than the longest window
		{Source: "test", ID: "other", Time: now, Service: "x"}, // no SLO selects it
	}
	rep, err := agg.Count(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counted != 3 || rep.Duplicates != 1 || rep.Unselected != 1 {
		t.Errorf("report = %+v, want 3 counted, 1 duplicate, 1 unselected", rep)
	}
	for i, want := range []string{"", "", "", "", slo.ErrNameEventInFuture, slo.ErrNameEventTooOld, ""} {
		var ee *slo.EventError
		got := ""
		if errors.As(rep.Errors[i], &ee) {
			got = ee.Name
		}
		if got != want {
			t.Errorf("event %d (%s): error %v, want %q", i, batch[i].ID, rep.Errors[i], want)
		}
	}
	if rep.Transactions != 1 {
		t.Errorf("transactions = %d, want 1 for the batch", rep.Transactions)
	}
	// Delivered again: nothing changes.
	rep2, err := agg.Count(context.Background(), batch[:4])
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Counted != 0 || rep2.Duplicates != 4 {
		t.Errorf("redelivery report = %+v, want 4 duplicates", rep2)
	}
	ev2, err := slo.NewEvaluator(slo.EvaluatorConfig{Store: st, SLOs: []slo.SLO{s}})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := ev2.Status(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := sts[0]; got.Total != 3 || got.Good != 1 {
		t.Errorf("window counts = %d good of %d, want 1 of 3", got.Good, got.Total)
	}
}

// reference computes a burn rate straight from the events: bad over total
// in [now-w, now), over the budget, scaled by how much of the window lies
// after the first event (see coverage in evaluate.go).
func reference(evs []slo.Event, target float64, now time.Time, w time.Duration) (float64, int64) {
	from := now.Add(-w)
	var bad, total int64
	first := time.Time{}
	for _, e := range evs {
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time.Truncate(time.Minute)
		}
		if !e.Time.Before(from) && e.Time.Before(now) {
			total++
			if e.Status != "ok" {
				bad++
			}
		}
	}
	if total == 0 {
		return 0, 0
	}
	cov := 1.0
	if first.After(from) {
		cov = float64(now.Sub(first)) / float64(w)
	}
	return float64(bad) / float64(total) / (1 - target) * cov, total
}

func TestEvaluatorMatchesReferenceOnRandomStreams(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			s := availability()
			end := t0.Add(time.Duration(1+rng.Intn(96)) * time.Hour)
			now := end.Add(time.Duration(rng.Intn(3600)) * time.Second).Truncate(time.Minute)
			st := memory.New(memory.Config{Now: func() time.Time { return now }})
			agg, _ := slo.NewAggregator(slo.AggregatorConfig{Store: st, SLOs: []slo.SLO{s}, Now: func() time.Time { return now }})
			errRate := rng.Float64() * 0.05
			var evs []slo.Event
			for tm := t0; tm.Before(end); tm = tm.Add(time.Duration(1+rng.Intn(120)) * time.Second) {
				st := "ok"
				if rng.Float64() < errRate {
					st = "error"
				}
				evs = append(evs, slo.Event{Source: "r", ID: fmt.Sprint(len(evs)), Time: tm, Service: "checkout", Status: st})
			}
			// Delivered in random batches, out of order, some twice.
			rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
			for i := 0; i < len(evs); i += 10 {
				b := append([]slo.Event(nil), evs[i:min(i+10, len(evs))]...)
				if rng.Intn(5) == 0 {
					b = append(b, evs[rng.Intn(len(evs))])
				}
				if rep, err := agg.Count(context.Background(), b); err != nil || rep.Failed() > 0 {
					t.Fatalf("count: %v %+v", err, rep)
				}
			}
			ev, _ := slo.NewEvaluator(slo.EvaluatorConfig{Store: st, SLOs: []slo.SLO{s}})
			sts, err := ev.Status(context.Background(), now)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range slo.StandardWindows {
				want, _ := reference(evs, s.Target, now, w)
				got := sts[0].BurnRates[slo.FormatWindow(w)]
				if math.Abs(got-want) > 1e-5*math.Max(1, want) {
					t.Errorf("burn rate over %s at %s = %v, reference %v", slo.FormatWindow(w), now, got, want)
				}
			}
			wantTotal := int64(0)
			for _, e := range evs {
				if e.Time.Before(now) {
					wantTotal++
				}
			}
			if sts[0].Total != wantTotal {
				t.Errorf("window total = %d, want %d", sts[0].Total, wantTotal)
			}
		})
	}
}

func TestHistoryEndsAtTheStatus(t *testing.T) {
	now := t0.Add(50 * time.Hour)
	st := memory.New(memory.Config{Now: func() time.Time { return now }})
	s := availability()
	agg, _ := slo.NewAggregator(slo.AggregatorConfig{Store: st, SLOs: []slo.SLO{s}, Now: func() time.Time { return now }})
	var evs []slo.Event
	for i, tm := 0, t0; tm.Before(now); i, tm = i+1, tm.Add(time.Minute) {
		status := "ok"
		if i%100 == 0 {
			status = "error"
		}
		evs = append(evs, slo.Event{Source: "h", ID: fmt.Sprint(i), Time: tm, Service: "checkout", Status: status})
	}
	for i := 0; i < len(evs); i += 50 {
		if _, err := agg.Count(context.Background(), evs[i:min(i+50, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	ev, _ := slo.NewEvaluator(slo.EvaluatorConfig{Store: st, SLOs: []slo.SLO{s}})
	pts, err := ev.History(context.Background(), s.Name, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sts, _ := ev.Status(context.Background(), now)
	if len(pts) != 30*24 {
		t.Fatalf("points = %d, want one an hour over 30 days", len(pts))
	}
	last := pts[len(pts)-1]
	if math.Abs(last.BudgetRemaining-sts[0].BudgetRemaining) > 1e-5 {
		t.Errorf("last point's budget %v, status %v", last.BudgetRemaining, sts[0].BudgetRemaining)
	}
	var total int64
	for i, p := range pts {
		total += p.Total
		if i > 0 && p.BudgetRemaining > pts[i-1].BudgetRemaining {
			t.Errorf("budget grew at %s: a burn-down never rises within one window", p.Time)
		}
	}
	if total != sts[0].Total {
		t.Errorf("history holds %d events, the window %d", total, sts[0].Total)
	}
	if _, err := ev.History(context.Background(), "nope", now, 0); err == nil {
		t.Error("History of an unknown SLO: no error")
	}
}

// With no SLO configured (a new deployment), events are accepted and
// counted nowhere: refusing them as too old would dead-letter every one.
func TestCountWithoutSLOs(t *testing.T) {
	now := t0
	st := memory.New(memory.Config{Now: func() time.Time { return now }})
	agg, err := slo.NewAggregator(slo.AggregatorConfig{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := agg.Count(context.Background(), []slo.Event{
		{Source: "test", ID: "a", Time: now.Add(-time.Minute), Service: "checkout", Operation: "op", Status: "ok"},
		{Source: "test", ID: "b", Time: now.Add(-40 * 24 * time.Hour), Service: "checkout", Operation: "op", Status: "ok"},
	})
	if err != nil || rep.Failed() != 0 || rep.Unselected != 2 || rep.Transactions != 0 {
		t.Fatalf("report %+v, %v; want both events unselected, no write, no failure", rep, err)
	}
}
