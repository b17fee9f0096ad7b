// Package ordersfn builds the order saga's step functions (inventory,
// payment, shipping, order) from their ports: the wiring between pkg/orders
// and a deployable function, kept out of the business package so pkg/orders
// knows no environment. Each functions/<name>/main.go and the registry use it.
package ordersfn

import (
	"context"
	"os"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// StoreDownstream is the saga steps' store (DynamoDB in AWS), as named in
// config/resilience/<step>.yaml.
const StoreDownstream = "store"

// Downstreams are the calls a saga step makes through a policy: its store
// calls, with the database bulkhead; reads and unconditional writes retried
// (resilience.Store never retries a conditional write, an Add or a
// transaction). No breaker: its state would live in the very store it
// guards.
var Downstreams = map[string]resilience.Downstream{
	StoreDownstream: {Kind: resilience.KindDatabase, Idempotent: true, NoBreaker: true},
}

// Builder returns the builder of one service (orders.Inventory,
// orders.Payment, orders.Shipping or orders.Order): the store (through the
// store call policy), bus, clock and logger from the ports; the saga fault
// hook on when $COGNIFORGE_SAGA_FAULTS is "1" (tests inject failures
// through it).
func Builder(name string) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		reg, err := resiliencefn.Registry(context.Background(), p, name, Downstreams, os.Getenv)
		if err != nil {
			return faas.Function{}, err
		}
		policy, err := reg.Policy(StoreDownstream)
		if err != nil {
			return faas.Function{}, err
		}
		s, err := orders.New(orders.Config{Store: resilience.Store{Policy: policy, Next: p.Store}, Now: p.Now, Saga: saga.Config{
			Bus: p.Bus, Logger: p.Logger, Faults: os.Getenv(saga.EnvFaults) == "1",
		}})
		if err != nil {
			return faas.Function{}, err
		}
		return s.Function(name)
	}
}

// OutboxRelay is the name of the function that drains the saga outbox.
const OutboxRelay = "saga-outbox"

// RelayBuilder returns the builder of the saga outbox relay: a scheduled
// function (saga.RelaySchedule) publishing, over the same store and bus as
// the step functions, the saga events they accepted but could not publish.
func RelayBuilder() wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		return saga.NewRelayFunction(OutboxRelay, saga.RelayConfig{Store: p.Store, Bus: p.Bus, Now: p.Now, Logger: p.Logger})
	}
}
