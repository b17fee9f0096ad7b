// Command saga-outbox is the saga outbox relay: on a schedule it publishes
// the saga-level events (started, completed, compensated, stuck) that a
// step function accepted into a saga record but could not publish (see
// pkg/saga Relay). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/platform"
)

func main() { os.Exit(platform.Main(orders.OutboxRelay, orders.RelayBuilder())) }
