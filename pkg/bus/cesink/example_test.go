package cesink_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/cesink"
)

// A Knative function publishes to the broker at $K_SINK. Here an httptest
// server plays the broker: it accepts order events and refuses the rest, and
// Publish reports each event's fate.
func Example() {
	broker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Binary mode: the attributes are Ce-* headers, the body is the data.
		fmt.Println("broker got", r.Header.Get("Ce-Id"), r.Header.Get("Ce-Type"), r.Header.Get("Content-Type"))
		if r.Header.Get("Ce-Type") != "dev.cogniforge.order.placed.v1" {
			http.Error(w, "no trigger for this type", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer broker.Close()

	sink, err := cesink.New(broker.URL, broker.Client())
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := sink.Publish(context.Background(), []cloudevents.Event{
		exampleEvent("e-1", "dev.cogniforge.order.placed.v1"),
		exampleEvent("e-2", "dev.cogniforge.unknown.v1"),
	})
	fmt.Println("call error:", err)
	for i, r := range results {
		fmt.Printf("event %d accepted: %t\n", i+1, r == nil)
	}
	// Output:
	// broker got e-1 dev.cogniforge.order.placed.v1 application/json
	// broker got e-2 dev.cogniforge.unknown.v1 application/json
	// call error: <nil>
	// event 1 accepted: true
	// event 2 accepted: false
}

func exampleEvent(id, typ string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("/orders")
	e.SetType(typ)
	_ = e.SetData(cloudevents.ApplicationJSON, map[string]string{"orderId": "o-1"})
	return e
}
