package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/ratelimit"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func Example() {
	policies, err := ratelimit.Parse(ratelimit.File{Name: "config/ratelimits/policies.yaml", Data: []byte(`
policies:
  - class: anonymous
    api: "*"
    rate: 60/min
    burst: 3
    quota: 1000
`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	clk := clock.NewFake(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	limiter, err := ratelimit.New(ratelimit.Config{
		Policies: policies,
		Store:    memory.New(memory.Config{Now: clk.Now}), // DynamoDB in AWS: shared by every instance
		Now:      clk.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	caller := apiclient.Client{ID: "anon:192.0.2.1", Class: apiclient.Anonymous}
	for i := 1; i <= 4; i++ {
		d := limiter.Allow(context.Background(), caller, "orders")
		fmt.Printf("request %d: allowed %v, retry after %v\n", i, d.Allowed, d.RetryAfter)
	}
	clk.Advance(time.Second)
	fmt.Println("a second later:", limiter.Allow(context.Background(), caller, "orders").Allowed)

	// Output:
	// request 1: allowed true, retry after 0s
	// request 2: allowed true, retry after 0s
	// request 3: allowed true, retry after 0s
	// request 4: allowed false, retry after 1s
	// a second later: true
}
