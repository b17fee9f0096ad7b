package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// Code written against the port gets optimistic concurrency from versions:
// a create that must not overwrite, an update that must see the version it
// read, and a counter that needs no read at all. Every implementation
// (memory here, bolt, DynamoDB) behaves the same.
func Example() {
	ctx := context.Background()
	var st store.Store = memory.New(memory.Config{})
	key := store.Key{Partition: "order#o-1", Sort: "state"}

	created, err := st.Put(ctx, store.Item{Key: key, Value: []byte("pending")}, store.Condition{IfAbsent: true})
	fmt.Println("created at version", created.Version, err)

	// A second create loses: the item exists.
	_, err = st.Put(ctx, store.Item{Key: key, Value: []byte("pending")}, store.Condition{IfAbsent: true})
	fmt.Println("second create:", errors.Is(err, store.ErrConditionFailed))

	// An update guarded by the version read wins once; a writer still holding
	// version 1 is refused instead of overwriting it.
	updated, err := st.Put(ctx, store.Item{Key: key, Value: []byte("confirmed")}, store.Condition{IfVersion: created.Version})
	fmt.Println("updated to version", updated.Version, err)
	_, err = st.Put(ctx, store.Item{Key: key, Value: []byte("cancelled")}, store.Condition{IfVersion: created.Version})
	fmt.Println("stale update:", errors.Is(err, store.ErrConditionFailed))

	got, _ := st.Get(ctx, key)
	fmt.Printf("%s v%d\n", got.Value, got.Version)

	// Counters need no read-modify-write.
	for range 3 {
		_, _ = st.Add(ctx, store.Key{Partition: "order#o-1", Sort: "retries"}, 1)
	}
	n, _ := st.Add(ctx, store.Key{Partition: "order#o-1", Sort: "retries"}, 0)
	fmt.Println("retries:", n)

	items, _ := st.Query(ctx, "order#o-1", "", 0)
	for _, it := range items {
		fmt.Println("item", it.Key.Sort)
	}

	_, err = st.Get(ctx, store.Key{Partition: "order#o-2", Sort: "state"})
	fmt.Println("missing:", errors.Is(err, store.ErrNotFound))
	// Output:
	// created at version 1 <nil>
	// second create: true
	// updated to version 2 <nil>
	// stale update: true
	// confirmed v2
	// retries: 3
	// item retries
	// item state
	// missing: true
}

// An event is counted exactly once however often it is delivered: its
// marker (IfAbsent) and the counters it adds to are written in one
// transaction, so a redelivery fails on the marker and adds nothing. The
// counters are time buckets that expire with their window.
func ExampleStore_Transact() {
	ctx := context.Background()
	window := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	// A fixed clock inside the window keeps the example's output stable.
	var st store.Store = memory.New(memory.Config{Now: func() time.Time { return window.Add(time.Minute) }})
	count := func(eventID string, good bool) error {
		ops := []store.Op{
			{Kind: store.OpPut, Item: store.Item{Key: store.Key{Partition: "slo#events", Sort: eventID}, ExpiresAt: window.Add(48 * time.Hour)}, Cond: store.Condition{IfAbsent: true}},
			{Kind: store.OpAdd, Item: store.Item{Key: store.Key{Partition: "slo#checkout", Sort: "events#" + window.Format(time.RFC3339)}, ExpiresAt: window.Add(30 * 24 * time.Hour)}, Delta: 1},
		}
		if good {
			ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: store.Key{Partition: "slo#checkout", Sort: "good#" + window.Format(time.RFC3339)}, ExpiresAt: window.Add(30 * 24 * time.Hour)}, Delta: 1})
		}
		return st.Transact(ctx, ops)
	}
	fmt.Println(count("e-1", true), count("e-2", false))

	// SQS delivers e-1 again: the marker exists, nothing is added.
	err := count("e-1", true)
	var txErr *store.TxError
	fmt.Println("redelivery:", errors.Is(err, store.ErrConditionFailed), errors.As(err, &txErr) && txErr.Failed[0] == 0)

	items, _ := st.Query(ctx, "slo#checkout", "", 0)
	for _, it := range items {
		fmt.Printf("%s = %s\n", it.Key.Sort[:strings.Index(it.Key.Sort, "#")], it.Value)
	}
	// Output:
	// <nil> <nil>
	// redelivery: true true
	// events = 2
	// good = 1
}
