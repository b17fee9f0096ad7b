package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// exampleBus is a toy bus.Publisher: it hands each event to the subscribers of
// its type and refuses events whose data is over limit bytes, as EventBridge
// refuses entries over 256 KB.
type exampleBus struct {
	limit int
	subs  map[string][]func(cloudevents.Event)
}

func (b *exampleBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	results := make([]error, len(evs))
	for i, e := range evs {
		if len(e.Data()) > b.limit {
			results[i] = fmt.Errorf("event %s: %w", e.ID(), bus.ErrEventTooLarge)
			continue
		}
		for _, sub := range b.subs[e.Type()] {
			sub(e)
		}
	}
	return results, nil
}

// A publisher answers per event: the caller keeps the accepted ones, and
// gives up on an event too large for the bus instead of retrying it forever.
func Example() {
	var p bus.Publisher = &exampleBus{limit: 64, subs: map[string][]func(cloudevents.Event){
		"dev.cogniforge.order.placed.v1": {func(e cloudevents.Event) { fmt.Println("shipping got", e.ID()) }},
	}}

	evs := []cloudevents.Event{
		exampleEvent("o-1", `{"orderId":"o-1"}`),
		exampleEvent("o-2", `{"orderId":"o-2","note":"`+strings.Repeat("x", 100)+`"}`),
	}
	results, err := p.Publish(context.Background(), evs)
	if err != nil { // nothing was published: the whole batch may be retried
		fmt.Println("publish failed:", err)
		return
	}
	for i, r := range results {
		switch {
		case r == nil:
			fmt.Println(evs[i].ID(), "accepted")
		case errors.Is(r, bus.ErrEventTooLarge):
			fmt.Println(evs[i].ID(), "dropped: too large")
		default:
			fmt.Println(evs[i].ID(), "to retry:", r)
		}
	}
	// Output:
	// shipping got o-1
	// o-1 accepted
	// o-2 dropped: too large
}

func exampleEvent(id, data string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("/orders")
	e.SetType("dev.cogniforge.order.placed.v1")
	_ = e.SetData(cloudevents.ApplicationJSON, []byte(data))
	return e
}
