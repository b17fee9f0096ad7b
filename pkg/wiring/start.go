package wiring

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/gcf"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
)

// Platform is where Start runs a function.
type Platform string

// The platforms Start knows.
const (
	PlatformLambda Platform = "aws-lambda"
	PlatformGoogle Platform = "google-functions-framework"
	PlatformHTTP   Platform = "cloudevents-http"
)

// DetectPlatform tells the platform from the environment: AWS Lambda when
// AWS_LAMBDA_RUNTIME_API is set, Google's Functions Framework when
// FUNCTION_TARGET is set or both K_SERVICE and FUNCTION_SIGNATURE_TYPE are,
// else a plain CloudEvents HTTP server. A nil getenv means os.Getenv.
func DetectPlatform(getenv func(string) string) Platform {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case getenv("AWS_LAMBDA_RUNTIME_API") != "":
		return PlatformLambda
	case getenv("FUNCTION_TARGET") != "", getenv("K_SERVICE") != "" && getenv("FUNCTION_SIGNATURE_TYPE") != "":
		return PlatformGoogle
	}
	return PlatformHTTP
}

// Start runs fn on the platform DetectPlatform finds:
//
//   - AWS Lambda: the aws-lambda-go runtime loop with a raw []byte handler
//     (an Invoker), wrapped by otellambda when a tracer provider is set (a
//     span per invocation, the adapter.WithFlusher flusher flushed after every one).
//     Errors are reported with errorType = their name (see lambda.Error). The
//     loop never returns: aws-lambda-go exits the process if it fails.
//   - Google Functions Framework: an HTTP function (cehttp.NewHandler) registered
//     with funcframework.RegisterHTTPFunctionContext, served on $PORT. The
//     framework has no graceful shutdown: Start returns when ctx ends and the
//     process is expected to exit.
//   - otherwise: cehttp.NewHandler on $PORT (default 8080), shut down gracefully
//     (at most cehttp.ShutdownTimeout) when ctx ends; Start then returns nil.
func Start(ctx context.Context, fn faas.Function, opts ...adapter.Option) error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	switch DetectPlatform(nil) {
	case PlatformLambda:
		return lambda.Start(ctx, fn, opts...)
	case PlatformGoogle:
		return gcf.Start(ctx, fn, port, opts...)
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("wiring: listen on port %s: %w", port, err)
	}
	return cehttp.Serve(ctx, ln, cehttp.NewHandler(fn, opts...))
}
