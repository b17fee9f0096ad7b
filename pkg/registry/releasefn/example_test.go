package releasefn_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/registry/releasefn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Built from embedded ports, the controller keeps versions and aliases in
// the store and serves the release API and the release machine's Task.
func ExampleBuild() {
	fn, err := releasefn.Build(wiring.Ports{Store: memory.New(memory.Config{}), Functions: []string{"checkout"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tr := range fn.Triggers {
		fmt.Println(tr.Kind, tr.EventTypes)
	}
	// Output:
	// sqs [dev.cogniforge.request.completed.v1]
	// stepfunctions []
	// http []
}
