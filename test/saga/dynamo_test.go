package saga_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/saga/sagatest"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// countingClient counts the DynamoDB requests the store makes, by operation.
type countingClient struct {
	dynamo.Client
	mu sync.Mutex
	n  map[string]int
}

func (c *countingClient) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

func (c *countingClient) take() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, total := c.n, 0
	for _, v := range out {
		total += v
	}
	c.n = map[string]int{}
	return out, total
}

func (c *countingClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	return c.Client.GetItem(ctx, in, o...)
}

func (c *countingClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add("PutItem")
	return c.Client.PutItem(ctx, in, o...)
}

func (c *countingClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add("UpdateItem")
	return c.Client.UpdateItem(ctx, in, o...)
}

func (c *countingClient) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add("DeleteItem")
	return c.Client.DeleteItem(ctx, in, o...)
}

func (c *countingClient) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.add("Query")
	return c.Client.Query(ctx, in, o...)
}

// TestBarrierOnDynamoDB holds the DynamoDB store (through moto) to the same
// barrier scenarios as the embedded stores, then counts the requests one
// step costs.
func TestBarrierOnDynamoDB(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	newStore := func(t *testing.T, client dynamo.Client) store.Store {
		t.Helper()
		return dynamotest.NewStore(t, db, dynamo.Config{Client: client})
	}
	sagatest.Run(t, func(t *testing.T) store.Store { return newStore(t, db) })

	t.Run("requests per step", func(t *testing.T) {
		counter := &countingClient{Client: db, n: map[string]int{}}
		s := newServices(t, newStore(t, counter))
		in := order("o-count")
		for _, step := range []string{orders.Payment} {
			for _, c := range []struct {
				phase string
				label string
			}{
				{saga.PhaseForward, "action"},
				{saga.PhaseForward, "duplicate action"},
				{saga.PhaseCompensation, "compensation"},
				{saga.PhaseCompensation, "duplicate compensation"},
			} {
				if _, err := s.call(t, step, c.phase, "o-count", in); err != nil {
					t.Fatalf("%s %s: %v", step, c.label, err)
				}
				ops, total := counter.take()
				t.Logf("%s %s: %d DynamoDB requests %v", step, c.label, total, ops)
			}
		}
		// The barrier alone: a no-op effect. The least of three rounds is
		// what the protocol costs: under load moto sometimes answers late
		// and the SDK sends a request again, which a conditional write then
		// sees as someone else's.
		b, err := saga.NewBarrier(saga.BarrierConfig{Store: newStore(t, counter)})
		if err != nil {
			t.Fatal(err)
		}
		var noop saga.Effect = func(context.Context) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
		fwd, comp := 1<<30, 1<<30
		for round := range 3 {
			counter.take()
			id := saga.ID{SagaID: fmt.Sprintf("b-%d", round), Step: "x"}
			if _, err := b.Forward(context.Background(), id, noop, noop); err != nil {
				t.Fatal(err)
			}
			ops, n := counter.take()
			t.Logf("barrier forward: %d requests %v", n, ops)
			fwd = min(fwd, n)
			if _, err := b.Compensate(context.Background(), id, noop); err != nil {
				t.Fatal(err)
			}
			ops, n = counter.take()
			t.Logf("barrier compensation: %d requests %v", n, ops)
			comp = min(comp, n)
		}
		if fwd > 2 || comp > 5 {
			t.Errorf("barrier costs %d requests forward, %d compensating; want at most 2 and 5", fwd, comp)
		}
	})
}

// TestStockOnDynamoDB holds the stock design to its two promises on
// DynamoDB (through moto), where conditional writes are the real
// guarantee: concurrent reservations, duplicates and releases never
// oversell, and the SKU's items do not grow with the number of orders.
func TestStockOnDynamoDB(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	st := dynamotest.NewStore(t, db, dynamo.Config{Client: db})
	svc, err := orders.New(orders.Config{Store: st, Catalog: orders.Catalog{"few": {Stock: 15, PriceCents: 1}, "hot": {Stock: 1 << 40, PriceCents: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	call := func(id string) context.Context {
		return saga.WithInfo(ctx, saga.Info{SagaID: id, Step: orders.Inventory})
	}

	t.Run("never oversells", func(t *testing.T) {
		order := orders.OrderInput{OrderID: "o", Items: []orders.Item{{SKU: "few", Quantity: 1}}}
		// A transient error (too much contention on the one count) is
		// retried, as the state machine retries it.
		retried := func(what string, f func() error) {
			var err error
			for range 5 {
				if err = f(); err == nil || saga.IsBusiness(err) {
					return
				}
			}
			t.Errorf("%s: %v", what, err)
		}
		var wg sync.WaitGroup
		const sagas = 20
		for i := range sagas {
			id := fmt.Sprintf("d-%d", i)
			for range 2 { // each reservation delivered twice at once
				wg.Add(1)
				go func() {
					defer wg.Done()
					retried("reserve "+id, func() error { _, err := svc.Reserve(call(id), order); return err })
				}()
			}
			if i%4 == 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					retried("release "+id, func() error { return svc.Release(call(id), order) })
				}()
			}
		}
		wg.Wait()
		var held int64
		for i := range sagas {
			h, ok, err := orders.Record[orders.Hold](ctx, st, orders.HoldKey("few", fmt.Sprintf("d-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			if ok && h.State == orders.HoldHeld {
				held += h.Quantity
			}
		}
		n, err := svc.Stock(ctx, "few")
		if err != nil || n < 0 || n != 15-held || held > 15 {
			t.Fatalf("stock %d (%v) with %d held of 15", n, err, held)
		}
	})

	t.Run("items do not grow with the orders", func(t *testing.T) {
		order := orders.OrderInput{OrderID: "o", Items: []orders.Item{{SKU: "hot", Quantity: 1}}}
		size := func() int {
			t.Helper()
			its, err := st.Query(ctx, orders.StockPartition("hot"), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			largest := 0
			for _, it := range its {
				largest = max(largest, len(it.Value))
			}
			return largest
		}
		if _, err := svc.Reserve(call("h-first"), order); err != nil {
			t.Fatal(err)
		}
		first := size()
		for i := range 150 {
			if _, err := svc.Reserve(call(fmt.Sprintf("h-%d", i)), order); err != nil {
				t.Fatal(err)
			}
		}
		// The count's digits may change; nothing else may.
		if after := size(); after > first+4 || after > 1024 {
			t.Errorf("largest item %d bytes after 151 orders, %d after one: an item grows with the orders", after, first)
		}
	})
}
