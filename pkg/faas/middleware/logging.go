package middleware

import (
	"context"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Logging puts the event id and correlation id in the context (so
// telemetry.NewLogger loggers stamp them on every record) and logs the
// outcome: success at Debug, a named business error at Warn, anything else
// at Error, each with the event type and duration. A reply without a
// correlationid extension inherits the incoming event's correlation id.
func Logging(logger *slog.Logger) faas.Middleware {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			ctx = telemetry.WithIDs(ctx, ev.ID(), faas.CorrelationID(ev))
			start := time.Now()
			reply, err := next(ctx, ev)
			if err == nil {
				if reply != nil {
					if _, ok := faas.Extension(*reply, faas.CorrelationExtension); !ok {
						reply.SetExtension(faas.CorrelationExtension, faas.CorrelationID(ev))
					}
				}
				if logger.Enabled(ctx, slog.LevelDebug) {
					logger.DebugContext(ctx, "event handled", slog.String("type", ev.Type()), slog.Duration("duration", time.Since(start)))
				}
				return reply, nil
			}
			name := faas.ErrorName(err)
			logger.LogAttrs(ctx, LevelFor(err), "event failed", slog.String("type", ev.Type()), slog.String("errorType", name),
				slog.String("error", err.Error()), slog.Duration("duration", time.Since(start)))
			return reply, err
		}
	}
}

// LevelFor is the log level of a failure: Warn for what the caller got wrong
// or a business rule refused (a 4xx problem), Error for the rest.
func LevelFor(err error) slog.Level {
	if faas.ProblemFor(err).Status < 500 {
		return slog.LevelWarn
	}
	return slog.LevelError
}
