package saga_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// services are the four functions behind faas invokers, as Lambda runs
// them, on one store.
type services struct {
	svc  *orders.Services
	st   store.Store
	bus  *bustest.Recorder
	invs map[string]*lambda.Invoker
}

func newServices(t testing.TB, st store.Store) *services {
	t.Helper()
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	b := &bustest.Recorder{}
	svc, err := orders.New(orders.Config{Store: st, Saga: saga.Config{Bus: b}})
	if err != nil {
		t.Fatal(err)
	}
	s := &services{svc: svc, st: st, bus: b, invs: map[string]*lambda.Invoker{}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, name := range []string{orders.Inventory, orders.Payment, orders.Shipping, orders.Order} {
		fn, err := svc.Function(name)
		if err != nil {
			t.Fatal(err)
		}
		s.invs[name] = lambda.NewInvoker(fn, adapter.WithLogger(logger), adapter.WithValidator(catalog))
	}
	return s
}

func boltStore(t testing.TB) store.Store {
	t.Helper()
	s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), GroupCommit: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// payload is the task payload the generated definition sends.
func payload(t testing.TB, sagaID, step, phase string, input any) []byte {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(saga.Task{SagaID: sagaID, Saga: "order-fulfillment", Step: step, Phase: phase, CorrelationID: sagaID,
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Input: in})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *services) call(t *testing.T, step, phase, sagaID string, input any) ([]byte, error) {
	t.Helper()
	return s.invs[step].Invoke(context.Background(), payload(t, sagaID, step, phase, input))
}

func TestEveryActionAndCompensationDeliveredTwice(t *testing.T) {
	s := newServices(t, boltStore(t))
	in := order("o-dup")
	steps := []string{orders.Inventory, orders.Payment, orders.Shipping, orders.Order}
	for _, step := range steps {
		first, err := s.call(t, step, saga.PhaseForward, "o-dup", in)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		events := s.bus.Len()
		second, err := s.call(t, step, saga.PhaseForward, "o-dup", in)
		if err != nil || string(first) != string(second) {
			t.Fatalf("%s delivered twice: %s / %s (%v)", step, first, second, err)
		}
		// A duplicate publishes the first delivery's event again, same id
		// (in case that publish had failed): consumers drop it as a
		// duplicate; no new event appears.
		evs := s.bus.Events()
		if len(evs) != events+1 || evs[events].ID() != evs[events-1].ID() {
			t.Errorf("%s: a duplicate published %d events, want the first one again", step, len(evs)-events)
		}
	}
	ctx := context.Background()
	if n, _ := s.svc.Stock(ctx, "sku-1"); n != 98 {
		t.Fatalf("stock after duplicated reservations = %d, want 98", n)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		step := steps[i]
		for n := 0; n < 2; n++ {
			out, err := s.call(t, step, saga.PhaseCompensation, "o-dup", in)
			var res saga.CompensationResult
			if err != nil || json.Unmarshal(out, &res) != nil || !res.Compensated || res.Duplicate != (n == 1) {
				t.Fatalf("%s compensation %d: %s %v", step, n, out, err)
			}
		}
	}
	if n, _ := s.svc.Stock(ctx, "sku-1"); n != 100 {
		t.Errorf("stock after duplicated releases = %d, want 100", n)
	}
	if c, _, _ := orders.Record[orders.Charge](ctx, s.st, orders.PaymentKey("o-dup")); c.State != orders.Refunded || c.AmountCents != 5000 {
		t.Errorf("payment = %+v, want refunded once", c)
	}
	for _, step := range steps {
		_, err := s.call(t, step, saga.PhaseForward, "o-dup", in)
		if faas.ErrorName(err) != saga.ErrHanging {
			t.Errorf("%s after compensation: %v, want %s", step, err, saga.ErrHanging)
		}
	}
}

func TestCompensationDeliveredBeforeItsAction(t *testing.T) {
	s := newServices(t, boltStore(t))
	in := order("o-early")
	ctx := context.Background()
	for _, step := range []string{orders.Inventory, orders.Payment, orders.Shipping, orders.Order} {
		out, err := s.call(t, step, saga.PhaseCompensation, "o-early", in)
		var res saga.CompensationResult
		if err != nil || json.Unmarshal(out, &res) != nil || res.Compensated {
			t.Fatalf("%s early compensation: %s %v, want a null compensation", step, out, err)
		}
		_, err = s.call(t, step, saga.PhaseForward, "o-early", in)
		if faas.ErrorName(err) != saga.ErrHanging {
			t.Fatalf("%s action after its compensation: %v, want %s", step, err, saga.ErrHanging)
		}
	}
	if n, _ := s.svc.Stock(ctx, "sku-1"); n != 100 {
		t.Errorf("stock = %d, want 100: the hanging reservation took stock", n)
	}
	if _, found, _ := orders.Record[orders.Charge](ctx, s.st, orders.PaymentKey("o-early")); found {
		t.Error("the null compensation wrote a payment record: the barrier should have kept it from running")
	}
}

func TestBadPayloadsAreNamedRefusals(t *testing.T) {
	s := newServices(t, boltStore(t))
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"missing saga id", `{"step":"payment","phase":"forward","correlationId":"x","input":{"items":[{"sku":"sku-1","quantity":1}],"payment":{"token":"t"}}}`, saga.ErrInvalidInput},
		{"unknown phase", `{"sagaId":"s","step":"payment","phase":"sideways","correlationId":"s","input":{}}`, saga.ErrInvalidInput},
		{"no input", `{"sagaId":"s","step":"payment","phase":"forward","correlationId":"s"}`, saga.ErrInvalidInput},
		{"input of the wrong shape", `{"sagaId":"s","step":"payment","phase":"forward","correlationId":"s","input":{"items":"many"}}`, saga.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.invs[orders.Payment].Invoke(context.Background(), []byte(tt.payload))
			if faas.ErrorName(err) != tt.want {
				t.Errorf("error = %v (%s), want %s", err, faas.ErrorName(err), tt.want)
			}
		})
	}
}

// A step task for a saga whose step already ran with another input (the
// issue's "re-running with another input returns the first run's
// results") is a conflict: no second effect and not the other input's
// answer. The same input is still a duplicate.
func TestStepTaskWithAnotherInputIsAConflict(t *testing.T) {
	s := newServices(t, boltStore(t))
	first := order("o-step")
	other := order("o-step", func(m map[string]any) { m["items"] = []any{map[string]any{"sku": "sku-2", "quantity": 7}} })
	for _, step := range []string{orders.Inventory, orders.Payment, orders.Shipping, orders.Order} {
		want, err := s.call(t, step, saga.PhaseForward, "o-step", first)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if _, err := s.call(t, step, saga.PhaseForward, "o-step", other); faas.ErrorName(err) != saga.ErrConflict {
			t.Errorf("%s with another input: %v, want %s", step, err, saga.ErrConflict)
		}
		if again, err := s.call(t, step, saga.PhaseForward, "o-step", first); err != nil || string(again) != string(want) {
			t.Errorf("%s with the first input again: %s %v, want the first answer", step, again, err)
		}
	}
	ctx := context.Background()
	if n, _ := s.svc.Stock(ctx, "sku-2"); n != 100 {
		t.Errorf("sku-2 stock %d: the conflicting task reserved", n)
	}
	if n, _ := s.svc.Stock(ctx, "sku-1"); n != 98 {
		t.Errorf("sku-1 stock %d, want the first reservation only (98)", n)
	}
}
