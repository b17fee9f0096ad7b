package incidentfn_test

import (
	"context"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// The repository's config/oncall loads: schedules, policies naming only
// schedules that exist, channels and reminders; the builders accept it.
func TestRepositoryOnCallConfig(t *testing.T) {
	p := wiring.Ports{Store: memory.New(memory.Config{}), Config: wiring.DirConfig("../../../config")}
	oc, err := incidentfn.LoadOnCall(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(oc.Schedules) == 0 || len(oc.Policies.Policies) == 0 || len(oc.Channels) == 0 || oc.Reminders == nil {
		t.Fatalf("config/oncall loaded %+v: want schedules, policies, channels and reminders", oc)
	}
	for _, b := range []wiring.Builder{incidentfn.BuildEscalator, incidentfn.BuildReminder} {
		if _, err := b(p); err != nil {
			t.Error(err)
		}
	}
	// primary's weekly layer hands off Mondays at 09:00 Berlin: 30 minutes
	// before, the incoming person is reminded, once per channel.
	at := time.Date(2026, 3, 30, 8, 40, 0, 0, mustZone(t, "Europe/Berlin"))
	due := oc.Reminders.Due(oc, at)
	found := false
	for _, r := range due {
		if r.Shift.Schedule == "primary" && r.Shift.Start.Equal(at.Add(20*time.Minute)) {
			found = true
		}
		if r.Shift.Start.Before(at) || r.Shift.Start.After(at.Add(30*time.Minute)) {
			t.Errorf("reminder %+v is not for a shift starting within the next 30 minutes", r)
		}
	}
	if !found {
		t.Errorf("no reminder for primary's 09:00 handoff: %+v", due)
	}
	// Run again five minutes later: the same shift's key is the same.
	again := oc.Reminders.Due(oc, at.Add(5*time.Minute))
	keys := map[string]bool{}
	for _, r := range due {
		keys[r.Key] = true
	}
	for _, r := range again {
		if r.Shift.Schedule == "primary" && r.Shift.Start.Equal(at.Add(20*time.Minute)) && !keys[r.Key] {
			t.Errorf("the same shift got another key: %s", r.Key)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
