// Package storetest is the contract suite every store.Store implementation
// passes: the embedded ones run it on their own, the DynamoDB one through
// moto. A behaviour is part of the port when it is tested here.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// NewStore builds a fresh, empty store for one test whose expiry is judged by
// now. The store must be released with t.Cleanup.
type NewStore func(t *testing.T, now func() time.Time) store.Store

// Run runs the contract suite against stores built by newStore. Every
// subtest gets its own store and Clock.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store, clock *Clock)
	}{
		{"GetMissing", testGetMissing},
		{"PutGetVersions", testPutGetVersions},
		{"InvalidArguments", testInvalidArguments},
		{"IfAbsent", testIfAbsent},
		{"IfVersion", testIfVersion},
		{"Delete", testDelete},
		{"Counters", testCounters},
		{"ConcurrentAdds", testConcurrentAdds},
		{"CounterAndPlainItems", testCounterAndPlainItems},
		{"Expiry", testExpiry},
		{"QueryOrderPrefixLimit", testQuery},
		{"QueryPartitionIsolation", testQueryIsolation},
		{"QueryLimitSkipsExpired", testQueryLimitSkipsExpired},
		{"QueryAfter", testQueryAfter},
		{"ConcurrentIfAbsentOneWins", testConcurrentIfAbsent},
		{"LargeValue", testLargeValue},
		{"ValuesAreCopies", testValuesAreCopies},
		{"ContextCancelled", testContextCancelled},
		{"TransactAllOrNothing", testTransactAllOrNothing},
		{"TransactMixed", testTransactMixed},
		{"TransactAddExpiry", testTransactAddExpiry},
		{"TransactInvalid", testTransactInvalid},
		{"TransactExactlyOnce", testTransactExactlyOnce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			tc.run(t, newStore(t, clock.Now), clock)
		})
	}
}

func k(p, s string) store.Key { return store.Key{Partition: p, Sort: s} }

func mustPut(t *testing.T, s store.Store, it store.Item, cond store.Condition) store.Item {
	t.Helper()
	got, err := s.Put(context.Background(), it, cond)
	if err != nil {
		t.Fatalf("Put(%v, %+v): %v", it.Key, cond, err)
	}
	return got
}

func mustGet(t *testing.T, s store.Store, key store.Key) store.Item {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%v): %v", key, err)
	}
	return got
}

func wantNotFound(t *testing.T, s store.Store, key store.Key) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%v) = %+v, %v; want ErrNotFound", key, got, err)
	}
}

func wantItem(t *testing.T, got store.Item, key store.Key, value string, version int64) {
	t.Helper()
	if got.Key != key || string(got.Value) != value || got.Version != version {
		t.Fatalf("item = {%v %q v%d}, want {%v %q v%d}", got.Key, got.Value, got.Version, key, value, version)
	}
}

func testGetMissing(t *testing.T, s store.Store, _ *Clock) {
	wantNotFound(t, s, k("p", "missing"))
}

func testPutGetVersions(t *testing.T, s store.Store, clock *Clock) {
	key := k("orders", "o-1")
	p1 := mustPut(t, s, store.Item{Key: key, Value: []byte("one")}, store.Condition{})
	wantItem(t, p1, key, "one", 1)
	wantItem(t, mustGet(t, s, key), key, "one", 1)

	exp := clock.Now().Add(time.Hour)
	p2 := mustPut(t, s, store.Item{Key: key, Value: []byte("two"), ExpiresAt: exp}, store.Condition{})
	wantItem(t, p2, key, "two", 2)
	got := mustGet(t, s, key)
	wantItem(t, got, key, "two", 2)
	if !got.ExpiresAt.Equal(exp) {
		t.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, exp)
	}
	// A put without expiry clears it.
	mustPut(t, s, store.Item{Key: key, Value: []byte("three")}, store.Condition{})
	if got := mustGet(t, s, key); !got.ExpiresAt.IsZero() || got.Version != 3 {
		t.Fatalf("after put without expiry: %+v", got)
	}
	// An empty value is a value.
	mustPut(t, s, store.Item{Key: k("orders", "empty")}, store.Condition{})
	if got := mustGet(t, s, k("orders", "empty")); len(got.Value) != 0 || got.Version != 1 {
		t.Fatalf("empty value item = %+v", got)
	}
}

