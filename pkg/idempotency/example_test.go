package idempotency_test

import (
	"context"
	"errors"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func ExampleDo() {
	g, err := idempotency.New(idempotency.Config{Store: memory.New(memory.Config{}), Namespace: "payments"})
	if err != nil {
		fmt.Println(err)
		return
	}
	charge := func(context.Context) (string, error) {
		fmt.Println("charging card")
		return "txn-1", nil
	}
	ctx := context.Background()
	payload := []byte(`{"orderId":"o-1","amount":42}`)
	first, _ := idempotency.Do(ctx, g, "o-1", payload, charge)
	again, _ := idempotency.Do(ctx, g, "o-1", payload, charge) // replayed, no second charge
	fmt.Println(first, again)

	_, err = idempotency.Do(ctx, g, "o-1", []byte(`{"orderId":"o-1","amount":43}`), charge)
	fmt.Println(errors.Is(err, idempotency.ErrPayloadMismatch))
	// Output:
	// charging card
	// txn-1 txn-1
	// true
}

func ExampleMiddleware() {
	mw, err := idempotency.Middleware(idempotency.Config{
		Store:     memory.New(memory.Config{}),
		Namespace: "orders",
		KeyPath:   "$.orderId", // duplicates are the same order, whatever their event ids
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	placeOrder := func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		fmt.Println("placing", ev.ID())
		reply := cloudevents.NewEvent()
		reply.SetID("confirmation-for-" + ev.ID())
		reply.SetSource("urn:cogniforge:orders")
		reply.SetType("com.cogniforge.order.confirmed")
		return &reply, nil
	}
	h := faas.Chain(placeOrder, mw)
	for _, id := range []string{"evt-1", "evt-2"} {
		ev := cloudevents.NewEvent()
		ev.SetID(id)
		ev.SetSource("urn:cogniforge:shop")
		ev.SetType("com.cogniforge.order.placed")
		_ = ev.SetData(cloudevents.ApplicationJSON, map[string]string{"orderId": "o-1"})
		reply, err := h(context.Background(), ev)
		fmt.Println(reply.ID(), err)
	}
	// Output:
	// placing evt-1
	// confirmation-for-evt-1 <nil>
	// confirmation-for-evt-1 <nil>
}
