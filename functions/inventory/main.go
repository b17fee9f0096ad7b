// Command inventory is the inventory service of the order fulfilment saga: one Step
// Functions task function serving both phases of the "inventory" step (see
// pkg/orders and pkg/saga). This file is only wiring.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/platform"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := telemetry.NewLogger(os.Stderr, orders.Inventory, nil)
	fail := func(msg string, err error) {
		logger.ErrorContext(ctx, msg, "error", err.Error())
		os.Exit(1)
	}
	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: orders.Inventory})
	if err != nil {
		fail("telemetry setup", err)
	}
	defer tel.Shutdown(context.Background())
	ports, closePorts, err := platform.FromEnv(ctx, nil, logger)
	if err != nil {
		fail("platform ports", err)
	}
	defer closePorts()
	fn, err := orders.Builder(orders.Inventory)(ports)
	if err != nil {
		fail("build function", err)
	}
	if err := faas.Start(ctx, fn, faas.WithLogger(logger), faas.WithValidator(ports.Catalog),
		faas.WithTracerProvider(tel.TracerProvider()), faas.WithFlusher(tel)); err != nil {
		fail("serve", err)
	}
}
