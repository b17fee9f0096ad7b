package jsonpath_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

func Example() {
	input, _ := jsonv.Decode([]byte(`{"order":{"lines":[{"sku":"a","qty":2},{"sku":"b","qty":0}]}}`))

	skus := jsonpath.MustCompile("$.order.lines[?(@.qty > 0)].sku")
	v, _ := skus.Get(input)
	fmt.Println(v)

	out, _ := jsonpath.MustCompile("$.order.status").Set(input, "accepted")
	status, _ := jsonpath.MustCompile("$.order.status").Get(out)
	fmt.Println(status)

	// Members keep document order: a wildcard visits them as written and
	// a new member goes last.
	obj, _ := jsonv.Decode([]byte(`{"z":1,"a":2,"m":3}`))
	all, _ := jsonpath.MustCompile("$.*").Get(obj)
	fmt.Println(all)
	added, _ := jsonpath.MustCompile("$.b").Set(obj, 4)
	fmt.Println(jsonv.Marshal(added))
	// Output:
	// [a]
	// accepted
	// [1 2 3]
	// {"z":1,"a":2,"m":3,"b":4}
}
