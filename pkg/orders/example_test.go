package orders_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// The services are what the saga's step functions call; called directly here,
// as the saga would for order o-1: stock is held, the card charged; a second
// order's declined card is refused, and its compensation gives the stock back.
func Example() {
	s, err := orders.New(orders.Config{Store: memory.New(memory.Config{})})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The saga id comes with the call; orders names sagas after the order.
	forOrder := func(id string) context.Context {
		return saga.WithInfo(context.Background(), saga.Info{SagaID: id, Step: orders.Inventory})
	}

	var o1 orders.OrderInput
	o1.OrderID, o1.CustomerID = "o-1", "c-1"
	o1.Items = []orders.Item{{SKU: "sku-1", Quantity: 2}, {SKU: "sku-3", Quantity: 1}}
	o1.Payment.Token = "tok_visa"
	o1.Shipping.Address.Country = "FR"

	r, err := s.Reserve(forOrder("o-1"), o1)
	fmt.Println("reserved", r.TotalCents, "cents", err)
	c, err := s.Charge(forOrder("o-1"), o1)
	fmt.Println("payment", c.State, c.AmountCents, err)
	// A retried step (the process died after the write) changes nothing.
	_, _ = s.Reserve(forOrder("o-1"), o1)
	n, _ := s.Stock(context.Background(), "sku-1")
	fmt.Println("sku-1 stock", n)

	o2 := o1
	o2.OrderID = "o-2"
	o2.Payment.Token = orders.DeclinedToken
	_, _ = s.Reserve(forOrder("o-2"), o2)
	_, err = s.Charge(forOrder("o-2"), o2)
	fmt.Println("o-2 payment:", faas.ErrorName(err))
	// The saga compensates the steps before the refusal.
	fmt.Println("o-2 release:", s.Release(forOrder("o-2"), o2))
	n, _ = s.Stock(context.Background(), "sku-1")
	fmt.Println("sku-1 stock", n)
	// Output:
	// reserved 5000 cents <nil>
	// payment charged 5000 <nil>
	// sku-1 stock 98
	// o-2 payment: Saga.BusinessError
	// o-2 release: <nil>
	// sku-1 stock 98
}