func testInvalidArguments(t *testing.T, s store.Store, _ *Clock) {
	ctx := context.Background()
	for _, key := range []store.Key{k("", "s"), k("p", ""), {}} {
		if _, err := s.Get(ctx, key); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%v) err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Put(ctx, store.Item{Key: key}, store.Condition{}); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%v) err = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key, store.Condition{}); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Delete(%v) err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Add(ctx, key, 1); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Add(%v) err = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := s.Query(ctx, "", "", 0); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Query(empty partition) err = %v, want ErrInvalidKey", err)
	}
	for _, cond := range []store.Condition{{IfAbsent: true, IfVersion: 1}, {IfVersion: -1}} {
		if _, err := s.Put(ctx, store.Item{Key: k("p", "s")}, cond); !errors.Is(err, store.ErrInvalidCondition) {
			t.Errorf("Put(%+v) err = %v, want ErrInvalidCondition", cond, err)
		}
		if err := s.Delete(ctx, k("p", "s"), cond); !errors.Is(err, store.ErrInvalidCondition) {
			t.Errorf("Delete(%+v) err = %v, want ErrInvalidCondition", cond, err)
		}
	}
	wantNotFound(t, s, k("p", "s"))
}

func testIfAbsent(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	key := k("locks", "a")
	abs := store.Condition{IfAbsent: true}
	wantItem(t, mustPut(t, s, store.Item{Key: key, Value: []byte("first"), ExpiresAt: clock.Now().Add(time.Minute)}, abs), key, "first", 1)

	_, err := s.Put(ctx, store.Item{Key: key, Value: []byte("second")}, abs)
	if !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("IfAbsent on live item err = %v, want ErrConditionFailed", err)
	}
	wantItem(t, mustGet(t, s, key), key, "first", 1)

	// An expired item counts as absent, and the new item starts again at 1.
	clock.Advance(time.Minute)
	wantItem(t, mustPut(t, s, store.Item{Key: key, Value: []byte("third")}, abs), key, "third", 1)
	wantItem(t, mustGet(t, s, key), key, "third", 1)
}

func testIfVersion(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	key := k("sagas", "s-1")
	if _, err := s.Put(ctx, store.Item{Key: key, Value: []byte("x")}, store.Condition{IfVersion: 1}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("IfVersion on missing item err = %v, want ErrConditionFailed", err)
	}
	mustPut(t, s, store.Item{Key: key, Value: []byte("v1")}, store.Condition{})
	wantItem(t, mustPut(t, s, store.Item{Key: key, Value: []byte("v2")}, store.Condition{IfVersion: 1}), key, "v2", 2)

	if _, err := s.Put(ctx, store.Item{Key: key, Value: []byte("stale")}, store.Condition{IfVersion: 1}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("stale IfVersion err = %v, want ErrConditionFailed", err)
	}
	wantItem(t, mustGet(t, s, key), key, "v2", 2)

	mustPut(t, s, store.Item{Key: key, Value: []byte("v3"), ExpiresAt: clock.Now().Add(time.Second)}, store.Condition{IfVersion: 2})
	clock.Advance(time.Second)
	if _, err := s.Put(ctx, store.Item{Key: key, Value: []byte("late")}, store.Condition{IfVersion: 3}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("IfVersion on expired item err = %v, want ErrConditionFailed", err)
	}
	wantNotFound(t, s, key)
}

