package lambda_test

import (
	"context"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
)

// A function is a handler plus metadata; the same value runs on every platform.
func exampleFunction() faas.Function {
	return faas.Function{
		Name:          "greeter",
		TaskEventType: "dev.cogniforge.greeting.requested.v1",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			var in struct{ Name string }
			if err := ev.DataAs(&in); err != nil || in.Name == "" {
				return nil, faas.Errorf("Greeter.NoName", "who should I greet?")
			}
			reply := cloudevents.NewEvent()
			reply.SetID("greeting-" + ev.ID())
			reply.SetSource("/greeter")
			reply.SetType("dev.cogniforge.greeting.sent.v1")
			_ = reply.SetData(cloudevents.ApplicationJSON, map[string]string{"greeting": "hello " + in.Name})
			return &reply, nil
		},
	}
}

// The Invoker runs a function on raw Lambda payloads: here a Step Functions
// task input, whose reply is the reply event's data.
func ExampleInvoker_Invoke() {
	inv := lambda.NewInvoker(exampleFunction(), adapter.WithLogger(faastest.QuietLogger()))
	out, err := inv.Invoke(context.Background(), []byte(`{"name":"Ada"}`))
	fmt.Println(string(out), err)

	_, err = inv.Invoke(context.Background(), []byte(`{"name":""}`))
	fmt.Println(faas.ErrorName(err))
	// Output:
	// {"greeting":"hello Ada"} <nil>
	// Greeter.NoName
}
