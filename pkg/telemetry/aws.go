package telemetry

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentAWS adds a client span (and W3C trace context propagation) to
// every AWS SDK call made with cfg, using tp rather than the global provider.
// Call it once on the aws.Config at cold start, before creating clients.
func InstrumentAWS(cfg *aws.Config, tp trace.TracerProvider) {
	otelaws.AppendMiddlewares(&cfg.APIOptions,
		otelaws.WithTracerProvider(tp),
		otelaws.WithTextMapPropagator(Propagator()),
	)
}

// Propagator is the propagator every CogniForge carrier uses: W3C trace
// context and baggage.
func Propagator() propagation.TextMapPropagator { return propagator }

var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
