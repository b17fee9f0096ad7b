package faas

import (
	"context"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// CorrelationExtension is the CloudEvent extension carrying the id shared by
// every event of one business flow. An event without it is its own
// correlation root (its id is used).
const CorrelationExtension = "correlationid"

// CorrelationID returns ev's correlation id: the correlationid extension, or
// the event id when there is none.
func CorrelationID(ev cloudevents.Event) string {
	if v, ok := ev.Extensions()[CorrelationExtension]; ok {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ev.ID()
}

// Logging puts the event id and correlation id in the context (so
// telemetry.NewLogger loggers stamp them on every record) and logs the
// outcome: success at Debug, a named business error at Warn, anything else
// at Error, each with the event type and duration. A reply without a
// correlationid extension inherits the incoming event's correlation id.
func Logging(logger *slog.Logger) Middleware {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			ctx = telemetry.WithIDs(ctx, ev.ID(), CorrelationID(ev))
			start := time.Now()
			reply, err := next(ctx, ev)
			if err == nil {
				if reply != nil {
					if _, ok := reply.Extensions()[CorrelationExtension]; !ok {
						reply.SetExtension(CorrelationExtension, CorrelationID(ev))
					}
				}
				if logger.Enabled(ctx, slog.LevelDebug) {
					logger.DebugContext(ctx, "event handled", slog.String("type", ev.Type()), slog.Duration("duration", time.Since(start)))
				}
				return reply, nil
			}
			name := ErrorName(err)
			logger.LogAttrs(ctx, levelFor(err), "event failed", slog.String("type", ev.Type()), slog.String("errorType", name),
				slog.String("error", err.Error()), slog.Duration("duration", time.Since(start)))
			return reply, err
		}
	}
}
