package validate_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

func ExampleDefinition() {
	def := `{
	  "StartAt": "P",
	  "States": {
	    "P": {"Type": "Pass", "Parameters": {"x.$": "States.Format('{} {}', $.a)"}, "Foo": 1, "Next": "Done"},
	    "Done": {"Type": "Succeed"},
	    "Orphan": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}
	  }
	}`
	for _, d := range validate.Definition([]byte(def)) {
		fmt.Println(d)
	}
	fmt.Println(validate.Definition([]byte(`{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`)) == nil)
	// Output:
	// States.Orphan: has Error and ErrorPath; only one of them is allowed
	// States.Orphan: state is not reachable from StartAt "P"
	// States.P: field "Foo" is not allowed in a Pass state
	// States.P.Parameters.x.$: States.Format: the template '{} {}' has 2 {} placeholder(s) but 1 value(s) follow
	// true
}
