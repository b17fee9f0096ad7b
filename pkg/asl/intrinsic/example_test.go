package intrinsic_test

import (
	"fmt"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
)

// Parse once when the state machine is loaded, evaluate for every execution.
func Example() {
	e, err := intrinsic.Parse(`States.Format('{} has {} distinct tags', $.user, States.ArrayLength(States.ArrayUnique(States.StringSplit($.tags, ','))))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	input := map[string]any{"user": "zoe", "tags": "a,b,a,c"}
	out, err := e.Eval(func(path string) (any, error) {
		// A real resolver evaluates any JSONPath; this one knows "$.name".
		return input[strings.TrimPrefix(path, "$.")], nil
	})
	fmt.Println(out, err)

	_, err = intrinsic.Parse(`States.ArrayLength('abc')`)
	fmt.Println(err)
	// Output:
	// zoe has 3 distinct tags <nil>
	// States.Runtime: States.ArrayLength: argument 1 ('abc') must be an array, got string "abc"
}
