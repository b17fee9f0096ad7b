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

// A Stream walks a large object member by member, decoding only the values
// the caller asks for, so the whole tree never has to exist at once.
func ExampleStream() {
	in := jsonv.NewStream(`{"Comment":"two states","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}}`)
	err := in.Members(func(key string) error {
		if key != "States" {
			v, err := in.Value()
			fmt.Printf("%s = %v\n", key, v)
			return err
		}
		return in.Members(func(name string) error {
			state, err := in.Value()
			fmt.Printf("state %s: %s\n", name, jsonv.Marshal(state))
			return err
		})
	})
	if err == nil {
		err = in.End()
	}
	fmt.Println(err)
	// Output:
	// Comment = two states
	// state A: {"Type":"Pass"}
	// state B: {"Type":"Succeed"}
	// <nil>
}
