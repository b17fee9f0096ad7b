package incident_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/incident"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

var t0 = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

type fixture struct {
	m         *incident.Manager
	now       time.Time
	published []string
	fail      bool
	mu        sync.Mutex
}

func newFixture(t *testing.T, maint ...incident.Maintenance) *fixture {
	t.Helper()
	f := &fixture{now: t0}
	n := 0
	var err error
	f.m, err = incident.New(incident.Config{
		Store: memory.New(memory.Config{Now: func() time.Time { return f.now }}),
		Now:   func() time.Time { return f.now },
		NewID: func() string { f.mu.Lock(); defer f.mu.Unlock(); n++; return fmt.Sprintf("inc-%d", n) },
		Publish: func(_ context.Context, in *incident.Incident, c incident.Change) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.fail {
				return errors.New("bus down")
			}
			f.published = append(f.published, in.ID+":"+c.Kind)
			return nil
		},
		Maintenance: maint,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func budget(x float64) *float64 { return &x }

func sloAlert(id, action string, b float64) incident.Alert {
	return incident.Alert{ID: id, Action: action, Source: incident.SourceSLO, DedupKey: "slo/checkout-availability/page",
		Title: "checkout-availability burns its budget", Service: "checkout", SourceSeverity: "page",
		SLO: "checkout-availability", BudgetRemaining: budget(b)}
}

func TestDedupKeyAttachesAndResolveAlertResolves(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in, out, err := f.m.Handle(ctx, sloAlert("a1", "", 0.9))
	if err != nil || out != incident.Opened || in.Severity != incident.SEV2 {
		t.Fatalf("first alert: %v %v %+v", out, err, in)
	}
	f.now = f.now.Add(time.Minute)
	in2, out, err := f.m.Handle(ctx, sloAlert("a2", "", 0.85))
	if err != nil || out != incident.Attached || in2.ID != in.ID || in2.Alerts != 2 {
		t.Fatalf("second alert with the same key: %v %v %+v", out, err, in2)
	}
	// The first alert delivered again changes nothing.
	if _, out, _ := f.m.Handle(ctx, sloAlert("a1", "", 0.9)); out != incident.Duplicate {
		t.Errorf("redelivered alert: %v, want duplicate", out)
	}
	f.now = f.now.Add(30 * time.Minute)
	res, out, err := f.m.Handle(ctx, sloAlert("a3", incident.ActionResolve, 0.7))
	if err != nil || out != incident.Closed || res.State != incident.Resolved {
		t.Fatalf("resolve alert: %v %v %+v", out, err, res)
	}
	if res.SLO == nil || *res.SLO.BudgetAtOpen != 0.9 || *res.SLO.BudgetAtResolve != 0.7 {
		t.Errorf("SLO impact = %+v, want budget 0.9 at open and 0.7 at resolve", res.SLO)
	}
	kinds := []string{}
	for _, e := range res.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != "[triggered alert resolved]" {
		t.Errorf("timeline = %v", kinds)
	}
	// A new alert with the key opens a new incident.
	in4, out, _ := f.m.Handle(ctx, sloAlert("a4", "", 0.6))
	if out != incident.Opened || in4.ID == in.ID {
		t.Errorf("alert after resolve: %v %s, want a new incident", out, in4.ID)
	}
	if got := fmt.Sprint(f.published); got != "[inc-1:triggered inc-1:updated inc-1:resolved inc-2:triggered]" {
		t.Errorf("published %s", got)
	}
}

func TestTransitionsRefusedLeaveStateUntouched(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in, _, _ := f.m.Handle(ctx, sloAlert("a1", "", 0.9))
	if _, err := f.m.Acknowledge(ctx, in.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Resolve(ctx, in.ID, "alice", "fixed"); err != nil {
		t.Fatal(err)
	}
	before, _ := f.m.Get(ctx, in.ID)
	for name, call := range map[string]func() error{
		"ack resolved":     func() error { _, err := f.m.Acknowledge(ctx, in.ID, "bob"); return err },
		"resolve resolved": func() error { _, err := f.m.Resolve(ctx, in.ID, "bob", ""); return err },
		"ack unknown":      func() error { _, err := f.m.Acknowledge(ctx, "inc-404", "bob"); return err },
		"empty note":       func() error { _, err := f.m.Note(ctx, in.ID, "bob", " "); return err },
		"alert without id": func() error { _, _, err := f.m.Handle(ctx, incident.Alert{DedupKey: "k", Title: "t"}); return err },
	} {
		err := call()
		if err == nil || faas.ErrorName(err) == "" || faas.ErrorName(err) == "errorString" {
			t.Errorf("%s: error %v, want a named error", name, err)
		}
	}
	after, _ := f.m.Get(ctx, in.ID)
	if len(after.Timeline) != len(before.Timeline) || after.State != incident.Resolved || after.AcknowledgedBy != "alice" {
		t.Errorf("refused calls changed the incident: %+v", after)
	}
}

func TestConcurrentAlertsOpenOneIncident(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, _, err := f.m.Handle(ctx, sloAlert(fmt.Sprint("c", i), "", 0.9)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	list, _ := f.m.List(ctx, incident.Filter{})
	if len(list) != 1 || list[0].Alerts != 20 {
		t.Errorf("incidents = %+v, want one with 20 alerts", list)
	}
}

func TestMaintenanceHoldsAlerts(t *testing.T) {
	f := newFixture(t, incident.Maintenance{Service: "checkout", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	ctx := context.Background()
	if in, out, err := f.m.Handle(ctx, sloAlert("m1", "", 0.9)); err != nil || out != incident.Held || in != nil {
		t.Errorf("alert in maintenance: %v %v %v", in, out, err)
	}
	f.now = t0.Add(2 * time.Hour)
	a := sloAlert("m2", "", 0.9)
	a.Time = f.now
	if _, out, _ := f.m.Handle(ctx, a); out != incident.Opened {
		t.Errorf("alert after maintenance: %v, want opened", out)
	}
}

func TestUnpublishedChangesAreSentAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.fail = true
	in, _, err := f.m.Handle(ctx, sloAlert("p1", "", 0.9))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.m.Get(ctx, in.ID)
	if len(got.Pending) != 1 {
		t.Fatalf("pending = %+v, want the triggered change", got.Pending)
	}
	f.fail = false
	// The alert delivered again publishes what is pending.
	if _, out, _ := f.m.Handle(ctx, sloAlert("p1", "", 0.9)); out != incident.Duplicate {
		t.Errorf("redelivery: %v", out)
	}
	got, _ = f.m.Get(ctx, in.ID)
	if len(got.Pending) != 0 || fmt.Sprint(f.published) != "[inc-1:triggered]" {
		t.Errorf("after redelivery: pending %+v, published %v", got.Pending, f.published)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, ackAfter := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
		f.now = t0.Add(time.Duration(i) * time.Hour)
		a := sloAlert(fmt.Sprint("x", i), "", 0.9)
		a.DedupKey = fmt.Sprint("k", i)
		in, _, _ := f.m.Handle(ctx, a)
		f.now = f.now.Add(ackAfter)
		_, _ = f.m.Acknowledge(ctx, in.ID, "alice")
		f.now = f.now.Add(10 * time.Minute)
		_, _ = f.m.Resolve(ctx, in.ID, "alice", "")
	}
	ms, err := f.m.Metrics(ctx, incident.Filter{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("metrics %+v %v", ms, err)
	}
	if m := ms[0]; m.MTTASeconds != 180 || m.MTTRSeconds != 780 || m.Count != 2 {
		t.Errorf("metrics = %+v, want MTTA 3m and MTTR 13m over 2", m)
	}
}
