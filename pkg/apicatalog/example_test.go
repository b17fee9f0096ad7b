package apicatalog_test

import (
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
)

func Example() {
	c, err := apicatalog.Parse([]byte(`
apis:
  - {name: orders, version: v2, function: order-query, spec: orders.v2.yaml, state: active, prefix: /v2}
  - name: orders
    version: v1
    function: order-query
    spec: orders.v1.yaml
    state: deprecated
    deprecated: 2026-11-01
    sunset: 2027-03-31
    migration: https://docs.example.com/orders-v2
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []string{"/orders", "/v2/orders"} {
		e, _ := c.Match("order-query", p)
		fmt.Println(p, "->", e.ID(), e.StateAt(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)))
	}
	v1, _ := c.Lookup("orders", "v1")
	fmt.Println("after sunset:", v1.StateAt(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)))
	// Output:
	// /orders -> orders/v1 deprecated
	// /v2/orders -> orders/v2 active
	// after sunset: retired
}
