// Command shipping is the shipping service of the order fulfilment saga: one Step
// Functions task function serving both phases of the "shipping" step (see
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
	err := platform.Serve(ctx, orders.Shipping, orders.Builder(orders.Shipping))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
