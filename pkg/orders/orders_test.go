package orders_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func in(sagaID string) context.Context {
	return saga.WithInfo(context.Background(), saga.Info{SagaID: sagaID, Step: "x"})
}

func newServices(t *testing.T, now func() time.Time) *orders.Services {
	t.Helper()
	// The store expires holds by the same clock the services stamp them by.
	s, err := orders.New(orders.Config{Store: memory.New(memory.Config{Now: now}), Now: now, HoldRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func items(pairs ...any) []orders.Item {
	var out []orders.Item
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, orders.Item{SKU: pairs[i].(string), Quantity: int64(pairs[i+1].(int))})
	}
	return out
}

func stockOf(t *testing.T, s *orders.Services, sku string) int64 {
	t.Helper()
	n, err := s.Stock(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReserveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		items []orders.Item
		want  string
	}{
		{"no items", nil, saga.ErrInvalidInput},
		{"zero quantity", items("sku-1", 0), saga.ErrInvalidInput},
		{"negative quantity", items("sku-1", -3), saga.ErrInvalidInput},
		{"unknown sku", items("sku-1", 1, "sku-404", 1), saga.ErrInvalidInput},
		{"empty sku", items("", 1), saga.ErrInvalidInput},
		{"no stock", items("sku-1", 1, "sku-empty", 1), saga.ErrBusiness},
		{"more than the stock", items("sku-2", 60, "sku-2", 41), saga.ErrBusiness},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServices(t, nil)
			_, err := s.Reserve(in("s1"), orders.OrderInput{OrderID: "o", Items: tt.items})
			if faas.ErrorName(err) != tt.want {
				t.Fatalf("error %v, want %s", err, tt.want)
			}
			for _, sku := range []string{"sku-1", "sku-2"} {
				if n := stockOf(t, s, sku); n != 100 {
					t.Errorf("%s stock %d after a refusal, want 100 (nothing half-done)", sku, n)
				}
			}
		})
	}
}

func TestReserveReleaseIdempotentAndFenced(t *testing.T) {
	s := newServices(t, nil)
	order := orders.OrderInput{OrderID: "o", Items: items("sku-1", 3, "sku-2", 1, "sku-1", 2)}
	for i := 0; i < 2; i++ {
		r, err := s.Reserve(in("s1"), order)
		if err != nil || r.TotalCents != 5*1000+2000 || len(r.Items) != 2 {
			t.Fatalf("reserve %d: %+v %v", i, r, err)
		}
	}
	if stockOf(t, s, "sku-1") != 95 || stockOf(t, s, "sku-2") != 99 {
		t.Fatalf("stock after a repeated reservation: %d %d", stockOf(t, s, "sku-1"), stockOf(t, s, "sku-2"))
	}
	for i := 0; i < 2; i++ {
		if err := s.Release(in("s1"), order); err != nil {
			t.Fatal(err)
		}
	}
	if stockOf(t, s, "sku-1") != 100 || stockOf(t, s, "sku-2") != 100 {
		t.Fatal("stock not restored exactly once")
	}
	if _, err := s.Reserve(in("s1"), order); faas.ErrorName(err) != saga.ErrHanging {
		t.Fatalf("reserve after release: %v", err)
	}
	// A release for a saga that never reserved leaves tombstones that fence
	// its late reservation.
	if err := s.Release(in("s2"), order); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reserve(in("s2"), order); faas.ErrorName(err) != saga.ErrHanging || stockOf(t, s, "sku-1") != 100 {
		t.Fatalf("late reserve: %v, stock %d", err, stockOf(t, s, "sku-1"))
	}
}

