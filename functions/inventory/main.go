// Command inventory is the inventory service of the order fulfilment saga: one Step
// Functions task function serving both phases of the "inventory" step (see
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
	err := platform.Serve(ctx, orders.Inventory, orders.Builder(orders.Inventory))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
