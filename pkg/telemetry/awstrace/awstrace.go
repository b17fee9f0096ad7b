// Package awstrace traces aws-sdk-go-v2 calls: a span per call (client
// kind, rpc.* attributes, the AWS request id) and W3C trace context injected
// into the outgoing request, so a call to DynamoDB or EventBridge shows in
// the function's trace. It is apart from pkg/telemetry so that what only
// propagates context links no AWS SDK.
package awstrace

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// awsScope names the tracer of AWS SDK spans.
const awsScope = "github.com/cogniforge/cogniforge/pkg/telemetry/aws"

// InstrumentAWS adds a client span (and W3C trace context propagation) to
// every AWS SDK call made with cfg, using tp rather than the global provider.
// Call it once on the aws.Config at cold start, before creating clients.
//
// The span, named "Service.Operation" (DynamoDB.GetItem), covers the whole
// call with its retries; the traceparent header goes on every attempt. The
// contrib otelaws package did this before it was deprecated; this is the
// small part of it CogniForge needs, on the SDK's own middleware stack.
func InstrumentAWS(cfg *aws.Config, tp trace.TracerProvider) {
	mw := awsTracing{tracer: tp.Tracer(awsScope), propagator: telemetry.Propagator()}
	cfg.APIOptions = append(cfg.APIOptions, mw.register)
}

type awsTracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// register puts the span around the call after the SDK has recorded the
// service and operation names (Initialize, After), and the propagation
// headers on each attempt's request once it is built and signed (Finalize,
// After): the signature does not cover headers added later.
func (m awsTracing) register(stack *middleware.Stack) error {
	return errors.Join(
		stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CogniForgeAWSSpan", m.span), middleware.After),
		stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CogniForgeAWSPropagation", m.inject), middleware.After),
	)
}

func (m awsTracing) span(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service, operation := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	ctx, span := m.tracer.Start(ctx, service+"."+operation,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("rpc.system.name", "aws-api"),
			attribute.String("rpc.method", service+"/"+operation),
			attribute.String("cloud.region", awsmiddleware.GetRegion(ctx)),
		))
	defer span.End()
	out, meta, err := next.HandleInitialize(ctx, in)
	if id, ok := awsmiddleware.GetRequestIDMetadata(meta); ok {
		span.SetAttributes(attribute.String("aws.request_id", id))
	}
	if raw, ok := awsmiddleware.GetRawResponse(meta).(*smithyhttp.Response); ok {
		span.SetAttributes(attribute.Int("http.response.status_code", raw.StatusCode))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return out, meta, err
}

func (m awsTracing) inject(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("telemetry: AWS request is a %T, not an HTTP request", in.Request)
	}
	m.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	return next.HandleFinalize(ctx, in)
}
