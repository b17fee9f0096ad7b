// Command order-query is the order read model: it stores the saga events
// its queue receives in the event store, projects them into orders by
// status and by customer, and answers GET /orders and /orders/{id} (see
// pkg/orderview). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/orderviewfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(orderviewfn.Name, orderviewfn.Build)) }
