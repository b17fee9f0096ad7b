package telemetry

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

type idsKey struct{}

type ids struct{ event, correlation string }

// WithIDs returns ctx carrying the id of the event being handled and its
// correlation id (the id shared by every event of one business flow). The
// logger of NewLogger stamps both on each record.
func WithIDs(ctx context.Context, eventID, correlationID string) context.Context {
	return context.WithValue(ctx, idsKey{}, ids{event: eventID, correlation: correlationID})
}

// WithEventID returns ctx carrying eventID, keeping its correlation id.
func WithEventID(ctx context.Context, eventID string) context.Context {
	return WithIDs(ctx, eventID, CorrelationID(ctx))
}

// WithCorrelationID returns ctx carrying correlationID, keeping its event id.
func WithCorrelationID(ctx context.Context, correlationID string) context.Context {
	return WithIDs(ctx, EventID(ctx), correlationID)
}

// EventID returns the event id carried by ctx, or "".
func EventID(ctx context.Context) string {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.event
}

// CorrelationID returns the correlation id carried by ctx, or "".
func CorrelationID(ctx context.Context) string {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.correlation
}

// NewLogger returns a JSON logger writing to w at level (nil means Info) that
// adds "function" to every record and, from the record's context, trace_id,
// span_id, event_id and correlation_id. Attribute values are masked (see
// MaskAttr): secrets by key, e-mail addresses, card numbers and SSNs by
// value. Use the *Context logging methods so the ids are found.
func NewLogger(w io.Writer, function string, level slog.Leveler) *slog.Logger {
	if level == nil {
		level = slog.LevelInfo
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			return MaskAttr(a)
		},
	})
	var root slog.Handler = &contextHandler{next: h}
	if function != "" {
		root = root.WithAttrs([]slog.Attr{slog.String("function", function)})
	}
	return slog.New(root)
}

// contextHandler adds ids found in the context to each record.
type contextHandler struct{ next slog.Handler }

func (h *contextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
		if v, ok := ctx.Value(idsKey{}).(ids); ok {
			if v.event != "" {
				r.AddAttrs(slog.String("event_id", v.event))
			}
			if v.correlation != "" {
				r.AddAttrs(slog.String("correlation_id", v.correlation))
			}
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &contextHandler{next: h.next.WithAttrs(as)}
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	return &contextHandler{next: h.next.WithGroup(name)}
}
