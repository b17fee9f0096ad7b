package api_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
)

// The catalog names, for each API version, the function serving it and its
// OpenAPI document in api.Files.
func Example() {
	c, err := apicatalog.Load(api.Files, api.CatalogFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, ok := c.Lookup("incidents", "v1")
	fmt.Println(ok, e.Function, e.Spec, e.State)
	// Output:
	// true incident-manager incidents.v1.yaml active
}