func testDelete(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	key := k("d", "1")
	if err := s.Delete(ctx, key, store.Condition{}); err != nil {
		t.Fatalf("Delete missing without condition: %v", err)
	}
	if err := s.Delete(ctx, key, store.Condition{IfAbsent: true}); err != nil {
		t.Fatalf("Delete missing IfAbsent: %v", err)
	}
	if err := s.Delete(ctx, key, store.Condition{IfVersion: 1}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Delete missing IfVersion err = %v, want ErrConditionFailed", err)
	}
	mustPut(t, s, store.Item{Key: key, Value: []byte("a")}, store.Condition{})
	mustPut(t, s, store.Item{Key: key, Value: []byte("b")}, store.Condition{})
	if err := s.Delete(ctx, key, store.Condition{IfVersion: 1}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Delete stale version err = %v, want ErrConditionFailed", err)
	}
	if err := s.Delete(ctx, key, store.Condition{IfAbsent: true}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Delete live IfAbsent err = %v, want ErrConditionFailed", err)
	}
	wantItem(t, mustGet(t, s, key), key, "b", 2)
	if err := s.Delete(ctx, key, store.Condition{IfVersion: 2}); err != nil {
		t.Fatalf("Delete matching version: %v", err)
	}
	wantNotFound(t, s, key)
	// A new put after delete starts at version 1.
	wantItem(t, mustPut(t, s, store.Item{Key: key, Value: []byte("c")}, store.Condition{IfAbsent: true}), key, "c", 1)

	// Unconditional delete of a live item, and IfVersion on an expired one.
	if err := s.Delete(ctx, key, store.Condition{}); err != nil {
		t.Fatalf("Delete unconditional: %v", err)
	}
	wantNotFound(t, s, key)
	mustPut(t, s, store.Item{Key: key, Value: []byte("e"), ExpiresAt: clock.Now().Add(time.Second)}, store.Condition{})
	clock.Advance(2 * time.Second)
	if err := s.Delete(ctx, key, store.Condition{IfVersion: 1}); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("Delete expired IfVersion err = %v, want ErrConditionFailed", err)
	}
	if err := s.Delete(ctx, key, store.Condition{IfAbsent: true}); err != nil {
		t.Fatalf("Delete expired IfAbsent: %v", err)
	}
}

func testCounters(t *testing.T, s store.Store, _ *Clock) {
	ctx := context.Background()
	key := k("counters", "c")
	for i, tc := range []struct{ delta, want int64 }{{1, 1}, {1, 2}, {10, 12}, {-5, 7}, {0, 7}} {
		got, err := s.Add(ctx, key, tc.delta)
		if err != nil {
			t.Fatalf("Add #%d: %v", i, err)
		}
		if got != tc.want {
			t.Fatalf("Add #%d(%d) = %d, want %d", i, tc.delta, got, tc.want)
		}
	}
	got := mustGet(t, s, key)
	if string(got.Value) != "7" || got.Version != 5 {
		t.Fatalf("counter item = %q v%d, want \"7\" v5", got.Value, got.Version)
	}
	if n, err := s.Add(ctx, k("counters", "neg"), -3); err != nil || n != -3 {
		t.Fatalf("Add new negative = %d, %v; want -3", n, err)
	}
}

func testConcurrentAdds(t *testing.T, s store.Store, _ *Clock) {
	const workers, each = 8, 25
	key := k("counters", "hot")
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := s.Add(context.Background(), key, int64(w+1)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Add: %v", err)
	}
	want := int64(0)
	for w := 0; w < workers; w++ {
		want += int64(w+1) * each
	}
	got := mustGet(t, s, key)
	if string(got.Value) != strconv.FormatInt(want, 10) || got.Version != workers*each {
		t.Fatalf("counter = %q v%d, want %d v%d", got.Value, got.Version, want, workers*each)
	}
}

