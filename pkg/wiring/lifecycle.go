package wiring

import (
	"net/http"

	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// LifecycleMiddleware announces the lifecycle of fn's API versions
// (api/catalog.yaml): Deprecation, Sunset and Link headers on deprecated
// versions, 410 Gone on retired ones, calls to both counted per client in
// the ports' store. A function none of whose versions is deprecated or
// retired is not wrapped.
func LifecycleMiddleware(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error) {
	c, err := apilifecycle.Embedded()
	if err != nil {
		return nil, err
	}
	l, err := apilifecycle.New(apilifecycle.Config{Catalog: c, Function: fn.Name, Store: p.Store, Now: p.Now, Logger: p.Logger})
	if err != nil || l.Active() {
		return nil, err
	}
	return l.Middleware, nil
}
