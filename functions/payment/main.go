// Command payment is the payment service of the order fulfilment saga: one Step
// Functions task function serving both phases of the "payment" step (see
// pkg/orders and pkg/saga). This file is only wiring.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := platform.Serve(ctx, orders.Payment, orders.Builder(orders.Payment))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