func testCounterAndPlainItems(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	plain := k("mix", "plain")
	mustPut(t, s, store.Item{Key: plain, Value: []byte("hello"), ExpiresAt: clock.Now().Add(time.Minute)}, store.Condition{})
	if _, err := s.Add(ctx, plain, 1); !errors.Is(err, store.ErrNotCounter) {
		t.Fatalf("Add on plain item err = %v, want ErrNotCounter", err)
	}
	wantItem(t, mustGet(t, s, plain), plain, "hello", 1)
	// Once the plain item expires, Add starts a counter at 0.
	clock.Advance(time.Minute)
	if n, err := s.Add(ctx, plain, 4); err != nil || n != 4 {
		t.Fatalf("Add on expired plain item = %d, %v; want 4", n, err)
	}
	if got := mustGet(t, s, plain); !got.ExpiresAt.IsZero() || string(got.Value) != "4" {
		t.Fatalf("restarted counter = %+v", got)
	}

	// A Put over a counter turns it into a plain item, versions continue.
	ctr := k("mix", "ctr")
	s.Add(ctx, ctr, 2)
	s.Add(ctx, ctr, 2)
	wantItem(t, mustPut(t, s, store.Item{Key: ctr, Value: []byte("plain now")}, store.Condition{IfVersion: 2}), ctr, "plain now", 3)
	if _, err := s.Add(ctx, ctr, 1); !errors.Is(err, store.ErrNotCounter) {
		t.Fatalf("Add after Put err = %v, want ErrNotCounter", err)
	}
	// A deleted counter starts again at 0.
	if err := s.Delete(ctx, ctr, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Add(ctx, ctr, 1); err != nil || n != 1 {
		t.Fatalf("Add after delete = %d, %v; want 1", n, err)
	}
}

func testExpiry(t *testing.T, s store.Store, clock *Clock) {
	key := k("ttl", "x")
	exp := clock.Now().Add(10 * time.Second)
	mustPut(t, s, store.Item{Key: key, Value: []byte("short"), ExpiresAt: exp}, store.Condition{})
	// An expiry already in the past hides the item at once.
	mustPut(t, s, store.Item{Key: k("ttl", "past"), Value: []byte("gone"), ExpiresAt: clock.Now().Add(-time.Second)}, store.Condition{})
	wantNotFound(t, s, k("ttl", "past"))

	clock.Advance(9 * time.Second)
	wantItem(t, mustGet(t, s, key), key, "short", 1)
	clock.Advance(time.Second) // exactly at ExpiresAt: gone
	wantNotFound(t, s, key)
	items, err := s.Query(context.Background(), "ttl", "", 0)
	if err != nil || len(items) != 0 {
		t.Fatalf("Query after expiry = %v, %v; want none", items, err)
	}
	// Unconditional Put over an expired item starts at version 1.
	wantItem(t, mustPut(t, s, store.Item{Key: key, Value: []byte("again")}, store.Condition{}), key, "again", 1)
}

func testQuery(t *testing.T, s store.Store, _ *Clock) {
	ctx := context.Background()
	// Written out of order on purpose.
	for _, sk := range []string{"step#03", "step#01", "meta", "step#10", "step#02", "stepx"} {
		mustPut(t, s, store.Item{Key: k("saga-1", sk), Value: []byte("v-" + sk)}, store.Condition{})
	}
	tests := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"step#", 0, []string{"step#01", "step#02", "step#03", "step#10"}},
		{"step#", 2, []string{"step#01", "step#02"}},
		{"step#", -1, []string{"step#01", "step#02", "step#03", "step#10"}},
		{"", 0, []string{"meta", "step#01", "step#02", "step#03", "step#10", "stepx"}},
		{"", 1, []string{"meta"}},
		{"step", 0, []string{"step#01", "step#02", "step#03", "step#10", "stepx"}},
		{"nothing", 0, nil},
		{"step#10", 0, []string{"step#10"}},
	}
	for _, tc := range tests {
		items, err := s.Query(ctx, "saga-1", tc.prefix, tc.limit)
		if err != nil {
			t.Fatalf("Query(%q, %d): %v", tc.prefix, tc.limit, err)
		}
		var got []string
		for _, it := range items {
			if it.Key.Partition != "saga-1" || string(it.Value) != "v-"+it.Key.Sort || it.Version != 1 {
				t.Fatalf("Query(%q) item = %+v", tc.prefix, it)
			}
			got = append(got, it.Key.Sort)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Query(%q, %d) = %v, want %v", tc.prefix, tc.limit, got, tc.want)
		}
	}
}

