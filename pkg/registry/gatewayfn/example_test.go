package gatewayfn_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/registry/gatewayfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// functions/event-gateway/main.go is wiring.Main(gatewayfn.Name,
// gatewayfn.Build); here Build gets embedded ports with a recording bus, and
// the function it returns publishes a valid event and acknowledges it.
func Example() {
	catalog, err := events.NewCatalog()
	if err != nil {
		fmt.Println(err)
		return
	}
	published := &bustest.Recorder{}
	fn, err := gatewayfn.Build(wiring.Ports{
		Store: memory.New(memory.Config{}), Bus: published, Catalog: catalog,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fn.Name, fn.Triggers[0].Kind)

	ctx := context.Background()
	ev, _ := events.New(ctx, events.TypeRequestCompleted, "https://shop.example.com",
		events.RequestCompleted{Service: "payments", Operation: "Charge", Status: events.StatusOK, DurationMs: 12},
		events.ID("evt-1"))
	reply, err := fn.Handler(ctx, ev)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("published:", published.Types())
	fmt.Println("reply:", reply.Type())
	// Output:
	// event-gateway http
	// published: [dev.cogniforge.request.completed.v1]
	// reply: dev.cogniforge.gateway.accepted.v1
}
