package middleware

import (
	"context"
	"errors"
	"slices"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Validator checks an event against its schema (pkg/events' Catalog is one).
// Errors that implement FieldName() string name the offending field in HTTP
// problems.
type Validator interface {
	Validate(cloudevents.Event) error
}

// Validate rejects events v finds invalid with an *Error named
// ErrInvalidEvent (HTTP 400, an SQS batch item failure, a typed Lambda
// error) before the handler sees them. A nil v validates nothing.
func Validate(v Validator) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		if v == nil {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if err := v.Validate(ev); err != nil {
				var named *faas.Error
				if errors.As(err, &named) && named.Name == faas.ErrInvalidEvent {
					return nil, err
				}
				return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: "invalid " + ev.Type() + " event: " + err.Error(), Err: err}
			}
			return next(ctx, ev)
		}
	}
}

// Accept rejects events whose type is not listed with an *Error named
// ErrUnsupported. No types means every type is accepted. The adapters add it
// for Function.Consumes.
func Accept(types ...string) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		if len(types) == 0 {
			return next
		}
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if !slices.Contains(types, ev.Type()) {
				return nil, &faas.Error{Name: faas.ErrUnsupported, Message: "event type " + ev.Type() + " is not consumed by this function",
					Err: &faas.FieldError{Field: "type", Err: errors.New("not consumed")}}
			}
			return next(ctx, ev)
		}
	}
}
