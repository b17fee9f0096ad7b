// Package gatewayfn builds the event gateway function from its ports: the
// wiring between pkg/gateway and a deployable function, kept out of the
// business package. functions/event-gateway/main.go and the registry use it.
package gatewayfn

import (
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = gateway.Name

// Build is the gateway's wiring.Builder: the bus and catalog from the ports,
// every accepted event acknowledged with a reply.
func Build(p wiring.Ports) (faas.Function, error) {
	return gateway.New(gateway.Config{Publisher: p.Bus, Catalog: p.Catalog, Acknowledge: true, Now: p.Now})
}
