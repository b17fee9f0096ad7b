package middleware

import (
	"context"
	"errors"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// DefaultTimeoutMargin is how long before the invocation deadline Timeout
// cancels the handler, leaving time to report the failure and flush telemetry.
const DefaultTimeoutMargin = 500 * time.Millisecond

// Timeout derives the handler's deadline from the context's (the Lambda
// invocation deadline, an HTTP server's request timeout) minus margin, so the
// handler gives up while there is still time to answer; when at most twice the
// margin is left the deadline is kept as is. A handler that fails because that
// deadline passed gets an *Error named ErrTimeout, marked Retryable. Without a
// deadline nothing is added. Handlers must honour ctx for this to bite.
func Timeout(margin time.Duration) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			deadline, ok := ctx.Deadline()
			if !ok {
				return next(ctx, ev)
			}
			if margin > 0 && time.Until(deadline) > 2*margin {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline.Add(-margin))
				defer cancel()
			}
			reply, err := next(ctx, ev)
			if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)) {
				var named *faas.Error
				if errors.As(err, &named) && named.Name != "" && named.Name != faas.ErrTimeout {
					return reply, err
				}
				return nil, &faas.Error{Name: faas.ErrTimeout, Message: "handler ran out of time: " + err.Error(), Retryable: true, Err: err}
			}
			return reply, err
		}
	}
}
