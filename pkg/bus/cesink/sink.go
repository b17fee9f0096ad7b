// Package cesink publishes CloudEvents to a sink URL over the CloudEvents
// HTTP binding, one POST per event: the bus.Publisher of Knative ($K_SINK).
package cesink

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cogniforge/cogniforge/pkg/bus"
)

// Sink publishes to a CloudEvents HTTP sink, such as the broker address
// Knative injects as K_SINK: one POST per event in binary mode.
type Sink struct {
	url    string
	client *http.Client
}

var _ bus.Publisher = (*Sink)(nil)

// New returns a Sink posting to url with client (nil means
// http.DefaultClient).
func New(url string, client *http.Client) (*Sink, error) {
	if url == "" {
		return nil, errors.New("bus: sink URL is empty")
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Sink{url: url, client: client}, nil
}

// Publish posts every event; a 2xx answer accepts it.
func (s *Sink) Publish(ctx context.Context, events []cloudevents.Event) ([]error, error) {
	out := make([]error, len(events))
	for i := range events {
		out[i] = s.post(ctx, &events[i])
	}
	return out, nil
}

func (s *Sink) post(ctx context.Context, e *cloudevents.Event) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, nil)
	if err != nil {
		return fmt.Errorf("bus: sink request: %w", err)
	}
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(e), req); err != nil {
		return fmt.Errorf("bus: encode event %s: %w", e.ID(), err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("bus: post event %s to %s: %w", e.ID(), s.url, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("bus: sink %s answered %s for event %s", s.url, resp.Status, e.ID())
	}
	return nil
}
