// Command event-gateway is CogniForge's front door: an HTTP function (a
// Lambda function URL, Cloud Run, or plain CloudEvents HTTP on $PORT) that
// validates CloudEvents against the catalog and publishes the valid ones to
// the event bus. See package pkg/gateway. This file is only wiring.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/platform"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := telemetry.NewLogger(os.Stderr, gateway.Name, nil)
	fail := func(msg string, err error) {
		logger.ErrorContext(ctx, msg, "error", err.Error())
		os.Exit(1)
	}

	tel, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: gateway.Name})
	if err != nil {
		fail("telemetry setup", err)
	}
	defer tel.Shutdown(context.Background())

	ports, closePorts, err := platform.FromEnv(ctx, nil, logger)
	if err != nil {
		fail("platform ports", err)
	}
	defer closePorts()

	fn, err := gateway.Build(ports)
	if err != nil {
		fail("build function", err)
	}
	if err := faas.Start(ctx, fn,
		faas.WithLogger(logger),
		faas.WithTracerProvider(tel.TracerProvider()),
		faas.WithFlusher(tel),
	); err != nil {
		fail("serve", err)
	}
}
