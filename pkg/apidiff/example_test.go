package apidiff_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
)

func Example() {
	old := []byte(`openapi: 3.1.0
info: {title: Orders, version: 1.0.0}
paths:
  /orders/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: The order.}}
    delete:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: Deleted.}}
`)
	new := []byte(`openapi: 3.1.0
info: {title: Orders, version: 2.0.0}
paths:
  /orders/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: The order.}}
`)
	res, err := apidiff.Compare(context.Background(), old, new)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	res.AddImpact("orders", []apidiff.Call{
		{Service: "orders", Operation: "DELETE /orders/42", Caller: "billing", At: now.Add(-time.Hour)},
		{Service: "orders", Operation: "GET /orders/42", Caller: "web", At: now.Add(-time.Hour)},
	}, now.AddDate(0, 0, -30))
	for _, c := range res.Breaking {
		fmt.Println(c.Level, c.ID, c.Operation)
		for _, u := range c.Callers {
			fmt.Println("  called by", u.Caller, u.Calls, "times")
		}
	}
	// Output:
	// error api-removed-without-deprecation DELETE /orders/{id}
	//   called by billing 1 times
}