func TestConcurrentReservationsNeverOversell(t *testing.T) {
	s := newServices(t, nil)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 130; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Reserve(in(fmt.Sprintf("c-%d", i)), orders.OrderInput{OrderID: "o", Items: items("sku-1", 1)}); err == nil {
				ok.Add(1)
			} else if faas.ErrorName(err) != saga.ErrBusiness {
				t.Errorf("reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 100 || stockOf(t, s, "sku-1") != 0 {
		t.Fatalf("%d reservations succeeded, stock %d; want 100 and 0", ok.Load(), stockOf(t, s, "sku-1"))
	}
}

func TestOldHoldsArePruned(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := newServices(t, func() time.Time { return now })
	order := orders.OrderInput{OrderID: "o", Items: items("sku-1", 1)}
	if _, err := s.Reserve(in("old"), order); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.Reserve(in("new"), order); err != nil {
		t.Fatal(err)
	}
	// The old saga's hold is gone, its stock stays taken (it was sold).
	if err := s.Release(in("old"), order); err != nil {
		t.Fatal(err)
	}
	if n := stockOf(t, s, "sku-1"); n != 98 {
		t.Errorf("stock %d, want 98: a pruned hold is not released again", n)
	}
}

func TestPaymentShippingOrder(t *testing.T) {
	ctx := context.Background()
	good := orders.OrderInput{OrderID: "o", CustomerID: "c", Items: items("sku-1", 1)}
	good.Payment.Token = "tok_visa"
	good.Shipping.Address.Country = "FR"
	refusals := []struct {
		name   string
		mutate func(*orders.OrderInput)
		call   func(*orders.Services, orders.OrderInput) error
		want   string
	}{
		{"declined", func(o *orders.OrderInput) { o.Payment.Token = orders.DeclinedToken }, charge, saga.ErrBusiness},
		{"no token", func(o *orders.OrderInput) { o.Payment.Token = "" }, charge, saga.ErrInvalidInput},
		{"charge unknown sku", func(o *orders.OrderInput) { o.Items = items("x", 1) }, charge, saga.ErrInvalidInput},
		{"undeliverable", func(o *orders.OrderInput) { o.Shipping.Address.Country = "XX" }, ship, saga.ErrBusiness},
		{"bad country", func(o *orders.OrderInput) { o.Shipping.Address.Country = "France" }, ship, saga.ErrInvalidInput},
		{"no customer", func(o *orders.OrderInput) { o.CustomerID = "" }, confirm, saga.ErrInvalidInput},
		{"charge without order id", func(o *orders.OrderInput) { o.OrderID = "" }, charge, saga.ErrInvalidInput},
		{"ship without order id", func(o *orders.OrderInput) { o.OrderID = "" }, ship, saga.ErrInvalidInput},
		{"confirm without order id", func(o *orders.OrderInput) { o.OrderID = "" }, confirm, saga.ErrInvalidInput},
		{"reserve without order id", func(o *orders.OrderInput) { o.OrderID = "" }, func(s *orders.Services, o orders.OrderInput) error {
			_, err := s.Reserve(in("s"), o)
			return err
		}, saga.ErrInvalidInput},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.mutate(&o)
			if err := tt.call(newServices(t, nil), o); faas.ErrorName(err) != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
		})
	}
	t.Run("undo and fence", func(t *testing.T) {
		st := memory.New(memory.Config{})
		s, err := orders.New(orders.Config{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			do   func(*orders.Services, orders.OrderInput) error
			undo func(context.Context, orders.OrderInput) error
		}{{charge, s.Refund}, {ship, s.CancelShipment}, {confirm, s.Cancel}} {
			if err := c.do(s, good); err != nil {
				t.Fatal(err)
			}
			if err := c.do(s, good); err != nil {
				t.Fatalf("repeat: %v", err)
			}
			if err := c.undo(in("s1"), good); err != nil {
				t.Fatal(err)
			}
			if err := c.do(s, good); faas.ErrorName(err) != saga.ErrHanging {
				t.Errorf("after undo: %v, want %s", err, saga.ErrHanging)
			}
			// Undo first: the tombstone it leaves fences the late action.
			if err := c.undo(in("s2"), good); err != nil {
				t.Fatal(err)
			}
		}
		pay1, _, _ := orders.Record[orders.Charge](ctx, st, orders.PaymentKey("s1"))
		pay2, _, _ := orders.Record[orders.Charge](ctx, st, orders.PaymentKey("s2"))
		ship1, _, _ := orders.Record[orders.Shipment](ctx, st, orders.ShipmentKey("s1"))
		ord1, _, _ := orders.Record[orders.Confirmation](ctx, st, orders.OrderKey("s1"))
		ord2, _, _ := orders.Record[orders.Confirmation](ctx, st, orders.OrderKey("s2"))
		got := []string{pay1.State, pay2.State, ship1.State, ord1.State, ord2.State}
		want := []string{orders.Refunded, orders.Voided, orders.Cancelled, orders.Cancelled, orders.Cancelled}
		if fmt.Sprint(got) != fmt.Sprint(want) || pay1.AmountCents != 1000 {
			t.Errorf("records %v (amount %d), want %v (1000)", got, pay1.AmountCents, want)
		}
	})
}

func charge(s *orders.Services, o orders.OrderInput) error {
	_, err := s.Charge(in("s1"), o)
	return err
}
func ship(s *orders.Services, o orders.OrderInput) error {
	_, err := s.CreateShipment(in("s1"), o)
	return err
}
func confirm(s *orders.Services, o orders.OrderInput) error {
	_, err := s.Confirm(in("s1"), o)
	return err
}
