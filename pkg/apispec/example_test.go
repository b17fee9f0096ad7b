package apispec_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/cogniforge/cogniforge/pkg/apispec"
)

// A test routes its calls to a function through the validator and fails on
// what disagrees with the function's spec. Here a stand-in for the
// resilience-admin function answers a field its spec does not have.
func Example() {
	v, err := apispec.New(apispec.Config{Function: "resilience-admin"})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"breakers":[],"bulkheads":[],"since":"today"}`)
	}))
	defer srv.Close()

	c := &http.Client{Transport: v.RoundTripper(nil)}
	res, err := c.Get(srv.URL + "/breakers")
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	for _, x := range v.Violations() {
		fmt.Println(x.API, x.Operation, x.Status)
	}
	fmt.Println(v.Calls())
	// Output:
	// resilience/v1 GET /breakers 200
	// map[resilience/v1 GET /breakers:1]
}
