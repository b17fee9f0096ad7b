package resilience_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// A function declares the downstreams it calls; the user's configuration
// (config/resilience/<function>.yaml or $COGNIFORGE_RESILIENCE) tunes them;
// the registry builds one policy per downstream over the store that shares
// the breakers between instances, and every call goes through Do.
func Example() {
	declared := map[string]resilience.Downstream{
		"inventory-db": {Kind: resilience.KindDatabase, Idempotent: true},
	}
	user, err := resilience.ParseConfig("orders.yaml", []byte(`
downstreams:
  inventory-db:
    attemptTimeout: 2s
    breaker: {failureThreshold: 2}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	downstreams, table, err := resilience.Resolve(declared, user)
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := resilience.NewRegistry(resilience.RegistryConfig{Function: "orders", Downstreams: downstreams, Bulkheads: table,
		Store: memory.New(memory.Config{})})
	if err != nil {
		fmt.Println(err)
		return
	}
	db, _ := reg.Policy("inventory-db")
	fmt.Println("bulkhead:", db.Bulkhead().Status().Limits.MaxConcurrent, "concurrent")

	ctx := context.Background()
	stock, err := resilience.Do(ctx, db, func(ctx context.Context) (int, error) { return 42, nil })
	fmt.Println(stock, err)

	// The database is down: the second failure opens the breaker (for
	// every instance sharing the store), so the third attempt is not made.
	attempts := 0
	_, err = resilience.Do(ctx, db, func(ctx context.Context) (int, error) {
		attempts++
		return 0, errors.New("connection refused")
	})
	fmt.Println(attempts, "attempts:", faas.ErrorName(err))
	// Output:
	// bulkhead: 20 concurrent
	// 42 <nil>
	// 2 attempts: Resilience.CircuitOpen
}
