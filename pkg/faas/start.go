package faas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-lambda-go/otellambda"
	"go.opentelemetry.io/otel/propagation"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
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

// ShutdownTimeout bounds the graceful shutdown of the HTTP server Start runs.
const ShutdownTimeout = 10 * time.Second

// Start runs fn on the platform DetectPlatform finds:
//
//   - AWS Lambda: the aws-lambda-go runtime loop with a raw []byte handler
//     (an Invoker), wrapped by otellambda when a tracer provider is set (a
//     span per invocation, the WithFlusher flusher flushed after every one).
//     Errors are reported with errorType = their name (see LambdaError). The
//     loop never returns: aws-lambda-go exits the process if it fails.
//   - Google Functions Framework: an HTTP function (NewHTTPHandler) registered
//     with funcframework.RegisterHTTPFunctionContext, served on $PORT. The
//     framework has no graceful shutdown: Start returns when ctx ends and the
//     process is expected to exit.
//   - otherwise: NewHTTPHandler on $PORT (default 8080), shut down gracefully
//     (at most ShutdownTimeout) when ctx ends; Start then returns nil.
func Start(ctx context.Context, fn Function, opts ...Option) error {
	o := buildOptions(opts)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	switch DetectPlatform(nil) {
	case PlatformLambda:
		lambda.StartWithOptions(LambdaHandler(fn, opts...), lambda.WithContext(ctx))
		return errors.New("faas: the Lambda runtime loop returned")
	case PlatformGoogle:
		h := newHTTPHandler(fn, o)
		if err := funcframework.RegisterHTTPFunctionContext(ctx, "/", h.ServeHTTP); err != nil {
			return fmt.Errorf("faas: register with the functions framework: %w", err)
		}
		errc := make(chan error, 1)
		go func() { errc <- funcframework.StartHostPort("", port) }()
		select {
		case err := <-errc:
			return fmt.Errorf("faas: functions framework: %w", err)
		case <-ctx.Done():
			return nil
		}
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("faas: listen on port %s: %w", port, err)
	}
	return Serve(ctx, ln, newHTTPHandler(fn, o))
}

// Serve serves h on ln until ctx ends, then shuts down gracefully (at most
// ShutdownTimeout) and returns nil; it returns the server's error if serving fails.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("faas: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("faas: shutdown: %w", err)
	}
	return nil
}

// LambdaHandler is the aws-lambda-go handler Start uses on Lambda: an
// Invoker whose errors go through LambdaError, wrapped with otellambda when
// WithTracerProvider is set (flushing the WithFlusher flusher after each
// invocation; the parent comes from a "traceparent" field of the payload).
func LambdaHandler(fn Function, opts ...Option) lambda.Handler {
	inv := NewInvoker(fn, opts...)
	var h lambda.Handler = lambdaHandler{inv: inv}
	if tp := inv.o.tracerProvider; tp != nil {
		lopts := []otellambda.Option{
			otellambda.WithTracerProvider(tp),
			otellambda.WithPropagator(telemetry.Propagator()),
			otellambda.WithEventToCarrier(payloadCarrier),
		}
		if inv.o.flusher != nil {
			lopts = append(lopts, otellambda.WithFlusher(inv.o.flusher))
		}
		h = otellambda.WrapHandler(h, lopts...)
	}
	return h
}

type lambdaHandler struct{ inv *Invoker }

func (l lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := l.inv.Invoke(ctx, payload)
	if err != nil {
		return nil, LambdaError(err)
	}
	return out, nil
}

// LambdaError converts err to the value aws-lambda-go reports verbatim:
// errorType is ErrorName(err) (e.g. "Saga.BusinessError", which ASL Catch
// matches) instead of the Go type name aws-lambda-go would use.
func LambdaError(err error) error {
	return messages.InvokeResponse_Error{Type: ErrorName(err), Message: err.Error()}
}

// payloadCarrier reads trace context from the top-level traceparent,
// tracestate and baggage fields of a payload (a Step Functions task input
// or a direct CloudEvent).
func payloadCarrier(payload []byte) propagation.TextMapCarrier {
	h := telemetry.PayloadHeaders(payload)
	return &h
}
