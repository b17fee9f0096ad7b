package discovery_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// A service registers its instances (and heartbeats within their lease);
// callers pick among the routable ones through a Client.
func Example() {
	ctx := context.Background()
	reg, err := discovery.NewRegistry(discovery.RegistryConfig{Store: memory.New(memory.Config{})})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, w := range []int{3, 1} {
		_, err := reg.Register(ctx, discovery.Registration{Service: "checkout", ID: fmt.Sprintf("i-%d", i),
			URL: fmt.Sprintf("http://10.0.0.%d:8080", i+1), Weight: &w, Zone: "eu-west-1a"})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	c, err := discovery.NewClient(discovery.ClientConfig{Source: reg, Strategy: discovery.Weighted})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 4 {
		sel, err := c.Pick(ctx, "checkout")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(sel.Instance.URL)
		sel.Done() // when the request to it is over
	}
	_, err = reg.Register(ctx, discovery.Registration{Service: "checkout", ID: "i-2", URL: "", Weight: new(-1)})
	fmt.Println(err)
	// Output:
	// http://10.0.0.1:8080
	// http://10.0.0.1:8080
	// http://10.0.0.2:8080
	// http://10.0.0.1:8080
	// url: required
	// weight: -1 is outside 0..10000
}
