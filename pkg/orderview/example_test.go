package orderview_test

import (
	"context"
	"encoding/json"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// Saga events arrive in a queue batch (the second one twice); the order
// model answers GET /orders?customer=c-1 and GET /orders/o-1.
func Example() {
	ctx := context.Background()
	es, _ := eventstore.New(eventstore.Config{Store: memory.New(memory.Config{})})
	fn, _ := orderview.NewFunction(orderview.Config{Events: es})
	saga := func(id, typ, data string) cloudevents.Event {
		e := cloudevents.New()
		e.SetID(id)
		e.SetSource("cogniforge/saga/order-fulfillment")
		e.SetType(typ)
		_ = e.SetData("application/json", json.RawMessage(data))
		return e
	}
	started := saga("1", events.TypeSagaStarted, `{"sagaId":"o-1","saga":"order-fulfillment","input":{"orderId":"o-1","customerId":"c-1","items":[{"sku":"a","quantity":1}]}}`)
	completed := saga("2", events.TypeSagaCompleted, `{"sagaId":"o-1","saga":"order-fulfillment"}`)
	for _, res := range fn.Batch(ctx, []cloudevents.Event{started, completed, completed}) {
		fmt.Println(res.Err)
	}
	query := func(path, data string) string {
		q := cloudevents.New()
		q.SetID("q")
		q.SetSource("test")
		q.SetType(orderview.QueryType)
		q.SetSubject(path)
		_ = q.SetData("application/json", json.RawMessage(data))
		out, err := fn.Handler(ctx, q)
		if err != nil {
			return err.Error()
		}
		return string(out.Data())
	}
	var list struct {
		Orders []orderview.Order `json:"orders"`
	}
	_ = json.Unmarshal([]byte(query("/orders", `{"customer":"c-1"}`)), &list)
	fmt.Println(len(list.Orders), list.Orders[0].OrderID, list.Orders[0].Status, list.Orders[0].Events)
	var o orderview.Order
	_ = json.Unmarshal([]byte(query("/orders/o-1", `{}`)), &o)
	fmt.Println(o.CustomerID, o.Items, o.Status)
	fmt.Println(query("/orders", `{"status":"lost"}`))
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// 1 o-1 completed 2
	// c-1 1 completed
	// status: orderview: invalid query: status "lost": want one of pending, in_progress, compensating, stuck, completed, compensated
}
