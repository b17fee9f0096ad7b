package jsonv_test

import (
	"encoding/json"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// Decode keeps the document's key order; With replaces a member in place or
// appends a new one, leaving the original alone.
func Example() {
	v, err := jsonv.Decode([]byte(`{"name":"a","age":3,"tags":{"z":1,"a":2}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	person := v.(*jsonv.Object)
	older := person.With("age", 4.0).With("city", "<Lyon>")
	fmt.Println(jsonv.Marshal(person))
	fmt.Println(jsonv.Marshal(older))

	// encoding/json writes objects through MarshalJSON, in order too.
	b, _ := json.Marshal(map[string]any{"out": older})
	fmt.Println(string(b))
	// Output:
	// {"name":"a","age":3,"tags":{"z":1,"a":2}}
	// {"name":"a","age":4,"tags":{"z":1,"a":2},"city":"<Lyon>"}
	// {"out":{"name":"a","age":4,"tags":{"z":1,"a":2},"city":"\u003cLyon\u003e"}}
}
