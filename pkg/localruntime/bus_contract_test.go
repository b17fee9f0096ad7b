package localruntime

import (
	"context"
	"fmt"
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

// A queued event is the queue's own copy: a publisher that goes on changing
// its event (the Logging middleware stamps a reply's correlation id) races
// no delivery. Run with -race.
func TestQueuedEventIsACopy(t *testing.T) {
	seen := make(chan string, 1)
	h := start(t, nil, faas.Function{Name: "reader",
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			for k := range e.Extensions() {
				_ = k
			}
			seen <- e.ID()
			return nil, nil
		},
		Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, EventTypes: []string{bustest.TypeA}}},
	})
	e := bustest.Event(t, bustest.TypeA, "copy-1", map[string]any{})
	if _, err := h.rt.Publish(context.Background(), []cloudevents.Event{e}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		e.SetExtension("correlationid", fmt.Sprint("c-", i))
	}
	if id := <-seen; id != "copy-1" {
		t.Fatalf("delivered %s", id)
	}
}
