// Command event-gateway is CogniForge's front door: an HTTP function (a
// Lambda function URL, Cloud Run, or plain CloudEvents HTTP on $PORT) that
// validates CloudEvents against the catalog and publishes the valid ones to
// the event bus. See package pkg/gateway. This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/gatewayfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(gatewayfn.Name, gatewayfn.Build)) }