func testQueryIsolation(t *testing.T, s store.Store, _ *Clock) {
	ctx := context.Background()
	// Partitions that are prefixes of each other, or that would collide if
	// partition and sort were naively concatenated.
	mustPut(t, s, store.Item{Key: k("a", "b#1"), Value: []byte("a")}, store.Condition{})
	mustPut(t, s, store.Item{Key: k("ab", "#1"), Value: []byte("ab")}, store.Condition{})
	mustPut(t, s, store.Item{Key: k("a#b", "1"), Value: []byte("a#b")}, store.Condition{})
	for _, tc := range []struct{ part, want string }{{"a", "a"}, {"ab", "ab"}, {"a#b", "a#b"}} {
		items, err := s.Query(ctx, tc.part, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || string(items[0].Value) != tc.want {
			t.Errorf("Query(%q) = %+v, want the one item %q", tc.part, items, tc.want)
		}
	}
	if items, err := s.Query(ctx, "b", "", 0); err != nil || len(items) != 0 {
		t.Errorf("Query(empty partition) = %v, %v", items, err)
	}
}

func testQueryLimitSkipsExpired(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		var exp time.Time
		if i%2 == 0 {
			exp = clock.Now().Add(time.Second)
		}
		mustPut(t, s, store.Item{Key: k("lim", fmt.Sprintf("%02d", i)), Value: []byte("x"), ExpiresAt: exp}, store.Condition{})
	}
	clock.Advance(time.Second)
	items, err := s.Query(ctx, "lim", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Key.Sort != "01" || items[1].Key.Sort != "03" {
		t.Fatalf("Query limit 2 over expired = %+v, want 01, 03", items)
	}
}

func testConcurrentIfAbsent(t *testing.T, s store.Store, _ *Clock) {
	const racers = 12
	key := k("race", "winner")
	var wg sync.WaitGroup
	results := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, results[i] = s.Put(context.Background(), store.Item{Key: key, Value: []byte(strconv.Itoa(i))}, store.Condition{IfAbsent: true})
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("racers %d and %d both won", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConditionFailed):
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	wantItem(t, mustGet(t, s, key), key, strconv.Itoa(winner), 1)
}

func testLargeValue(t *testing.T, s store.Store, _ *Clock) {
	// DynamoDB caps an item at 400 KB; 300 KB leaves room for the key and
	// attributes.
	v := make([]byte, 300<<10)
	if _, err := rand.Read(v); err != nil {
		t.Fatal(err)
	}
	key := k("big", "blob")
	mustPut(t, s, store.Item{Key: key, Value: v}, store.Condition{IfAbsent: true})
	got := mustGet(t, s, key)
	if !bytes.Equal(got.Value, v) {
		t.Fatalf("large value differs: got %d bytes", len(got.Value))
	}
}

func testValuesAreCopies(t *testing.T, s store.Store, _ *Clock) {
	key := k("copy", "1")
	in := []byte("original")
	out := mustPut(t, s, store.Item{Key: key, Value: in}, store.Condition{})
	in[0] = 'X'
	out.Value[1] = 'Y'
	got := mustGet(t, s, key)
	got.Value[2] = 'Z'
	wantItem(t, mustGet(t, s, key), key, "original", 1)
}

func testContextCancelled(t *testing.T, s store.Store, _ *Clock) {
	mustPut(t, s, store.Item{Key: k("ctx", "1"), Value: []byte("x")}, store.Condition{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ops := map[string]func() error{
		"Get": func() error { _, err := s.Get(ctx, k("ctx", "1")); return err },
		"Put": func() error {
			_, err := s.Put(ctx, store.Item{Key: k("ctx", "2"), Value: []byte("y")}, store.Condition{})
			return err
		},
		"Delete": func() error { return s.Delete(ctx, k("ctx", "1"), store.Condition{}) },
		"Add":    func() error { _, err := s.Add(ctx, k("ctx", "n"), 1); return err },
		"Query":  func() error { _, err := s.Query(ctx, "ctx", "", 0); return err },
		"Transact": func() error {
			return s.Transact(ctx, []store.Op{{Kind: store.OpAdd, Item: store.Item{Key: k("ctx", "t")}, Delta: 1}})
		},
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with cancelled context err = %v, want context.Canceled", name, err)
		}
	}
	// Nothing was changed by the cancelled calls.
	wantItem(t, mustGet(t, s, k("ctx", "1")), k("ctx", "1"), "x", 1)
	wantNotFound(t, s, k("ctx", "2"))
	wantNotFound(t, s, k("ctx", "n"))
	wantNotFound(t, s, k("ctx", "t"))
}
