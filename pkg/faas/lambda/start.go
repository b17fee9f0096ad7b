package lambda

import (
	"context"
	"errors"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-lambda-go/otellambda"
	"go.opentelemetry.io/otel/propagation"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// NewHandler is the aws-lambda-go handler Start uses on Lambda: an
// Invoker whose errors go through Error, wrapped with otellambda when
// WithTracerProvider is set (flushing the WithFlusher flusher after each
// invocation; the parent comes from a "traceparent" field of the payload).
func NewHandler(fn faas.Function, opts ...adapter.Option) awslambda.Handler {
	inv := NewInvoker(fn, opts...)
	var h awslambda.Handler = lambdaHandler{inv: inv}
	if tp := inv.o.TracerProvider; tp != nil {
		lopts := []otellambda.Option{
			otellambda.WithTracerProvider(tp),
			otellambda.WithPropagator(telemetry.Propagator()),
			otellambda.WithEventToCarrier(payloadCarrier),
		}
		if inv.o.Flusher != nil {
			lopts = append(lopts, otellambda.WithFlusher(inv.o.Flusher))
		}
		h = otellambda.WrapHandler(h, lopts...)
	}
	return h
}

type lambdaHandler struct{ inv *Invoker }

func (l lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := l.inv.Invoke(ctx, payload)
	if err != nil {
		return nil, Error(err)
	}
	return out, nil
}

// Error converts err to the value aws-lambda-go reports verbatim:
// errorType is ErrorName(err) (e.g. "Saga.BusinessError", which ASL Catch
// matches) instead of the Go type name aws-lambda-go would use.
func Error(err error) error {
	return messages.InvokeResponse_Error{Type: faas.ErrorName(err), Message: err.Error()}
}

// payloadCarrier reads trace context from the top-level traceparent,
// tracestate and baggage fields of a payload (a Step Functions task input
// or a direct CloudEvent).
func payloadCarrier(payload []byte) propagation.TextMapCarrier {
	h := telemetry.PayloadHeaders(payload)
	return &h
}

// Start runs fn in the aws-lambda-go runtime loop with NewHandler. The loop
// never returns: aws-lambda-go exits the process if it fails, so an error
// here means the loop ended unexpectedly.
func Start(ctx context.Context, fn faas.Function, opts ...adapter.Option) error {
	awslambda.StartWithOptions(NewHandler(fn, opts...), awslambda.WithContext(ctx))
	return errors.New("faas/lambda: the Lambda runtime loop returned")
}
