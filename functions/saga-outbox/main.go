// Command saga-outbox is the saga outbox relay: on a schedule it publishes
// the saga-level events (started, completed, compensated, stuck) that a
// step function accepted into a saga record but could not publish (see
// pkg/saga Relay). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/ordersfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(ordersfn.OutboxRelay, ordersfn.RelayBuilder())) }
