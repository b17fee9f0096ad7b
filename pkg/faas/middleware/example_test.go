package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
)

// exampleValidator stands in for the event catalog: an order event needs an
// orderId.
type exampleValidator struct{}

func (exampleValidator) Validate(ev cloudevents.Event) error {
	var d struct{ OrderID string }
	if err := ev.DataAs(&d); err != nil || d.OrderID == "" {
		return &faas.FieldError{Field: "data.orderId", Err: errors.New("is required")}
	}
	return nil
}

// The adapters compose these around every handler; composed by hand they show
// what each one turns a failure into: a named error that an ASL Catch, an
// HTTP problem or an SQS retry decision reads, whatever the platform.
func Example() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil)) // Recover logs the stack here
	handle := func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		var d struct{ OrderID string }
		_ = ev.DataAs(&d)
		switch d.OrderID {
		case "boom":
			panic("nil map in pricing")
		case "slow":
			<-ctx.Done() // a handler that honours ctx
			return nil, ctx.Err()
		}
		return nil, nil
	}
	h := faas.Chain(handle,
		middleware.Recover(logger),
		middleware.Timeout(middleware.DefaultTimeoutMargin),
		middleware.Validate(exampleValidator{}),
		middleware.Accept("dev.cogniforge.order.placed.v1"),
	)

	// An invocation whose deadline has already passed.
	late, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()

	for _, c := range []struct {
		name    string
		ctx     context.Context
		typ, id string
	}{
		{"good", context.Background(), "dev.cogniforge.order.placed.v1", "o-1"},
		{"no order id", context.Background(), "dev.cogniforge.order.placed.v1", ""},
		{"wrong type", context.Background(), "dev.cogniforge.order.shipped.v1", "o-1"},
		{"panic", context.Background(), "dev.cogniforge.order.placed.v1", "boom"},
		{"out of time", late, "dev.cogniforge.order.placed.v1", "slow"},
	} {
		ev := cloudevents.NewEvent()
		ev.SetID("e-1")
		ev.SetSource("/orders")
		ev.SetType(c.typ)
		_ = ev.SetData(cloudevents.ApplicationJSON, map[string]string{"orderId": c.id})
		_, err := h(c.ctx, ev)
		if err == nil {
			fmt.Printf("%s: ok\n", c.name)
			continue
		}
		p := faas.ProblemFor(err)
		fmt.Printf("%s: %s status=%d field=%s retryable=%t\n", c.name, faas.ErrorName(err), p.Status, p.Field, p.Retryable)
	}
	// Output:
	// good: ok
	// no order id: CogniForge.InvalidEvent status=400 field=data.orderId retryable=false
	// wrong type: CogniForge.UnsupportedPayload status=400 field=type retryable=false
	// panic: CogniForge.Panic status=500 field= retryable=false
	// out of time: CogniForge.Timeout status=504 field= retryable=true
}
