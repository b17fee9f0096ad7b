package chaosfn_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/registry/chaosfn"
)

// The chaos-injector's routes, all carrying chaos.request.v1 events.
func ExampleNewFunction() {
	fn := chaosfn.NewFunction(&chaos.Service{Manager: &chaos.Manager{Store: &chaos.MemoryStore{}}}, nil)
	for _, r := range fn.Routes {
		fmt.Println(r.Method, r.Path)
	}
	// Output:
	// POST /faults
	// GET /faults
	// POST /faults/clear
}
