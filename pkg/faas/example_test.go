package faas_test

import (
	"context"
	"errors"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// A handler names its failures; middleware wraps it; the name survives
// wrapping, which is what an ASL Catch or an HTTP problem reads.
func ExampleChain() {
	greet := func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		var in struct{ Name string }
		if err := ev.DataAs(&in); err != nil || in.Name == "" {
			return nil, faas.Errorf("Greeter.NoName", "who should I greet?")
		}
		return nil, nil
	}
	wrap := func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			_, err := next(ctx, ev)
			if err != nil {
				err = fmt.Errorf("greeting %s: %w", ev.ID(), err)
			}
			return nil, err
		}
	}
	h := faas.Chain(greet, wrap)

	ev := cloudevents.NewEvent()
	ev.SetID("1")
	ev.SetSource("/example")
	ev.SetType("dev.cogniforge.greeting.requested.v1")
	_ = ev.SetData(cloudevents.ApplicationJSON, map[string]string{"name": ""})
	_, err := h(context.Background(), ev)
	fmt.Println(faas.ErrorName(err), faas.ProblemFor(err).Status)
	fmt.Println(faas.ErrorName(errors.New("plain")))
	// Output:
	// Greeter.NoName 422
	// errorString
}
