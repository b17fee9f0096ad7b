// Package bustest holds test helpers for the bus port: a Recorder that
// accepts every event and keeps it for assertions. It is safe for concurrent
// use, as the publishers of a saga or a state machine's branches call it from
// many goroutines.
package bustest

import (
	"context"
	"sync"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

var _ bus.Publisher = (*Recorder)(nil)

// Recorder is a bus.Publisher that accepts every event and records it in
// publish order. The zero value is ready to use.
type Recorder struct {
	mu     sync.Mutex
	events []cloudevents.Event
}

// Publish records evs and accepts each of them.
func (r *Recorder) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
	return make([]error, len(evs)), nil
}

// Events returns a copy of the events published so far.
func (r *Recorder) Events() []cloudevents.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]cloudevents.Event(nil), r.events...)
}

// Types returns the types of the events published so far, in order.
func (r *Recorder) Types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Type()
	}
	return out
}

// Len is how many events were published.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}
