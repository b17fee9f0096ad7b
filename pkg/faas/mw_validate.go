package faas

import (
	"context"
	"errors"
	"slices"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// Validate rejects events v finds invalid with an *Error named
// ErrInvalidEvent (HTTP 400, an SQS batch item failure, a typed Lambda
// error) before the handler sees them. A nil v validates nothing.
func Validate(v Validator) Middleware {
	return func(next Handler) Handler {
		if v == nil {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if err := v.Validate(ev); err != nil {
				var named *Error
				if errors.As(err, &named) && named.Name == ErrInvalidEvent {
					return nil, err
				}
				return nil, &Error{Name: ErrInvalidEvent, Message: "invalid " + ev.Type() + " event: " + err.Error(), Err: err}
			}
			return next(ctx, ev)
		}
	}
}

// Accept rejects events whose type is not listed with an *Error named
// ErrUnsupported. No types means every type is accepted. The adapters add it
// for Function.Consumes.
func Accept(types ...string) Middleware {
	return func(next Handler) Handler {
		if len(types) == 0 {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if !slices.Contains(types, ev.Type()) {
				return nil, &Error{Name: ErrUnsupported, Message: "event type " + ev.Type() + " is not consumed by this function",
					Err: &FieldError{Field: "type", Err: errors.New("not consumed")}}
			}
			return next(ctx, ev)
		}
	}
}
