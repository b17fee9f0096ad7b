// Package gatewayfn builds the event gateway function from its ports: the
// wiring between pkg/gateway and a deployable function, kept out of the
// business package. functions/event-gateway/main.go and the registry use it.
package gatewayfn

import (
	"context"
	"os"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = gateway.Name

// EventBus is the downstream the gateway publishes to (PutEvents in AWS),
// as named in config/resilience/event-gateway.yaml.
const EventBus = "event-bus"

// Downstreams are the calls the gateway makes, with their defaults:
// publishing is retried (subscribers deduplicate on the event id), each
// attempt bounded to 5 s inside the invocation's deadline.
var Downstreams = map[string]resilience.Downstream{
	EventBus: {Kind: resilience.KindExternal, Idempotent: true, AttemptTimeout: 5 * time.Second},
}

// Build is the gateway's wiring.Builder: the bus and catalog from the ports,
// publishing through the event-bus policy (timeout, retry, shared breaker,
// bulkhead), every accepted event acknowledged with a reply.
func Build(p wiring.Ports) (faas.Function, error) {
	reg, err := resiliencefn.Registry(context.Background(), p, Name, Downstreams, os.Getenv)
	if err != nil {
		return faas.Function{}, err
	}
	policy, err := reg.Policy(EventBus)
	if err != nil {
		return faas.Function{}, err
	}
	return gateway.New(gateway.Config{Publisher: resilience.Publisher{Policy: policy, Next: p.Bus}, Catalog: p.Catalog, Acknowledge: true, Now: p.Now})
}
