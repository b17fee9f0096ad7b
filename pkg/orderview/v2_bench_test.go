package orderview_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// plainStore hides the store's Seeker: pages then read the whole
// partition up to the cursor, as a list without a start key must.
type plainStore struct{ store.Store }

// BenchmarkListPage reads one v2 page of 50 orders out of 5,000 on the
// embedded bbolt store: the first page, a page near the end (keyset: the
// cursor is sought), and that deep page without seeking (what an offset
// or a store without a start key costs).
func BenchmarkListPage(b *testing.B) {
	const orders = 5000
	st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	es, _ := eventstore.New(eventstore.Config{Store: st})
	fn, _ := orderview.NewFunction(orderview.Config{Events: es})
	ctx := context.Background()
	var batch []cloudevents.Event
	for i := range orders {
		e := cloudevents.New()
		e.SetID(fmt.Sprint(i))
		e.SetSource("bench")
		e.SetType(events.TypeSagaStarted)
		id := fmt.Sprintf("o-%05d", i)
		_ = e.SetData("application/json", json.RawMessage(`{"sagaId":"`+id+`","saga":"order-fulfillment","input":{"orderId":"`+id+`","customerId":"c-1"}}`))
		batch = append(batch, e)
		if len(batch) == 10 || i == orders-1 {
			for _, r := range fn.Batch(ctx, batch) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			batch = batch[:0]
		}
	}
	// The cursor of the page starting after o-04900.
	var deep string
	for range 49 {
		p, err := orderview.ListPage(ctx, st, orderview.PageQuery{Limit: 100, Cursor: deep})
		if err != nil || p.Next == "" {
			b.Fatal(err)
		}
		deep = p.Next
	}
	for _, tc := range []struct {
		name   string
		st     store.Store
		cursor string
	}{
		{"first", st, ""},
		{"deep", st, deep},
		{"deep-no-seek", plainStore{st}, deep},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				p, err := orderview.ListPage(ctx, tc.st, orderview.PageQuery{Limit: 50, Cursor: tc.cursor})
				if err != nil || len(p.Orders) != 50 {
					b.Fatalf("%d orders, %v", len(p.Orders), err)
				}
			}
		})
	}
}
