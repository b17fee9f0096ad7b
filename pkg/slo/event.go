package slo

import (
	"encoding/json"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
)

// FromCloudEvent reads the fields SLIs select on from a request-completed
// CloudEvent that the catalog has validated. Its time is data.timestamp,
// else the CloudEvent time.
func FromCloudEvent(ev cloudevents.Event) (Event, error) {
	if ev.Type() != EventType {
		return Event{}, &EventError{Name: ErrNameInvalidEvent, Message: fmt.Sprintf("event %s is of type %q; SLIs count %s", ev.ID(), ev.Type(), EventType)}
	}
	var d events.RequestCompleted
	if err := json.Unmarshal(ev.Data(), &d); err != nil {
		return Event{}, &EventError{Name: ErrNameInvalidEvent, Message: fmt.Sprintf("event %s: data is not a request-completed object: %v", ev.ID(), err), Err: err}
	}
	e := Event{Source: ev.Source(), ID: ev.ID(), Time: ev.Time(), Service: d.Service, Operation: d.Operation,
		Region: d.Region, Status: d.Status, HTTPStatus: d.HTTPStatus, DurationMs: d.DurationMs, Version: d.Version}
	if d.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, d.Timestamp)
		if err != nil {
			return Event{}, &EventError{Name: ErrNameInvalidEvent, Message: fmt.Sprintf("event %s: data.timestamp %q is not an RFC 3339 time", ev.ID(), d.Timestamp), Err: err}
		}
		e.Time = t
	}
	return e, nil
}
