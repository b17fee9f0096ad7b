package incident_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/incident"
)

// run drives the escalator as the state machine does: a step, its wait on
// the virtual clock, the next step, until done; ack acknowledges once the
// clock reaches it. It returns the deliveries in order.
func run(t *testing.T, f *fixture, e *incident.Escalator, id string, ack time.Duration, failing string) []string {
	t.Helper()
	var got []string
	e.Deliver = func(_ context.Context, d incident.Delivery) error {
		got = append(got, fmt.Sprintf("%s@%s:l%d:%s:%s", d.Incident.ID, f.now.Sub(t0), d.Step.Level, d.Target, d.Channel))
		if d.Channel == failing {
			return errors.New("Notify.CircuitOpen: breaker open")
		}
		return nil
	}
	in := incident.StepInput{IncidentID: id}
	acked := false
	for i := 0; i < 20; i++ {
		if ack > 0 && !acked && f.now.Sub(t0) >= ack {
			if _, err := f.m.Acknowledge(context.Background(), id, "alice"); err != nil {
				t.Fatal(err)
			}
			acked = true
		}
		out, err := e.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Done {
			return got
		}
		f.now = f.now.Add(time.Duration(out.WaitSeconds) * time.Second)
		in = incident.StepInput{IncidentID: id, Step: out.Step}
	}
	t.Fatal("the escalation never ended")
	return nil
}

func TestEscalatorAckAtEachLevel(t *testing.T) {
	p, err := incident.ParsePolicies("p.yaml", []byte(policyYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ack     time.Duration
		failing string
		want    int // deliveries
	}{
		{0, "", 6},                // never acknowledged: two rounds of two levels
		{1 * time.Second, "", 2},  // acked during level 1: level 2 never pages
		{6 * time.Minute, "", 3},  // acked during level 2
		{16 * time.Minute, "", 5}, // acked in the second round
		// A failing channel does not stop the escalation: level 2 pages.
		{6 * time.Minute, "slack", 3},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.ack, tt.failing), func(t *testing.T) {
			f := newFixture(t)
			in, _, err := f.m.Handle(context.Background(), sloAlert(fmt.Sprint("e", i), "", 0.9))
			if err != nil {
				t.Fatal(err)
			}
			e := &incident.Escalator{Manager: f.m, Policies: p, Roster: roster{t0}, Now: func() time.Time { return f.now }}
			got := run(t, f, e, in.ID, tt.ack, tt.failing)
			if len(got) != tt.want {
				t.Errorf("deliveries %v, want %d", got, tt.want)
			}
			final, _ := f.m.Get(context.Background(), in.ID)
			notified, failed := 0, 0
			for _, e := range final.Timeline {
				switch e.Kind {
				case incident.EntryNotified:
					notified++
				case incident.EntryNotifyFailed:
					failed++
				}
			}
			if notified+failed != tt.want || (tt.failing != "" && failed == 0) {
				t.Errorf("timeline records %d notified and %d failed, want %d in all", notified, failed, tt.want)
			}
		})
	}
}

func TestFollowUpsOncePerPagedChannel(t *testing.T) {
	p, _ := incident.ParsePolicies("p.yaml", []byte(policyYAML), nil)
	f := newFixture(t)
	in, _, _ := f.m.Handle(context.Background(), sloAlert("f1", "", 0.9))
	e := &incident.Escalator{Manager: f.m, Policies: p, Roster: roster{t0}, Now: func() time.Time { return f.now }}
	run(t, f, e, in.ID, 6*time.Minute, "")
	got, _ := f.m.Get(context.Background(), in.ID)
	var chans []string
	for _, fu := range incident.FollowUps(got, "resolve") {
		chans = append(chans, fmt.Sprintf("%s:%d", fu.Channel, len(fu.Targets)))
		if fu.Key != in.ID+"/resolve/"+fu.Channel {
			t.Errorf("key %q", fu.Key)
		}
	}
	// Level 1 paged bob and alice on slack, level 2 dave on pagerduty.
	if fmt.Sprint(chans) != "[slack:2 pagerduty:1]" {
		t.Errorf("follow-ups %v", chans)
	}
}
