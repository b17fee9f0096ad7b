package saga_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/saga/sagatest"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestBarrierMemory(t *testing.T) {
	sagatest.Run(t, func(*testing.T) store.Store { return memory.New(memory.Config{}) })
}

func TestBarrierBolt(t *testing.T) {
	sagatest.Run(t, func(t *testing.T) store.Store {
		s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), GroupCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// An action whose compensation arrives while it runs undoes itself; with a
// nil undo (a step with nothing to undo) it must still answer Saga.Hanging
// instead of panicking.
func TestForwardAbortedWithNilUndo(t *testing.T) {
	ctx := context.Background()
	b, err := saga.NewBarrier(saga.BarrierConfig{Store: memory.New(memory.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	id := saga.ID{SagaID: "nil-undo", Step: "s"}
	do := func(ctx context.Context) (json.RawMessage, error) {
		// The compensation comes while the action is working.
		if _, err := b.Compensate(ctx, id, nil); err != nil {
			t.Fatalf("compensation: %v", err)
		}
		return json.RawMessage(`{}`), nil
	}
	_, err = b.Forward(ctx, id, do, nil)
	if got := faas.ErrorName(err); got != saga.ErrHanging {
		t.Fatalf("error %v (%s), want %s", err, got, saga.ErrHanging)
	}
}

// A step function refuses a task addressed to a step it does not serve,
// before writing anything: the issue's `invoke inventory` with a payment
// task.
func TestStepFunctionRefusesAnotherStepsTask(t *testing.T) {
	st := memory.New(memory.Config{})
	ran := false
	step := saga.Step[demoIn, demoOut]{Action: func(context.Context, demoIn) (demoOut, error) { ran = true; return demoOut{}, nil }}
	tests := []struct {
		name    string
		names   []string
		task    string
		wantErr string
	}{
		{"own name by default", nil, "inventory", ""},
		{"another step", nil, "payment", saga.ErrWrongStep},
		{"listed names", []string{"reserve", "hold"}, "hold", ""},
		{"function name not listed", []string{"reserve"}, "inventory", saga.ErrWrongStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = false
			s := step
			s.Names = tt.names
			fn, err := saga.NewFunction("inventory", "", s, saga.Config{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			sagaID := "ws-" + strings.ReplaceAll(tt.name, " ", "-")
			_, err = inv.Invoke(context.Background(), []byte(`{"sagaId":"`+sagaID+`","step":"`+tt.task+`","phase":"forward","input":{"id":"x"}}`))
			if got := faas.ErrorName(err); (err == nil) != (tt.wantErr == "") || err != nil && got != tt.wantErr {
				t.Fatalf("error %v (%s), want %q", err, got, tt.wantErr)
			}
			if tt.wantErr != "" {
				if ran {
					t.Error("the action ran for another step's task")
				}
				if items, _ := st.Query(context.Background(), saga.PartitionPrefix+sagaID, "", 0); len(items) != 0 {
					t.Errorf("a refused task wrote %d records", len(items))
				}
				if !saga.IsBusiness(err) {
					t.Error("Saga.WrongStep must not be retried")
				}
			}
		})
	}
}
