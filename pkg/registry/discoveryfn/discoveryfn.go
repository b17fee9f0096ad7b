// Package discoveryfn builds the health-checker function from its ports:
// the registry lives in the ports' store, transitions go to the ports'
// bus, and the probe thresholds come from the environment, read once at
// cold start (a bad value stops it there, naming the variable).
package discoveryfn

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = discovery.FunctionName

// The environment the health-checker reads.
const (
	// EnvFailThreshold: consecutive failed probes to mark an instance
	// unhealthy (default 3).
	EnvFailThreshold = "COGNIFORGE_HEALTH_FAIL_THRESHOLD"
	// EnvPassThreshold: consecutive passed probes to mark it healthy
	// (default 2).
	EnvPassThreshold = "COGNIFORGE_HEALTH_PASS_THRESHOLD"
	// EnvProbeTimeout: one probe's timeout, a Go duration (default 2s).
	EnvProbeTimeout = "COGNIFORGE_HEALTH_PROBE_TIMEOUT"
)

// Build is the health-checker's wiring.Builder over the process
// environment.
func Build(p wiring.Ports) (faas.Function, error) { return Builder(os.Getenv)(p) }

// Builder returns the builder reading env (tests pass a map's lookup).
func Builder(env wiring.Env) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		cfg, err := CheckerSettings(env)
		if err != nil {
			return faas.Function{}, err
		}
		reg, err := discovery.NewRegistry(discovery.RegistryConfig{Store: p.Store, Now: p.Now})
		if err != nil {
			return faas.Function{}, err
		}
		cfg.Registry, cfg.Now = reg, p.Now
		if p.Bus != nil {
			cfg.Publish = discovery.Publisher(p.Bus)
		}
		ck, err := discovery.NewChecker(cfg)
		if err != nil {
			return faas.Function{}, err
		}
		return discovery.NewFunction(reg, ck, p.Now), nil
	}
}

// CheckerSettings reads the thresholds and timeout from env; every bad
// value is reported, naming its variable.
func CheckerSettings(env wiring.Env) (discovery.CheckerConfig, error) {
	var cfg discovery.CheckerConfig
	var errs []error
	count := func(name string, dst *int) {
		v := env(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of probes of at least 1", name, v))
			return
		}
		*dst = n
	}
	count(EnvFailThreshold, &cfg.Thresholds.Fail)
	count(EnvPassThreshold, &cfg.Thresholds.Pass)
	if v := env(EnvProbeTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 2s", EnvProbeTimeout, v))
		} else {
			cfg.Timeout = d
		}
	}
	return cfg, errors.Join(errs...)
}
