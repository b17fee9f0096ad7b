package wiring

import (
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/ssmconfig"
)

// EnvEnvironment names the deployment environment whose parameters a
// function reads: dev, staging or prod (default dev).
const EnvEnvironment = "COGNIFORGE_ENV"

// Environment returns $COGNIFORGE_ENV, dev when unset; any other value
// than dev, staging and prod is refused (config.ErrUnknownEnv), so a
// typo never reads another environment's parameters or none at all.
func Environment(env Env) (string, error) {
	e := env(EnvEnvironment)
	if e == "" {
		return "dev", nil
	}
	if err := config.CheckEnv(e); err != nil {
		return "", fmt.Errorf("%s: %w", EnvEnvironment, err)
	}
	return e, nil
}

// ParameterStore is the configuration store of the ports: SSM Parameter
// Store when they use AWS, else the embedded store.
func (p Ports) ParameterStore() config.ParameterStore {
	if p.AWS != nil {
		return ssmconfig.New(ssm.NewFromConfig(*p.AWS))
	}
	return config.NewEmbedded(p.Store, p.Now)
}

// FunctionConfig returns function's typed, validated configuration from
// /cogniforge/<env>/<function>/ (env from $COGNIFORGE_ENV): a config.Loader
// cached for cfg.TTL (a minute by default), so each instance reads the
// store at most once per TTL and a change lands without a redeploy, while
// a bad new version never replaces the last good value. The store it reads
// is scoped to the function's own path and audited: each fetch (never a
// cache hit) is a config.read record by the function, when the ports have
// a store. Nothing is read until the first Get.
func FunctionConfig[T any](p Ports, env Env, function string, validate func(T) error, cfg config.LoaderConfig) (*config.Loader[T], error) {
	e, err := Environment(env)
	if err != nil {
		return nil, err
	}
	if p.Store == nil && p.AWS == nil {
		return nil, fmt.Errorf("wiring: configuration of %s: no store", function)
	}
	var ps config.ParameterStore
	ps, err = config.NewScoped(p.ParameterStore(), e, function)
	if err != nil {
		return nil, err
	}
	if p.Store != nil {
		log := p.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		ps = &audit.ParameterStore{ParameterStore: ps, Recorder: &audit.Recorder{Store: p.Store, Bus: p.Bus, Now: p.Now}, Who: function,
			OnError: func(err error) { log.Warn("audit record not written", "function", function, "error", err.Error()) }}
	}
	return config.NewLoader(ps, e, function, validate, cfg)
}
