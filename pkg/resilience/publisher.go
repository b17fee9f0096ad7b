package resilience

import (
	"context"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// Publisher is a bus.Publisher whose every Publish goes through a policy:
// a call that fails as a whole (the bus unreachable, throttled) is retried
// and counted by the breaker; events the bus refused one by one are
// returned as they are (the call itself succeeded). Retrying a publish is
// safe when subscribers deduplicate on the event id, as CogniForge's do.
type Publisher struct {
	Policy *Policy
	Next   bus.Publisher
}

var _ bus.Publisher = Publisher{}

// Publish implements bus.Publisher.
func (p Publisher) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	return Do(ctx, p.Policy, func(ctx context.Context) ([]error, error) {
		return p.Next.Publish(ctx, evs)
	})
}
