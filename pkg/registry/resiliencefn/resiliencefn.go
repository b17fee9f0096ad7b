// Package resiliencefn builds a function's call policies from its ports:
// the user's configuration (the function's versioned parameter
// /cogniforge/<env>/<function>/resilience when it is set, else
// config/resilience/<function>.yaml through the configuration source, else
// $COGNIFORGE_RESILIENCE), the store that
// shares the breakers, the bus that carries their events, and the global
// OpenTelemetry meter provider (a no-op unless the process set one). The
// builders in pkg/registry call it once at cold start.
package resiliencefn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// ParameterKey is the function's configuration parameter holding its
// resilience configuration (the config/resilience file format), under
// /cogniforge/<env>/<function>/: set with `cogniforge config set` (locally)
// or SSM, versioned and audited, it overrides the file and the environment
// on the instances started after the change. It is read only when
// $COGNIFORGE_ENV names the environment (Terraform sets it on every
// function, with the permission to read its own parameters).
const ParameterKey = "resilience"

// parameter is the shape wiring.FunctionConfig reads.
type parameter struct {
	Resilience string `config:"resilience"`
}

// Registry resolves the configuration of function over the downstreams it
// declares and builds its policies. getenv reads $COGNIFORGE_RESILIENCE
// and $COGNIFORGE_ENV (os.Getenv in a function). An invalid configuration
// is an error naming every wrong field: the function does not start
// half-configured. A parameter store that cannot be read (no permission, a
// throttle) is logged and the file or environment configuration used: the
// parameter is an override, and an outage of its store must not stop the
// function.
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
	from := ""
	if over, name, ok, err := fromParameter(ctx, p, function, getenv); err != nil {
		return nil, err
	} else if ok {
		if user, err = resilience.ParseConfig(name, []byte(over)); err != nil {
			return nil, err
		}
		from = " (parameter " + name + ")"
	}
	downstreams, table, err := resilience.Resolve(declared, user)
	if err != nil {
		return nil, fmt.Errorf("resilience configuration of %s%s: %w", function, from, err)
	}
	return resilience.NewRegistry(resilience.RegistryConfig{
		Function: function, Downstreams: downstreams, Bulkheads: table,
		Store: p.Store, Publisher: p.Bus, Logger: p.Logger,
		Meter: otel.GetMeterProvider().Meter("github.com/cogniforge/cogniforge/pkg/resilience"),
	})
}

// fromParameter reads the function's resilience parameter: its value and
// path, and whether it is set. Only a bad environment name is an error.
func fromParameter(ctx context.Context, p wiring.Ports, function string, getenv func(string) string) (string, string, bool, error) {
	// Only a deployment that names its environment reads parameters: the
	// read costs a store (SSM) call and an audit record at cold start.
	if getenv == nil || getenv(wiring.EnvEnvironment) == "" || (p.Store == nil && p.AWS == nil) {
		return "", "", false, nil
	}
	env, err := wiring.Environment(getenv)
	if err != nil {
		return "", "", false, err
	}
	loader, err := wiring.FunctionConfig[parameter](p, getenv, function, nil, config.LoaderConfig{})
	if err != nil {
		return "", "", false, err
	}
	v, err := loader.Get(ctx)
	if err != nil {
		if p.Logger != nil {
			p.Logger.Warn("resilience parameter not read; using the file or environment configuration",
				"function", function, "error", err.Error())
		}
		return "", "", false, nil
	}
	if strings.TrimSpace(v.Resilience) == "" {
		return "", "", false, nil
	}
	base, err := config.FunctionPath(env, function)
	if err != nil {
		return "", "", false, err
	}
	return v.Resilience, strings.TrimSuffix(base, "/") + "/" + ParameterKey, true, nil
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
