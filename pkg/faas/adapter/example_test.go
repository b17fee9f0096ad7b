package adapter_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
)

// What a platform adapter does with a batch its platform delivered (an SQS
// batch, say): build the shared options once, compose the function's handler
// with the standard chain, and run the batch through it. Events the platform
// could not even decode are marked in pre and fail alone; an event of a type
// the function does not consume is refused before the handler runs.
func ExampleRunBatch() {
	fn := faas.Function{
		Name:     "shipping",
		Consumes: []string{"dev.cogniforge.order.placed.v1"},
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			reply := cloudevents.NewEvent()
			reply.SetID("shipped-" + ev.ID())
			reply.SetSource("/shipping")
			reply.SetType("dev.cogniforge.order.shipped.v1")
			return &reply, nil
		},
	}
	o := adapter.Build([]adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	h := o.Handler(fn)

	evs := []cloudevents.Event{
		exampleEvent("e-1", "dev.cogniforge.order.placed.v1"),
		{}, // the platform could not decode this record
		exampleEvent("e-3", "dev.cogniforge.order.cancelled.v1"),
	}
	pre := []error{nil, faas.Errorf(faas.ErrInvalidEvent, "record 2 is not a CloudEvent"), nil}

	for i, r := range adapter.RunBatch(context.Background(), fn, o, h, evs, pre) {
		if r.Err != nil {
			fmt.Printf("record %d failed: %s\n", i+1, faas.ErrorName(r.Err))
			continue
		}
		fmt.Printf("record %d replied %s\n", i+1, r.Event.ID())
	}
	// Output:
	// record 1 replied shipped-e-1
	// record 2 failed: CogniForge.InvalidEvent
	// record 3 failed: CogniForge.UnsupportedPayload
}

func exampleEvent(id, typ string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("/orders")
	e.SetType(typ)
	return e
}
