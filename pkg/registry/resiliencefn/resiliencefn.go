// Package resiliencefn builds a function's call policies from its ports:
// the user's configuration (config/resilience/<function>.yaml through the
// configuration source, else $COGNIFORGE_RESILIENCE), the store that
// shares the breakers, the bus that carries their events, and the global
// OpenTelemetry meter provider (a no-op unless the process set one). The
// builders in pkg/registry call it once at cold start.
package resiliencefn

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Registry resolves the configuration of function over the downstreams it
// declares and builds its policies. getenv reads $COGNIFORGE_RESILIENCE
// (os.Getenv in a function). An invalid configuration is an error naming
// every wrong field: the function does not start half-configured.
func Registry(ctx context.Context, p wiring.Ports, function string, declared map[string]resilience.Downstream, getenv func(string) string) (*resilience.Registry, error) {
	files := map[string][]byte{}
	if p.Config != nil {
		fs, err := p.Config(ctx, resilience.ConfigKind)
		if err != nil {
			return nil, fmt.Errorf("resilience configuration: %w", err)
		}
		for _, f := range fs {
			files[f.Name] = f.Data
		}
	}
	env := ""
	if getenv != nil {
		env = getenv(resilience.EnvConfig)
	}
	user, err := resilience.LoadConfig(function, files, env)
	if err != nil {
		return nil, err
	}
	downstreams, table, err := resilience.Resolve(declared, user)
	if err != nil {
		return nil, fmt.Errorf("resilience configuration of %s: %w", function, err)
	}
	return resilience.NewRegistry(resilience.RegistryConfig{
		Function: function, Downstreams: downstreams, Bulkheads: table,
		Store: p.Store, Publisher: p.Bus, Logger: p.Logger,
		Meter: otel.GetMeterProvider().Meter("github.com/cogniforge/cogniforge/pkg/resilience"),
	})
}

// AdminName is the resilience-admin function's name.
const AdminName = resilience.AdminName

// BuildAdmin is the resilience-admin function's wiring.Builder: the
// breakers of the ports' store, force events on the ports' bus.
func BuildAdmin(p wiring.Ports) (faas.Function, error) {
	if p.Store == nil {
		return faas.Function{}, errors.New("resilience-admin: no store in the ports")
	}
	return resilience.NewAdminFunction(&resilience.Admin{Store: p.Store, Publisher: p.Bus, Now: p.Now}), nil
}
