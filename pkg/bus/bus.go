// Package bus is the event bus port: publish CloudEvents to whoever subscribes
// to their type. EventBridge in AWS, an in-process bus in the local runtime.
package bus

import (
	"context"
	"errors"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// Publisher publishes events. The returned slice has one entry per event: nil
// when that event was accepted, the reason otherwise. A non-nil error means
// nothing was published.
type Publisher interface {
	Publish(ctx context.Context, events []cloudevents.Event) ([]error, error)
}

// ErrEventTooLarge is the per-event error of an event larger than the bus
// takes in one publish (256 KB on EventBridge); sending it again cannot
// succeed.
var ErrEventTooLarge = errors.New("bus: event exceeds the bus's size limit")

// PublishOne publishes ev alone and returns the call's error or, failing
// that, the event's own.
func PublishOne(ctx context.Context, p Publisher, ev cloudevents.Event) error {
	errs, err := p.Publish(ctx, []cloudevents.Event{ev})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}
