package saga_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// A step is two plain functions; NewFunction puts them behind the barrier.
// Here the compensation arrives first (a null compensation) and the late
// action is refused.
func ExampleNewFunction() {
	st := memory.New(memory.Config{})
	type booking struct {
		Seat string `json:"seat"`
	}
	book := saga.Step[booking, booking]{
		Action: func(ctx context.Context, in booking) (booking, error) {
			info, _ := saga.InfoFrom(ctx)
			key := store.Key{Partition: "seats", Sort: info.SagaID}
			_, err := st.Put(ctx, store.Item{Key: key, Value: []byte(in.Seat)}, store.Condition{})
			return in, err
		},
		Compensation: func(ctx context.Context, _ booking) error {
			info, _ := saga.InfoFrom(ctx)
			return st.Delete(ctx, store.Key{Partition: "seats", Sort: info.SagaID}, store.Condition{})
		},
		Names: []string{"seat"}, // the spec's step name, served by the function "seats"
	}
	fn, err := saga.NewFunction("seats", "books a seat", book, saga.Config{Store: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	call := func(phase string) {
		out, err := inv.Invoke(context.Background(), []byte(`{"sagaId":"trip-1","step":"seat","phase":"`+phase+`","input":{"seat":"12A"}}`))
		if err != nil {
			fmt.Printf("%s: %s\n", phase, faas.ErrorName(err))
			return
		}
		fmt.Printf("%s: %s\n", phase, out)
	}
	call("compensation")
	call("forward")
	call("compensation")
	// Output:
	// compensation: {"step":"seat","compensated":false}
	// forward: Saga.Hanging
	// compensation: {"step":"seat","compensated":false,"duplicate":true}
}

// offlineBus is a bus that is down until it is switched on.
type offlineBus struct{ on bool }

func (b *offlineBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	if !b.on {
		return nil, errors.New("bus unavailable")
	}
	for _, e := range evs {
		fmt.Println("published", e.ID())
	}
	return make([]error, len(evs)), nil
}

// A saga event accepted while the bus is down waits in the outbox (the
// saga record) and the relay publishes it later; the saga itself went on.
func ExampleRelay() {
	st := memory.New(memory.Config{})
	bus := &offlineBus{}
	fn, _ := saga.NewFunction("seats", "", saga.Step[struct{}, struct{}]{
		Action: func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil },
	}, saga.Config{Store: st, Bus: bus, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	out, err := inv.Invoke(context.Background(), []byte(`{"sagaId":"trip-2","saga":"trip","step":"seats","phase":"begin","input":{"seat":"3C"}}`))
	fmt.Println(string(out), err)

	relay, _ := saga.NewRelay(saga.RelayConfig{Store: st, Bus: bus})
	bus.on = true
	rep, err := relay.Drain(context.Background())
	fmt.Printf("%+v %v\n", rep, err)
	// Output:
	// {"decision":"run"} <nil>
	// published trip-2/saga/started
	// {Published:1 Dropped:0 Pending:0} <nil>
}
