// Package gcf runs a faas.Function on Google's Functions Framework (Cloud
// Functions, Cloud Run functions, Eventarc and Pub/Sub CloudEvents).
//
// The function is registered as an HTTP function that decodes CloudEvents
// itself (faas/cehttp), not through the framework's CloudEvent signature,
// whose sdk-go receive path can deadlock (cloudevents/sdk-go issue #1224).
package gcf

import (
	"context"
	"fmt"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
)

// Start registers fn with the framework and serves it on port. The
// framework has no graceful shutdown: Start returns nil when ctx ends and
// the process is expected to exit, or the framework's error if serving fails.
func Start(ctx context.Context, fn faas.Function, port string, opts ...adapter.Option) error {
	h := cehttp.NewHandler(fn, opts...)
	if err := funcframework.RegisterHTTPFunctionContext(ctx, "/", h.ServeHTTP); err != nil {
		return fmt.Errorf("faas/gcf: register with the functions framework: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- funcframework.StartHostPort("", port) }()
	select {
	case err := <-errc:
		return fmt.Errorf("faas/gcf: functions framework: %w", err)
	case <-ctx.Done():
		return nil
	}
}
