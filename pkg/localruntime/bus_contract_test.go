package localruntime

import (
	"context"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// The embedded bus passes the same bus.Publisher contract suite as
// EventBridge (pkg/bus/eventbridge runs it on moto): a subscriber is a
// function whose queue trigger names the suite's types.
func TestEmbeddedBusContract(t *testing.T) {
	bustest.TestPublisher(t, bustest.Features{MaxEventBytes: MaxEventBytes}, func(t *testing.T) bustest.Subject {
		var (
			mu   sync.Mutex
			got  []cloudevents.Event
			more = make(chan struct{}, 1)
		)
		sink := faas.Function{Name: "sink",
			Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
				select {
				case more <- struct{}{}:
				default:
				}
				return nil, nil
			},
			Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, EventTypes: []string{bustest.TypeA, bustest.TypeB}}},
		}
		h := start(t, nil, sink)
		return bustest.Subject{
			Publisher: h.rt,
			Receive: func(ctx context.Context, n int) []cloudevents.Event {
				for {
					mu.Lock()
					have := append([]cloudevents.Event(nil), got...)
					mu.Unlock()
					if len(have) >= n {
						return have
					}
					select {
					case <-more:
					case <-ctx.Done():
						return have
					}
				}
			},
		}
	})
}
