package orders_test

import (
	"encoding/json"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
)

// FuzzOrderInput feeds arbitrary saga inputs to every action: each either
// succeeds or refuses with a named refusal, and a refused reservation
// leaves every stock untouched.
func FuzzOrderInput(f *testing.F) {
	f.Add([]byte(`{"orderId":"o","customerId":"c","items":[{"sku":"sku-1","quantity":2}],"payment":{"token":"t"},"shipping":{"address":{"country":"DE"}}}`))
	f.Add([]byte(`{"items":[{"sku":"sku-1","quantity":99},{"sku":"sku-1","quantity":2}]}`))
	f.Add([]byte(`{"items":[{"sku":"sku-empty","quantity":1}],"payment":{"token":"tok_declined"},"shipping":{"address":{"country":"XX"}}}`))
	f.Add([]byte(`{"items":[{"sku":"sku-2","quantity":-1}]}`))
	f.Add([]byte(`{"items":[{"sku":"sku-3","quantity":9223372036854775807},{"sku":"sku-3","quantity":9223372036854775807}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o orders.OrderInput
		if json.Unmarshal(data, &o) != nil {
			return
		}
		s := newServices(t, nil)
		ctx := in("fuzz")
		_, err := s.Reserve(ctx, o)
		if err != nil && !saga.IsBusiness(err) {
			t.Fatalf("reserve: unnamed error %v", err)
		}
		for sku, p := range orders.DemoCatalog() {
			n := stockOf(t, s, sku)
			if n < 0 || err != nil && n != p.Stock {
				t.Fatalf("%s stock %d after %v", sku, n, err)
			}
		}
		for _, call := range []func() error{
			func() error { _, err := s.Charge(ctx, o); return err },
			func() error { _, err := s.CreateShipment(ctx, o); return err },
			func() error { _, err := s.Confirm(ctx, o); return err },
		} {
			if err := call(); err != nil && !saga.IsBusiness(err) {
				t.Fatalf("unnamed error %v", err)
			}
		}
	})
}
