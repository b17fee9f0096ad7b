package saga_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cogniforge/cogniforge/pkg/faas"
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
	inv := faas.NewInvoker(fn, faas.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
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
