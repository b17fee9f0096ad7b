package resiliencefn_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// The function's versioned parameter overrides its file, which overrides
// the environment; the parameter is read only where COGNIFORGE_ENV names
// the environment, and a bad one stops the start naming where it is.
func TestConfigurationPrecedence(t *testing.T) {
	ctx := context.Background()
	declared := map[string]resilience.Downstream{"orders-db": {Kind: resilience.KindDatabase}}
	file := func(context.Context, string) ([]wiring.ConfigFile, error) {
		return []wiring.ConfigFile{{Name: "config/resilience/orders.yaml", Data: []byte("bulkheads:\n  database: {maxConcurrent: 8}\n")}}, nil
	}
	limit := func(t *testing.T, st store.Store, getenv func(string) string) int {
		t.Helper()
		reg, err := resiliencefn.Registry(ctx, wiring.Ports{Store: st, Config: file}, "orders", declared, getenv)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := reg.Policy("orders-db")
		return p.Bulkhead().Status().Limits.MaxConcurrent
	}
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

	st := memory.New(memory.Config{})
	if got := limit(t, st, env(map[string]string{wiring.EnvEnvironment: "dev"})); got != 8 {
		t.Fatalf("no parameter: max concurrent %d, want the file's 8", got)
	}
	if _, err := config.NewEmbedded(st, nil).Put(ctx, "/cogniforge/dev/orders/resilience", "bulkheads:\n  database: {maxConcurrent: 3}\n", false); err != nil {
		t.Fatal(err)
	}
	if got := limit(t, st, env(map[string]string{wiring.EnvEnvironment: "dev"})); got != 3 {
		t.Fatalf("with the parameter: max concurrent %d, want the parameter's 3", got)
	}
	if got := limit(t, st, env(nil)); got != 8 {
		t.Fatalf("without COGNIFORGE_ENV: max concurrent %d, want the file's 8", got)
	}
	if got := limit(t, st, env(map[string]string{wiring.EnvEnvironment: "staging"})); got != 8 {
		t.Fatalf("staging has no parameter: max concurrent %d, want the file's 8", got)
	}

	if _, err := config.NewEmbedded(st, nil).Put(ctx, "/cogniforge/dev/orders/resilience", "bulkheads:\n  database: {maxConcurrent: -1}\n", false); err != nil {
		t.Fatal(err)
	}
	_, err := resiliencefn.Registry(ctx, wiring.Ports{Store: st, Config: file}, "orders", declared, env(map[string]string{wiring.EnvEnvironment: "dev"}))
	if err == nil || !strings.Contains(err.Error(), "/cogniforge/dev/orders/resilience") || !strings.Contains(err.Error(), "maxConcurrent") {
		t.Fatalf("bad parameter: %v, want an error naming the parameter and the field", err)
	}
	if _, err := resiliencefn.Registry(ctx, wiring.Ports{Store: st}, "orders", declared, env(map[string]string{wiring.EnvEnvironment: "qa"})); err == nil {
		t.Fatal("an unknown environment was accepted")
	}
}
