// Package registry lists every function in functions/ with its builder, so
// the local runtime and the CLI host exactly what is deployed. A function
// directory without an entry here is caught by TestEveryFunctionIsRegistered.
package registry

import (
	"fmt"
	"sort"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/registry/chaosfn"
	"github.com/cogniforge/cogniforge/pkg/registry/discoveryfn"
	"github.com/cogniforge/cogniforge/pkg/registry/gatewayfn"
	"github.com/cogniforge/cogniforge/pkg/registry/governancefn"
	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/registry/ordersfn"
	"github.com/cogniforge/cogniforge/pkg/registry/orderviewfn"
	"github.com/cogniforge/cogniforge/pkg/registry/releasefn"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Entry is one deployable function.
type Entry struct {
	Name  string
	Build wiring.Builder
}

// All returns every function, sorted by name.
func All() []Entry {
	entries := []Entry{
		{Name: gatewayfn.Name, Build: gatewayfn.Build},
		{Name: orders.Inventory, Build: ordersfn.Builder(orders.Inventory)},
		{Name: orders.Payment, Build: ordersfn.Builder(orders.Payment)},
		{Name: orders.Shipping, Build: ordersfn.Builder(orders.Shipping)},
		{Name: orders.Order, Build: ordersfn.Builder(orders.Order)},
		{Name: ordersfn.OutboxRelay, Build: ordersfn.RelayBuilder()},
		{Name: slofn.Aggregator, Build: slofn.BuildAggregator},
		{Name: slofn.Evaluator, Build: slofn.BuildEvaluator},
		{Name: incidentfn.Name, Build: incidentfn.Build},
		{Name: incidentfn.Escalator, Build: incidentfn.BuildEscalator},
		{Name: incidentfn.Reminder, Build: incidentfn.BuildReminder},
		{Name: secretsfn.Name, Build: secretsfn.Build},
		{Name: resiliencefn.AdminName, Build: resiliencefn.BuildAdmin},
		{Name: discoveryfn.Name, Build: discoveryfn.Build},
		{Name: releasefn.Name, Build: releasefn.Build},
		{Name: chaosfn.Name, Build: chaosfn.Builder(chaosfn.Deps{Names: Names, Functions: Build})},
		{Name: chaosfn.Monkey, Build: chaosfn.MonkeyBuilder(chaosfn.Deps{Names: Names})},
		{Name: orderviewfn.Name, Build: orderviewfn.Build},
		{Name: governancefn.Name, Build: governancefn.Build},
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries
}

// Names returns the names of every function.
func Names() []string {
	var out []string
	for _, e := range All() {
		out = append(out, e.Name)
	}
	return out
}

// Build builds every function from the same ports, each with its chaos
// injector (wiring.Instrument).
func Build(p wiring.Ports) ([]faas.Function, error) {
	var fns []faas.Function
	if p.Functions == nil {
		p.Functions = Names()
	}
	for _, e := range All() {
		fn, err := e.Build(p)
		if err != nil {
			return nil, fmt.Errorf("registry: build %s: %w", e.Name, err)
		}
		if fn.Name != e.Name {
			return nil, fmt.Errorf("registry: %s builds a function named %q", e.Name, fn.Name)
		}
		fns = append(fns, wiring.Instrument(p, fn))
	}
	return fns, nil
}

// Lookup returns the entry of one function.
func Lookup(name string) (Entry, error) {
	for _, e := range All() {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("registry: no function %q (have %v)", name, Names())
}
