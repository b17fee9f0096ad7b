package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// dynamoItemLimit is DynamoDB's largest item.
const dynamoItemLimit = 400 * 1024

// Section 5 of issue 9: a popular SKU used to keep every saga's hold in
// one item, which passed DynamoDB's 400 KB after some thousands of orders.
// Now each hold is its own item: after 20,000 orders on one SKU the
// largest item is still tiny, while the holds together are far more than
// one item could carry.
func TestManyHoldsOnOneSKUKeepEveryItemSmall(t *testing.T) {
	const n = 20000
	st := memory.New(memory.Config{})
	s, err := orders.New(orders.Config{Store: st, Catalog: orders.Catalog{"hot": {Stock: 1 << 40, PriceCents: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	order := orders.OrderInput{OrderID: "o", Items: items("hot", 1)}
	for i := range n {
		if _, err := s.Reserve(in(fmt.Sprintf("saga-%06d", i)), order); err != nil {
			t.Fatal(err)
		}
	}
	its, err := st.Query(context.Background(), orders.StockPartition("hot"), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	largest, total := 0, 0
	for _, it := range its {
		largest = max(largest, len(it.Key.Partition)+len(it.Key.Sort)+len(it.Value))
		total += len(it.Value)
	}
	if len(its) != n+1 {
		t.Fatalf("%d items in the SKU's partition, want %d holds and the stock record", len(its), n)
	}
	if largest > 1024 {
		t.Errorf("largest item %d bytes after %d orders: an item grows with the orders", largest, n)
	}
	if total < dynamoItemLimit {
		t.Errorf("the holds take %d bytes in all; the test must write more than one item could hold (%d)", total, dynamoItemLimit)
	}
	if got := stockOf(t, s, "hot"); got != 1<<40-n {
		t.Errorf("stock %d, want %d", got, int64(1<<40-n))
	}
}

// failingStore fails one chosen write (Put or Delete) with a transient
// error, as a process dying right before it would.
type failingStore struct {
	store.Store
	mu     sync.Mutex
	writes int
	failAt int // 1-based; 0 never
}

var errCrash = errors.New("crashed before this write")

func (f *failingStore) write() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.writes == f.failAt {
		return errCrash
	}
	return nil
}

func (f *failingStore) Put(ctx context.Context, it store.Item, c store.Condition) (store.Item, error) {
	if err := f.write(); err != nil {
		return store.Item{}, err
	}
	return f.Store.Put(ctx, it, c)
}

func (f *failingStore) Delete(ctx context.Context, k store.Key, c store.Condition) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.Store.Delete(ctx, k, c)
}

// A crash before any write of a reservation or of its release, followed
// by what the saga does next (the action's retry, its compensation, both,
// or a duplicate), always ends with the stock taken exactly once or given
// back exactly once.
func TestHoldTransfersSurviveACrashAtEveryWrite(t *testing.T) {
	type op struct {
		name string
		do   func(s *orders.Services) error
	}
	order := orders.OrderInput{OrderID: "o", Items: items("sku-1", 3, "sku-2", 2)}
	reserve := op{"reserve", func(s *orders.Services) error { _, err := s.Reserve(in("c"), order); return err }}
	release := op{"release", func(s *orders.Services) error { return s.Release(in("c"), order) }}
	tests := []struct {
		name      string
		crashed   op   // the call that dies at one of its writes
		then      []op // what runs after, without crashes
		wantStock int64
		wantLate  string // error of a reservation after all this ("" none)
	}{
		{"reserve, then its retry", reserve, []op{reserve}, 97, ""},
		{"reserve, then the retry twice", reserve, []op{reserve, reserve}, 97, ""},
		{"reserve, then the compensation", reserve, []op{release}, 100, saga.ErrHanging},
		{"reserve, then retry and compensation", reserve, []op{reserve, release}, 100, saga.ErrHanging},
		{"release after a reservation, then its retry", release, []op{release}, 100, saga.ErrHanging},
	}
	for _, tt := range tests {
		for failAt := 1; ; failAt++ {
			name := fmt.Sprintf("%s/crash at write %d", tt.name, failAt)
			st := &failingStore{Store: memory.New(memory.Config{})}
			s, err := orders.New(orders.Config{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			if tt.crashed.name == "release" {
				if err := reserve.do(s); err != nil {
					t.Fatal(err)
				}
			}
			st.mu.Lock()
			st.failAt, st.writes = failAt, 0
			st.mu.Unlock()
			crashErr := tt.crashed.do(s)
			st.mu.Lock()
			crashed := st.writes >= failAt
			st.failAt = 0
			st.mu.Unlock()
			if !crashed {
				break // every write of the call has had its crash
			}
			if !errors.Is(crashErr, errCrash) {
				t.Fatalf("%s: the crashed call answered %v", name, crashErr)
			}
			for _, o := range tt.then {
				if err := o.do(s); err != nil {
					t.Fatalf("%s: %s after the crash: %v", name, o.name, err)
				}
			}
			if got := stockOf(t, s, "sku-1"); got != tt.wantStock {
				t.Errorf("%s: sku-1 stock %d, want %d", name, got, tt.wantStock)
			}
			if got := stockOf(t, s, "sku-2"); got != 100-(100-tt.wantStock)*2/3 {
				t.Errorf("%s: sku-2 stock %d", name, got)
			}
			for _, sku := range []string{"sku-1", "sku-2"} {
				rec, _, err := orders.Record[orders.StockRecord](context.Background(), st, orders.StockKey(sku))
				if err != nil || len(rec.Pending) != 0 {
					t.Errorf("%s: %s transfers left in flight: %v (%v)", name, sku, rec.Pending, err)
				}
			}
			if tt.wantLate != "" {
				if _, err := s.Reserve(in("c"), order); faas.ErrorName(err) != tt.wantLate {
					t.Errorf("%s: late reservation: %v, want %s", name, err, tt.wantLate)
				}
				if got := stockOf(t, s, "sku-1"); got != tt.wantStock {
					t.Errorf("%s: the late reservation took stock: %d", name, got)
				}
			}
		}
	}
}

// Reservations, their duplicates and releases of many sagas race on one
// SKU with little stock: the count never goes below zero, and at the end
// it is exactly the stock minus what the held sagas hold.
func TestConcurrentReservationsDuplicatesAndReleases(t *testing.T) {
	st := memory.New(memory.Config{})
	s, err := orders.New(orders.Config{Store: st, Catalog: orders.Catalog{"few": {Stock: 40, PriceCents: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	order := orders.OrderInput{OrderID: "o", Items: items("few", 1)}
	const sagas = 90
	var wg sync.WaitGroup
	for i := range sagas {
		id := fmt.Sprintf("r-%d", i)
		for range 2 { // every reservation delivered twice, at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Reserve(in(id), order); err != nil && faas.ErrorName(err) != saga.ErrBusiness && faas.ErrorName(err) != saga.ErrHanging {
					t.Errorf("reserve %s: %v", id, err)
				}
			}()
		}
		if i%3 == 0 { // a third are compensated while they reserve
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Release(in(id), order); err != nil {
					t.Errorf("release %s: %v", id, err)
				}
			}()
		}
	}
	wg.Wait()
	held := int64(0)
	for i := range sagas {
		h, ok, err := orders.Record[orders.Hold](context.Background(), st, orders.HoldKey("few", fmt.Sprintf("r-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if ok && h.State == orders.HoldHeld {
			held += h.Quantity
		}
	}
	got := stockOf(t, s, "few")
	if got < 0 || got != 40-held {
		t.Fatalf("stock %d with %d held, want %d", got, held, 40-held)
	}
	if held > 40 {
		t.Fatalf("%d held of 40: oversold", held)
	}
	rec, _, _ := orders.Record[orders.StockRecord](context.Background(), st, orders.StockKey("few"))
	if len(rec.Pending) != 0 {
		t.Errorf("transfers left in flight: %v", rec.Pending)
	}
}
