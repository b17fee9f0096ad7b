package middleware

import (
	"context"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// TracerName is the instrumentation scope of the spans faas starts.
const TracerName = "github.com/cogniforge/cogniforge/pkg/faas"

// Span attribute keys (CloudEvents semantic conventions plus ours).
const (
	AttrEventID       = attribute.Key("cloudevents.event_id")
	AttrEventSource   = attribute.Key("cloudevents.event_source")
	AttrEventType     = attribute.Key("cloudevents.event_type")
	AttrEventSubject  = attribute.Key("cloudevents.event_subject")
	AttrCorrelationID = attribute.Key("cogniforge.correlation_id")
	AttrErrorType     = attribute.Key("error.type")
)

// Tracing starts a consumer span per event named "process <type>". Its parent
// is the event's traceparent extension when there is one (the producer's
// span), else the span already in ctx (the Lambda invocation span); when
// both are in the same trace (a Step Functions task payload is the parent of
// the invocation span too) the span in ctx is the closer one and wins. The
// event's baggage extension replaces the baggage in ctx. The reply event
// gets the new span's traceparent and the baggage, so the next hop joins
// the trace.
// Errors are recorded with their name as error.type. A nil tp adds nothing.
func Tracing(tp trace.TracerProvider) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		if tp == nil {
			return next
		}
		tracer := tp.Tracer(TracerName)
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			ctx = extractEvent(ctx, ev)
			attrs := [5]attribute.KeyValue{
				AttrEventType.String(ev.Type()),
				AttrEventSource.String(ev.Source()),
				AttrEventID.String(ev.ID()),
				AttrCorrelationID.String(faas.CorrelationID(ev)),
			}
			n := 4
			if s := ev.Subject(); s != "" {
				attrs[n] = AttrEventSubject.String(s)
				n++
			}
			ctx, span := tracer.Start(ctx, "process "+ev.Type(), trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs[:n]...))
			defer span.End()
			reply, err := next(ctx, ev)
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
				span.SetAttributes(AttrErrorType.String(faas.ErrorName(err)))
				return reply, err
			}
			if reply != nil {
				telemetry.InjectEvent(ctx, reply)
			}
			return reply, nil
		}
	}
}

// extractEvent is telemetry.ExtractEvent keeping the span of ctx when the
// event names an ancestor of it in the same trace.
func extractEvent(ctx context.Context, ev cloudevents.Event) context.Context {
	ectx := telemetry.ExtractEvent(ctx, ev)
	if cur := trace.SpanFromContext(ctx); cur.SpanContext().IsValid() &&
		cur.SpanContext().TraceID() == trace.SpanContextFromContext(ectx).TraceID() {
		return trace.ContextWithSpan(ectx, cur)
	}
	return ectx
}

// StartBatchSpan starts one span for a batch handed to a BatchHandler, linked
// to the producer span of every event (a batch has many parents, so they are
// links, as the OTel messaging conventions say).
func StartBatchSpan(ctx context.Context, tp trace.TracerProvider, evs []cloudevents.Event) (context.Context, trace.Span) {
	links := make([]trace.Link, 0, len(evs))
	for i := range evs {
		if sc := trace.SpanContextFromContext(telemetry.ExtractEvent(context.Background(), evs[i])); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{AttrEventID.String(evs[i].ID())}})
		}
	}
	return tp.Tracer(TracerName).Start(ctx, "process batch", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("messaging.batch.message_count", len(evs))))
}
