package ordersfn_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/registry/ordersfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// functions/inventory/main.go hands this builder to wiring.Main; here it is
// built from embedded ports and invoked as the order saga's Step Functions
// task would invoke it on Lambda.
func Example() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	steps := &bustest.Recorder{}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ports := wiring.Ports{Store: memory.New(memory.Config{}), Bus: steps, Logger: quiet, Now: func() time.Time { return now }}

	fn, err := ordersfn.Builder(orders.Inventory)(ports)
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(quiet))
	// The task payload: which saga, which step and phase, and the saga input.
	for _, task := range []string{
		`{"sagaId":"o-1","step":"inventory","phase":"forward",
		  "input":{"orderId":"o-1","customerId":"c-1","items":[{"sku":"sku-2","quantity":3}]}}`,
		`{"sagaId":"o-2","step":"inventory","phase":"forward",
		  "input":{"orderId":"o-2","customerId":"c-1","items":[{"sku":"sku-empty","quantity":1}]}}`,
	} {
		out, err := inv.Invoke(context.Background(), []byte(task))
		if err != nil {
			fmt.Println(fn.Name, "refused:", faas.ErrorName(err))
			continue
		}
		fmt.Println(fn.Name, string(out))
	}
	// Every step outcome is published on the bus for the saga's observers.
	fmt.Println(steps.Types())
	// Output:
	// inventory {"reservationId":"o-1","items":[{"sku":"sku-2","quantity":3}],"totalCents":6000}
	// inventory refused: Saga.BusinessError
	// [dev.cogniforge.saga.step.succeeded.v1 dev.cogniforge.saga.step.failed.v1]
}
