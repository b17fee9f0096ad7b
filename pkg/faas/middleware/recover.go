package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Recover turns a panic in the handler into an *Error named ErrPanic, so one
// bad event fails alone instead of crashing the process (and, on Lambda,
// every other record of its batch). The stack is logged at Error level.
func Recover(logger *slog.Logger) faas.Middleware {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (reply *cloudevents.Event, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = PanicError(ctx, logger, r)
					reply = nil
				}
			}()
			return next(ctx, ev)
		}
	}
}

// PanicError logs a recovered panic with its stack and turns it into a
// CogniForge.Panic error; adapters use it for panics outside the chain.
func PanicError(ctx context.Context, logger *slog.Logger, r any) *faas.Error {
	e := &faas.Error{Name: faas.ErrPanic, Message: fmt.Sprintf("panic: %v", r)}
	if re, ok := r.(error); ok {
		e.Err = re
	}
	if logger != nil {
		logger.ErrorContext(ctx, "handler panicked", slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
	}
	return e
}
