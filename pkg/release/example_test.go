package release_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/release"
	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// A canary of version 2 gets 10% of the live alias; its first check finds
// a fifth of its calls failing and rolls the alias back.
func Example() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clk.Now})
	aliases := &release.StoreAliases{Store: st, Functions: []string{"checkout"}}
	_, _ = aliases.Publish(ctx, "checkout", "new checkout flow")
	counter := &release.Counter{Store: st}
	rs, _ := release.New(release.Config{Store: st, Aliases: aliases, Counter: counter, Now: clk.Now})

	r, err := rs.Start(ctx, release.Spec{ID: "rel-1", Function: "checkout", Version: "2", Strategy: release.Canary})
	if err != nil {
		fmt.Println(err)
		return
	}
	live, _ := aliases.Alias(ctx, "checkout", "live")
	fmt.Printf("%s: version 2 gets %v of live\n", r.State, live.Share("2"))

	clk.Advance(10 * time.Minute)
	var calls []slo.Event
	for i := range 50 {
		status := "ok"
		if i%5 == 0 {
			status = "error"
		}
		calls = append(calls, slo.Event{ID: fmt.Sprint(i), Time: clk.Now(), Service: "checkout", Status: status, DurationMs: 30, Version: "2"})
	}
	counter.Count(ctx, calls)
	o, _ := rs.Check(ctx, "rel-1")
	live, _ = aliases.Alias(ctx, "checkout", "live")
	fmt.Printf("%s: %s; live is on version %s\n", o.State, o.Reason, live.Version)
	// Output:
	// running: version 2 gets 0.1 of live
	// rolledback: error rate 0.2 over the maximum 0.05 (10 of 50 requests of version 2 failed); live is on version 1
}
