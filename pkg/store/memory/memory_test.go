package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return memory.New(memory.Config{Now: now})
	})
}

func TestSweep(t *testing.T) {
	clock := storetest.NewClock()
	s := memory.New(memory.Config{Now: clock.Now})
	ctx := context.Background()
	for i, ttl := range []time.Duration{time.Second, 2 * time.Second, 0} {
		var exp time.Time
		if ttl > 0 {
			exp = clock.Now().Add(ttl)
		}
		if _, err := s.Put(ctx, store.Item{Key: store.Key{Partition: "p", Sort: fmt.Sprint(i)}, ExpiresAt: exp}, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
	clock.Advance(time.Hour)
	if n, _ := s.Sweep(ctx); n != 1 || s.Len() != 1 {
		t.Fatalf("second Sweep = %d, Len %d; want 1, 1", n, s.Len())
	}
}

func Example() {
	s := memory.New(memory.Config{})
	ctx := context.Background()
	key := store.Key{Partition: "orders", Sort: "o-1"}
	it, _ := s.Put(ctx, store.Item{Key: key, Value: []byte(`{"total":42}`)}, store.Condition{IfAbsent: true})
	_, err := s.Put(ctx, store.Item{Key: key, Value: []byte(`{}`)}, store.Condition{IfAbsent: true})
	fmt.Println(it.Version, err != nil)
	n, _ := s.Add(ctx, store.Key{Partition: "orders", Sort: "count"}, 1)
	fmt.Println(n)
	// Output:
	// 1 true
	// 1
}
