package wiring

import (
	"net/http"

	"github.com/cogniforge/cogniforge/pkg/apicalls"
	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// APICallsMiddleware tallies which caller calls which operation of fn's API
// versions (pkg/apicalls) in the ports' store, batched, so the governance
// auditor can name the callers a breaking change would break. A function
// that serves no API in api/catalog.yaml, or ports without a store, are
// not wrapped.
func APICallsMiddleware(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error) {
	if p.Store == nil {
		return nil, nil
	}
	c, err := apilifecycle.Embedded()
	if err != nil {
		return nil, err
	}
	t, err := apicalls.New(apicalls.Config{Store: p.Store, Catalog: c, Function: fn.Name, Routes: fn.Routes, Now: p.Now, Logger: p.Logger})
	if err != nil || t == nil {
		return nil, err
	}
	return t.Middleware, nil
}
