package incident_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/incident"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// Two alerts with one dedup key make one incident; the resolve alert
// resolves it; an ack of the resolved incident is refused by name.
func Example() {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	m, _ := incident.New(incident.Config{Store: memory.New(memory.Config{}), Now: func() time.Time { return now },
		NewID: func() string { return "inc-1" }})
	ctx := context.Background()
	alert := func(id, action string) incident.Alert {
		return incident.Alert{ID: id, Action: action, Source: incident.SourceSLO, SourceSeverity: "page",
			DedupKey: "slo/checkout-availability/page", Title: "checkout burns its budget", Service: "checkout"}
	}
	for _, a := range []incident.Alert{alert("a1", ""), alert("a2", ""), alert("a1", ""), alert("a3", incident.ActionResolve)} {
		in, out, _ := m.Handle(ctx, a)
		fmt.Println(a.ID, out, in.ID, in.Severity, in.State, in.Alerts)
	}
	_, err := m.Acknowledge(ctx, "inc-1", "alice")
	fmt.Println(err)
	// Output:
	// a1 opened inc-1 SEV2 triggered 1
	// a2 attached inc-1 SEV2 triggered 2
	// a1 duplicate inc-1 SEV2 triggered 2
	// a3 resolved inc-1 SEV2 resolved 2
	// Incident.InvalidTransition: incident inc-1 is resolved: it cannot be acknowledged
}
