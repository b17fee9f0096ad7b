package faas

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// Recover turns a panic in the handler into an *Error named ErrPanic, so one
// bad event fails alone instead of crashing the process (and, on Lambda,
// every other record of its batch). The stack is logged at Error level.
func Recover(logger *slog.Logger) Middleware {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, ev cloudevents.Event) (reply *cloudevents.Event, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = panicError(ctx, logger, r)
					reply = nil
				}
			}()
			return next(ctx, ev)
		}
	}
}

func panicError(ctx context.Context, logger *slog.Logger, r any) *Error {
	e := &Error{Name: ErrPanic, Message: fmt.Sprintf("panic: %v", r)}
	if re, ok := r.(error); ok {
		e.Err = re
	}
	if logger != nil {
		logger.ErrorContext(ctx, "handler panicked", slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
	}
	return e
}
