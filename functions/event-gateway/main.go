// Command event-gateway is CogniForge's front door: an HTTP function (a
// Lambda function URL, Cloud Run, or plain CloudEvents HTTP on $PORT) that
// validates CloudEvents against the catalog and publishes the valid ones to
// the event bus. See package pkg/gateway. This file is only wiring.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := platform.Serve(ctx, gateway.Name, gateway.Build)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
