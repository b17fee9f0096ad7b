package sfnproxy_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
	"github.com/cogniforge/cogniforge/test/sfnproxy"
)

// Validate is what the proxy answers ValidateStateMachineDefinition with.
func ExampleValidate() {
	resp := sfnproxy.Validate(sfnproxy.ValidateRequest{
		Definition: `{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`,
	}, validate.Definition)
	fmt.Println(resp.Result, len(resp.Diagnostics))

	resp = sfnproxy.Validate(sfnproxy.ValidateRequest{
		Definition: `{"StartAt":"Done","States":{}}`,
	}, validate.Definition)
	fmt.Println(resp.Result, resp.Diagnostics[0].Code)
	// Output:
	// OK 0
	// FAIL SCHEMA_VALIDATION_FAILED
}
