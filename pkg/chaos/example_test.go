package chaos_test

import (
	"context"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// A fault stored through a Manager fails the payment function's forward
// phase with a named error, as an ASL Catch sees it, until it expires.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := &chaos.MemoryStore{}
	m := chaos.Manager{Store: store, Now: clock, Limits: chaos.Limits{Functions: []string{"payment"}}}
	f, err := m.Inject(ctx, chaos.Fault{
		ID: "payment-down", Function: "payment", Kind: chaos.KindError,
		Match: []chaos.Matcher{{Field: "data.phase", Op: chaos.OpEquals, Value: "forward"}},
		For:   chaos.Duration(10 * time.Minute),
	})
	fmt.Println(f.ID, f.ExpiresAt.Format(time.Kitchen), err)

	inj, _ := chaos.New(chaos.Config{Function: "payment", Source: store, Now: clock})
	h := inj.Middleware()(func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil })
	for _, phase := range []string{"forward", "compensation"} {
		ev := cloudevents.New()
		ev.SetID("1")
		ev.SetSource("//example")
		ev.SetType("dev.cogniforge.saga.task.v1")
		_ = ev.SetData("application/json", map[string]string{"phase": phase})
		_, err := h(ctx, ev)
		fmt.Printf("%s: %q\n", phase, faas.ErrorName(err))
	}
	// Output:
	// payment-down 1:10AM <nil>
	// forward: "Chaos.InjectedError"
	// compensation: ""
}
