package apigov_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func Example() {
	audit := func(_ context.Context, name string, _ []byte) (apigov.AuditReport, error) {
		return apigov.AuditReport{Spec: name, Score: 95, Findings: []apigov.Finding{
			{Rule: "owasp-rate-limit", Category: "API4:2023", Severity: "warning", Path: "paths./orders.get.responses", Message: "no 429 response"},
		}}, nil
	}
	g, err := apigov.New(apigov.Config{Store: memory.New(memory.Config{}), Audit: audit})
	if err != nil {
		fmt.Println(err)
		return
	}
	v1 := "openapi: 3.1.0\ninfo: {title: Orders, version: '1'}\npaths:\n  /orders:\n    get:\n      responses: {'200': {description: ok}}\n    delete:\n      responses: {'204': {description: gone}}\n"
	v2 := "openapi: 3.1.0\ninfo: {title: Orders, version: '2'}\npaths:\n  /orders:\n    get:\n      responses: {'200': {description: ok}}\n"
	r, err := g.SpecChanged(context.Background(), apigov.SpecChange{API: "orders", Version: "v1", Spec: v2, Previous: v1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("score", r.Score, "warnings", r.Counts.Warning)
	for _, c := range r.Breaking {
		fmt.Println("breaking:", c.ID, c.Operation)
	}
	// Output:
	// score 95 warnings 1
	// breaking: api-removed-without-deprecation DELETE /orders
}
