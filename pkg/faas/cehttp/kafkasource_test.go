package cehttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
)

// Knative's KafkaSource delivers a record that is not itself a CloudEvent
// as dev.knative.kafka.event with the value as data, in binary mode: the
// adapter hands the function the catalog event inside, or refuses the
// record by name so Knative retries and dead-letters it.
func TestKafkaSourceEventsAreUnwrapped(t *testing.T) {
	var got cloudevents.Event
	fn := faas.Function{Name: "r", Handler: func(_ context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		got = ev
		return nil, nil
	}}
	srv := httptest.NewServer(cehttp.NewHandler(fn, faastest.Options()...))
	defer srv.Close()
	post := func(value string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(value))
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", "partition:0/offset:42")
		req.Header.Set("Ce-Source", "/apis/v1/namespaces/default/kafkasources/events#cogniforge-events")
		req.Header.Set("Ce-Subject", "partition:0#42")
		req.Header.Set("Ce-Type", cehttp.KafkaSourceEventType)
		req.Header.Set("Ce-Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	inner := faastest.CompletedEvent("e-7", faastest.RequestCompleted{Service: "s", Operation: "op"})
	if resp := post(faastest.StructuredJSON(t, inner)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202", resp.StatusCode)
	}
	if got.ID() != "e-7" || got.Type() != faastest.CompletedType || got.Extensions()["traceparent"] == nil {
		t.Fatalf("handler got %v, want the record's event with the source's traceparent", got)
	}
	if resp := post(`{"service":"s"}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a plain record: status %d, want 400", resp.StatusCode)
	}
	bad := faastest.CompletedEvent("e-8", faastest.RequestCompleted{Operation: "op"}) // no service: invalid in the catalog
	if resp := post(faastest.StructuredJSON(t, bad)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an invalid inner event: status %d, want 400", resp.StatusCode)
	}
}
