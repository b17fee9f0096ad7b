// Command shipping is the shipping service of the order fulfilment saga: one Step
// Functions task function serving both phases of the "shipping" step (see
// pkg/orders and pkg/saga). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/registry/ordersfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(orders.Shipping, ordersfn.Builder(orders.Shipping))) }
