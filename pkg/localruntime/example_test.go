package localruntime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// Two functions in one process: "checkout" is called over HTTP and publishes
// an order event on the runtime's bus; "shipping" subscribes to that type
// and gets the event from its queue, as an EventBridge rule to SQS would
// deliver it on AWS.
func Example() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	shipped := make(chan string, 1)
	var rt *localruntime.Runtime // the bus checkout publishes to

	checkout := faas.Function{
		Name: "checkout",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			placed := cloudevents.NewEvent()
			placed.SetID("placed-" + ev.ID())
			placed.SetSource("/checkout")
			placed.SetType("dev.cogniforge.order.placed.v1")
			_ = placed.SetData(cloudevents.ApplicationJSON, ev.Data())
			results, err := rt.Publish(ctx, []cloudevents.Event{placed})
			if err == nil {
				err = results[0]
			}
			return nil, err // no reply: the HTTP answer is 202 Accepted
		},
	}
	shipping := faas.Function{
		Name:     "shipping",
		Consumes: []string{"dev.cogniforge.order.placed.v1"},
		Triggers: []faas.Trigger{{Kind: faas.TriggerEventBus}},
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			shipped <- ev.ID()
			return nil, nil
		},
	}

	rt, err := localruntime.New(localruntime.Config{
		Functions: []faas.Function{checkout, shipping},
		Store:     memory.New(memory.Config{}),
		HTTPHandler: func(fn faas.Function) http.Handler {
			return cehttp.NewHandler(fn, adapter.WithLogger(quiet))
		},
		Logger: quiet,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- rt.Run(ctx) }()
	srv := httptest.NewServer(rt.Handler())
	defer srv.Close()

	// A binary-mode CloudEvent to checkout's function URL.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/functions/checkout", strings.NewReader(`{"orderId":"o-1"}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "req-1")
	req.Header.Set("Ce-Source", "/shop")
	req.Header.Set("Ce-Type", "dev.cogniforge.checkout.requested.v1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("checkout:", resp.StatusCode)

	select {
	case id := <-shipped:
		fmt.Println("shipping got", id)
	case <-time.After(10 * time.Second): // a guard, not a wait: delivery is immediate
		fmt.Println("shipping got nothing")
	}

	cancel() // Run stops taking work and waits for deliveries in flight
	fmt.Println("stopped:", <-stopped)
	// Output:
	// checkout: 202
	// shipping got placed-req-1
	// stopped: <nil>
}
