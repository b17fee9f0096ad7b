package gateway_test

import (
	"context"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/gateway"
)

// printPublisher stands in for the event bus.
type printPublisher struct{}

func (printPublisher) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	for _, e := range evs {
		fmt.Println("published", e.ID())
	}
	return make([]error, len(evs)), nil
}

func Example() {
	catalog, err := events.NewCatalog()
	if err != nil {
		panic(err)
	}
	fn, err := gateway.New(gateway.Config{Publisher: printPublisher{}, Catalog: catalog, Acknowledge: true})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	good, _ := events.New(ctx, events.TypeRequestCompleted, "https://shop.example.com",
		events.RequestCompleted{Service: "payments", Operation: "Charge", Status: events.StatusOK, DurationMs: 12},
		events.ID("evt-1"))
	reply, err := fn.Handler(ctx, good)
	fmt.Println(reply.Type(), err)

	bad, _ := events.New(ctx, events.TypeRequestCompleted, "https://shop.example.com",
		map[string]any{"service": "payments", "operation": "Charge", "status": "ok"}, events.ID("evt-2"))
	_, err = fn.Handler(ctx, bad)
	fmt.Println(err)
	// Output:
	// published evt-1
	// dev.cogniforge.gateway.accepted.v1 <nil>
	// invalid event evt-2: data.durationMs: is required
}
