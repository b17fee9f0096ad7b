package idempotency_test

import (
	"context"
	"errors"
	"fmt"

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
