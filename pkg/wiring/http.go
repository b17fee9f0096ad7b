package wiring

import (
	"fmt"
	"net/http"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
)

// HTTPMiddlewareBuilder builds one HTTP middleware for fn's HTTP handler
// from the ports (nil: fn needs none).
type HTTPMiddlewareBuilder func(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error)

// httpMiddleware is what every function's HTTP handler is wrapped in,
// outermost first, on every platform and in the local runtime: who calls,
// the tally of who calls which operation (every call, refused ones too),
// then the API lifecycle, then rate limits.
var httpMiddleware = []HTTPMiddlewareBuilder{
	IdentityMiddleware,
	APICallsMiddleware,
	LifecycleMiddleware,
	RateLimitMiddleware,
}

// HTTPOptions returns the adapter options that wrap fn's HTTP handler in
// the platform's HTTP middleware (API lifecycle, rate limits). Serve passes
// them to the platform adapter; the local runtime to cehttp.NewHandler.
func HTTPOptions(p Ports, fn faas.Function) ([]adapter.Option, error) {
	var opts []adapter.Option
	for _, build := range httpMiddleware {
		mw, err := build(p, fn)
		if err != nil {
			return nil, fmt.Errorf("%s: http middleware: %w", fn.Name, err)
		}
		if mw != nil {
			opts = append(opts, adapter.WithHTTPMiddleware(mw))
		}
	}
	return opts, nil
}
