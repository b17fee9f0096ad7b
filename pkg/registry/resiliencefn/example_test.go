package resiliencefn_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// A builder declares its downstreams; the ports' configuration source (here
// a file in memory) tunes them.
func Example() {
	source := func(_ context.Context, kind string) ([]wiring.ConfigFile, error) {
		return []wiring.ConfigFile{{Name: "config/resilience/orders.yaml", Data: []byte("bulkheads:\n  database: {maxConcurrent: 8}\n")}}, nil
	}
	reg, err := resiliencefn.Registry(context.Background(), wiring.Ports{Store: memory.New(memory.Config{}), Config: source}, "orders",
		map[string]resilience.Downstream{"orders-db": {Kind: resilience.KindDatabase}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := reg.Policy("orders-db")
	fmt.Println(p.Bulkhead().Status().Limits.MaxConcurrent)
	// Output: 8
}
