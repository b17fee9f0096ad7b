package governancefn_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/registry/governancefn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Built from embedded ports, the auditor audits the embedded specs daily,
// on spec changes from the bus, tallies request.completed from its queue
// and serves the governance dashboard.
func ExampleBuild() {
	fn, err := governancefn.Build(wiring.Ports{Store: memory.New(memory.Config{})})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tr := range fn.Triggers {
		fmt.Println(tr.Kind, tr.Schedule, tr.EventTypes)
	}
	for _, r := range fn.Routes {
		fmt.Println(r.Method, r.Path)
	}
	// Output:
	// schedule rate(1 day) []
	// eventbridge  [dev.cogniforge.api.spec.changed.v1]
	// sqs  [dev.cogniforge.request.completed.v1]
	// http  []
	// GET /governance/overview
	// GET /governance/apis/{name}/report
}
