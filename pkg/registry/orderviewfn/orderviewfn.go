// Package orderviewfn builds the order-query function (the order read
// model, pkg/orderview) from its ports: the event store and the model both
// live in the ports' store (DynamoDB in AWS, the embedded store locally).
package orderviewfn

import (
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = orderview.FunctionName

// Build is the order-query's wiring.Builder.
func Build(p wiring.Ports) (faas.Function, error) {
	es, err := eventstore.New(eventstore.Config{Store: p.Store, Now: p.Now})
	if err != nil {
		return faas.Function{}, err
	}
	return orderview.NewFunction(orderview.Config{Events: es, Logger: p.Logger, Now: p.Now})
}
