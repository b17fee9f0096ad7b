package discoverytest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
)

// A Source stands in for the registry: a Client reads it once per cache
// period, and a test changes what it serves.
func ExampleSource() {
	now := time.Now()
	src := &discoverytest.Source{}
	src.Set(discoverytest.Instance("checkout", "a", 1, now), discoverytest.Instance("checkout", "b", 1, now))
	c, err := discovery.NewClient(discovery.ClientConfig{Source: src, Strategy: discovery.RoundRobin})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		sel, err := c.Pick(context.Background(), "checkout")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(sel.Instance.ID)
		sel.Done()
	}
	fmt.Println(src.Reads(), "read")
	// Output:
	// a
	// b
	// a
	// 1 read
}
