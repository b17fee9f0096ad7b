package wiring

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"sync"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/ratelimit"
)

var (
	apiCatalogOnce sync.Once
	apiCatalog     *apicatalog.Catalog
	apiCatalogErr  error
)

func loadAPICatalog() (*apicatalog.Catalog, error) {
	// The catalog alone (names, functions, prefixes): the specs are the
	// CLI's and the auditor's business.
	apiCatalogOnce.Do(func() {
		b, err := fs.ReadFile(api.Files, api.CatalogFile)
		if err != nil {
			apiCatalogErr = err
			return
		}
		apiCatalog, apiCatalogErr = apicatalog.Parse(b)
	})
	return apiCatalog, apiCatalogErr
}

// RateLimitMiddleware enforces the users' rate-limit policies
// (config/ratelimits/*.yaml through the configuration source) on fn's HTTP
// handler, with the limit of each client shared through the ports' store.
// A request's API is the catalog entry of fn its path matches, else fn's
// name. No policies, no middleware; a bad policy file fails the cold start
// naming the field.
func RateLimitMiddleware(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error) {
	if p.Config == nil {
		return nil, nil
	}
	files, err := p.Config(context.Background(), ratelimit.ConfigKind)
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	in := make([]ratelimit.File, len(files))
	for i, f := range files {
		in[i] = ratelimit.File{Name: f.Name, Data: f.Data}
	}
	policies, err := ratelimit.Parse(in...)
	if err != nil {
		return nil, err
	}
	if len(policies.List()) == 0 {
		return nil, nil
	}
	cat, err := loadAPICatalog()
	if err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	l, err := ratelimit.New(ratelimit.Config{Policies: policies, Store: p.Store, Now: p.Now})
	if err != nil {
		return nil, err
	}
	name := fn.Name
	return l.Middleware(ratelimit.MiddlewareConfig{
		API: func(r *http.Request) string {
			if e, ok := cat.Match(name, r.URL.Path); ok {
				return e.Name
			}
			return name
		},
		OnError: func(r *http.Request, err error) {
			if p.Logger != nil {
				p.Logger.Warn("rate limit: decided without the shared state", "function", name, "error", err.Error())
			}
		},
	}), nil
}
