package jsonpath_test

import (
	"encoding/json"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
)

func Example() {
	var input any
	_ = json.Unmarshal([]byte(`{"order":{"lines":[{"sku":"a","qty":2},{"sku":"b","qty":0}]}}`), &input)

	skus := jsonpath.MustCompile("$.order.lines[?(@.qty > 0)].sku")
	v, _ := skus.Get(input)
	fmt.Println(v)

	out, _ := jsonpath.MustCompile("$.order.status").Set(input, "accepted")
	status, _ := jsonpath.MustCompile("$.order.status").Get(out)
	fmt.Println(status)
	// Output:
	// [a]
	// accepted
}
