// Package ordersfn builds the order saga's step functions (inventory,
// payment, shipping, order) from their ports: the wiring between pkg/orders
// and a deployable function, kept out of the business package so pkg/orders
// knows no environment. Each functions/<name>/main.go and the registry use it.
package ordersfn

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Builder returns the builder of one service (orders.Inventory,
// orders.Payment, orders.Shipping or orders.Order): the store, bus, clock and
// logger from the ports; the saga fault hook on when $COGNIFORGE_SAGA_FAULTS
// is "1" (tests inject failures through it).
func Builder(name string) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		s, err := orders.New(orders.Config{Store: p.Store, Now: p.Now, Saga: saga.Config{
			Bus: p.Bus, Logger: p.Logger, Faults: os.Getenv(saga.EnvFaults) == "1",
		}})
		if err != nil {
			return faas.Function{}, err
		}
		return s.Function(name)
	}
}
