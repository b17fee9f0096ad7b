package discoveryfn_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/registry/discoveryfn"
)

// The probe thresholds and timeout come from the environment; unset means
// the defaults (3 failures, 2 passes, 2 s), a bad value is refused by name.
func ExampleCheckerSettings() {
	env := map[string]string{discoveryfn.EnvFailThreshold: "5", discoveryfn.EnvProbeTimeout: "500ms"}
	cfg, err := discoveryfn.CheckerSettings(func(k string) string { return env[k] })
	fmt.Println(cfg.Thresholds.Fail, cfg.Thresholds.Pass, cfg.Timeout, err)
	_, err = discoveryfn.CheckerSettings(func(k string) string { return map[string]string{discoveryfn.EnvPassThreshold: "two"}[k] })
	fmt.Println(err)
	// Output:
	// 5 0 500ms <nil>
	// COGNIFORGE_HEALTH_PASS_THRESHOLD: "two" is not a whole number of probes of at least 1
}
