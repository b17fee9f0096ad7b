package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// The transaction tests. Each builds its own partitions, so table rows
// sharing one store share no keys.

func put(key store.Key, value string, cond store.Condition) store.Op {
	return store.Op{Kind: store.OpPut, Item: store.Item{Key: key, Value: []byte(value)}, Cond: cond}
}

func add(key store.Key, delta int64) store.Op {
	return store.Op{Kind: store.OpAdd, Item: store.Item{Key: key}, Delta: delta}
}

func del(key store.Key, cond store.Condition) store.Op {
	return store.Op{Kind: store.OpDelete, Item: store.Item{Key: key}, Cond: cond}
}

func check(key store.Key, cond store.Condition) store.Op {
	return store.Op{Kind: store.OpCheck, Item: store.Item{Key: key}, Cond: cond}
}

func mustTransact(t *testing.T, s store.Store, ops []store.Op) {
	t.Helper()
	if err := s.Transact(context.Background(), ops); err != nil {
		t.Fatalf("Transact(%d ops): %v", len(ops), err)
	}
}

func mustAdd(t *testing.T, s store.Store, key store.Key, delta int64) int64 {
	t.Helper()
	n, err := s.Add(context.Background(), key, delta)
	if err != nil {
		t.Fatalf("Add(%v, %d): %v", key, delta, err)
	}
	return n
}

// wantFailed checks that err is a *store.TxError, not wrapped (the port
// says the error is one, so callers may assert it), wrapping
// ErrConditionFailed and naming exactly failed.
func wantFailed(t *testing.T, err error, failed []int) {
	t.Helper()
	txErr, ok := err.(*store.TxError)
	if !ok || !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("err = %v (%T), want a *store.TxError wrapping ErrConditionFailed", err, err)
	}
	if !slices.Equal(txErr.Failed, failed) {
		t.Fatalf("TxError.Failed = %v, want %v", txErr.Failed, failed)
	}
}

// wantState checks the live items of partition p: sort key -> "value vN".
func wantState(t *testing.T, s store.Store, p string, want map[string]string) {
	t.Helper()
	items, err := s.Query(context.Background(), p, "", 0)
	if err != nil {
		t.Fatalf("Query(%q): %v", p, err)
	}
	got := map[string]string{}
	for _, it := range items {
		got[it.Key.Sort] = fmt.Sprintf("%s v%d", it.Value, it.Version)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("partition %s = %v, want %v", p, got, want)
	}
}

func testTransactAllOrNothing(t *testing.T, s store.Store, _ *Clock) {
	// The base transaction succeeds on the set-up state; each row breaks
	// one or two of its conditions and must leave the state untouched.
	base := func(p string) []store.Op {
		return []store.Op{
			put(k(p, "new"), "n", store.Condition{IfAbsent: true}),
			add(k(p, "ctr"), 3),
			del(k(p, "del"), store.Condition{IfVersion: 1}),
			check(k(p, "live"), store.Condition{IfVersion: 2}),
			put(k(p, "upd"), "u2", store.Condition{IfVersion: 1}),
		}
	}
	before := map[string]string{"ctr": "5 v1", "del": "d v1", "live": "l2 v2", "upd": "u1 v1", "other": "o v1"}
	tests := []struct {
		name   string
		breaks func(ops []store.Op)
		failed []int
	}{
		{"put IfAbsent on a live item", func(ops []store.Op) { ops[0].Item.Key.Sort = "other" }, []int{0}},
		{"put IfVersion stale", func(ops []store.Op) { ops[4].Cond.IfVersion = 2 }, []int{4}},
		{"put IfVersion on a missing item", func(ops []store.Op) { ops[4].Item.Key.Sort = "missing" }, []int{4}},
		{"delete IfVersion stale", func(ops []store.Op) { ops[2].Cond.IfVersion = 7 }, []int{2}},
		{"delete IfAbsent on a live item", func(ops []store.Op) { ops[2].Cond = store.Condition{IfAbsent: true} }, []int{2}},
		{"check IfVersion stale", func(ops []store.Op) { ops[3].Cond.IfVersion = 1 }, []int{3}},
		{"check IfAbsent on a live item", func(ops []store.Op) { ops[3].Cond = store.Condition{IfAbsent: true} }, []int{3}},
		{"last op fails", func(ops []store.Op) { ops[4].Cond.IfVersion = 9 }, []int{4}},
		{"two fail", func(ops []store.Op) { ops[0].Item.Key.Sort = "other"; ops[3].Cond.IfVersion = 3 }, []int{0, 3}},
		{"none fails", func([]store.Op) {}, nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := "aon-" + strconv.Itoa(i)
			mustAdd(t, s, k(p, "ctr"), 5)
			mustPut(t, s, store.Item{Key: k(p, "del"), Value: []byte("d")}, store.Condition{})
			mustPut(t, s, store.Item{Key: k(p, "live"), Value: []byte("l1")}, store.Condition{})
			mustPut(t, s, store.Item{Key: k(p, "live"), Value: []byte("l2")}, store.Condition{})
			mustPut(t, s, store.Item{Key: k(p, "upd"), Value: []byte("u1")}, store.Condition{})
			mustPut(t, s, store.Item{Key: k(p, "other"), Value: []byte("o")}, store.Condition{})
			ops := base(p)
			tc.breaks(ops)
			err := s.Transact(context.Background(), ops)
			if tc.failed == nil {
				if err != nil {
					t.Fatalf("Transact: %v", err)
				}
				wantState(t, s, p, map[string]string{"new": "n v1", "ctr": "8 v2", "live": "l2 v2", "upd": "u2 v2", "other": "o v1"})
				return
			}
			wantFailed(t, err, tc.failed)
			wantState(t, s, p, before)
		})
	}
}

func testTransactMixed(t *testing.T, s store.Store, clock *Clock) {
	const p = "mixed"
	mustPut(t, s, store.Item{Key: k(p, "a"), Value: []byte("a1")}, store.Condition{})
	mustPut(t, s, store.Item{Key: k(p, "a"), Value: []byte("a2")}, store.Condition{})
	mustAdd(t, s, k(p, "c"), 10)
	mustPut(t, s, store.Item{Key: k(p, "d"), Value: []byte("d")}, store.Condition{})
	mustPut(t, s, store.Item{Key: k(p, "chk"), Value: []byte("chk")}, store.Condition{})
	mustAdd(t, s, k(p, "h"), 4)
	soon := clock.Now().Add(time.Second)
	for _, sk := range []string{"e", "g", "e2"} {
		mustPut(t, s, store.Item{Key: k(p, sk), Value: []byte("old"), ExpiresAt: soon}, store.Condition{})
		mustPut(t, s, store.Item{Key: k(p, sk), Value: []byte("old"), ExpiresAt: soon}, store.Condition{})
	}
	clock.Advance(time.Second) // e, g and e2 (at version 2) expire
	later := clock.Now().Add(time.Hour)
	b := put(k(p, "b"), "b1", store.Condition{})
	b.Item.ExpiresAt = later
	mustTransact(t, s, []store.Op{
		put(k(p, "a"), "a3", store.Condition{IfVersion: 2}), // conditional update
		b,                                       // unconditional create, with expiry
		put(k(p, "e"), "e1", store.Condition{}), // unconditional over an expired item: v1
		put(k(p, "g"), "g1", store.Condition{IfAbsent: true}),   // IfAbsent over an expired item
		put(k(p, "h"), "h", store.Condition{}),                  // a Put over a counter makes it plain
		add(k(p, "c"), 5),                                       // existing counter
		add(k(p, "n"), -2),                                      // new counter
		del(k(p, "d"), store.Condition{}),                       // unconditional delete
		del(k(p, "z"), store.Condition{}),                       // delete of a missing item
		del(k(p, "e2"), store.Condition{IfAbsent: true}),        // an expired item is absent
		check(k(p, "chk"), store.Condition{IfVersion: 1}),       // live at version 1
		check(k(p, "missing"), store.Condition{IfAbsent: true}), // missing
	})
	wantState(t, s, p, map[string]string{
		"a": "a3 v3", "b": "b1 v1", "e": "e1 v1", "g": "g1 v1", "h": "h v2",
		"c": "15 v2", "n": "-2 v1", "chk": "chk v1",
	})
	if got := mustGet(t, s, k(p, "b")); !got.ExpiresAt.Equal(later) {
		t.Fatalf("b ExpiresAt = %v, want %v", got.ExpiresAt, later)
	}
	if _, err := s.Add(context.Background(), k(p, "h"), 1); !errors.Is(err, store.ErrNotCounter) {
		t.Fatalf("Add on a counter a transaction overwrote: err = %v, want ErrNotCounter", err)
	}
}

func testTransactAddExpiry(t *testing.T, s store.Store, clock *Clock) {
	const p = "slo"
	bucket := k(p, "bucket#0")
	marker := k(p, "event#1")
	addUntil := func(key store.Key, delta int64, at time.Time) store.Op {
		op := add(key, delta)
		op.Item.ExpiresAt = at
		return op
	}
	wantCounter := func(key store.Key, value string, version int64, expiresAt time.Time) {
		t.Helper()
		got := mustGet(t, s, key)
		if string(got.Value) != value || got.Version != version || !got.ExpiresAt.Equal(expiresAt) {
			t.Fatalf("%v = %q v%d expiring %v, want %q v%d expiring %v", key, got.Value, got.Version, got.ExpiresAt, value, version, expiresAt)
		}
	}
	t0 := clock.Now()
	m := put(marker, "", store.Condition{IfAbsent: true})
	m.Item.ExpiresAt = t0.Add(10 * time.Second)
	mustTransact(t, s, []store.Op{m, addUntil(bucket, 1, t0.Add(time.Minute))})
	wantCounter(bucket, "1", 1, t0.Add(time.Minute))

	steps := []struct {
		name      string
		run       func()
		value     string
		version   int64
		expiresAt time.Time
	}{
		{"tx add without expiry keeps it", func() { mustTransact(t, s, []store.Op{add(bucket, 2)}) }, "3", 2, t0.Add(time.Minute)},
		{"plain add keeps it", func() { mustAdd(t, s, bucket, 4) }, "7", 3, t0.Add(time.Minute)},
		{"tx add with expiry moves it", func() { mustTransact(t, s, []store.Op{addUntil(bucket, 0, t0.Add(2*time.Minute))}) }, "7", 4, t0.Add(2 * time.Minute)},
		{"still live a moment before", func() { clock.Advance(2*time.Minute - time.Nanosecond) }, "7", 4, t0.Add(2 * time.Minute)},
	}
	for _, st := range steps {
		st.run()
		if got := mustGet(t, s, bucket); string(got.Value) != st.value || got.Version != st.version || !got.ExpiresAt.Equal(st.expiresAt) {
			t.Fatalf("after %s: counter = %q v%d expiring %v, want %q v%d expiring %v", st.name, got.Value, got.Version, got.ExpiresAt, st.value, st.version, st.expiresAt)
		}
	}

	clock.Advance(time.Nanosecond) // exactly at ExpiresAt: gone
	wantNotFound(t, s, bucket)
	wantNotFound(t, s, marker)
	wantState(t, s, p, map[string]string{})
	// Conditions see the expired counter as absent.
	mustTransact(t, s, []store.Op{check(bucket, store.Condition{IfAbsent: true})})
	// The next Add, in a transaction or not, starts again at 0 without the
	// old expiry.
	mustTransact(t, s, []store.Op{add(bucket, 5)})
	wantCounter(bucket, "5", 1, time.Time{})

	other := k(p, "bucket#1")
	mustTransact(t, s, []store.Op{addUntil(other, 9, clock.Now().Add(time.Second))})
	clock.Advance(time.Second)
	if n := mustAdd(t, s, other, 2); n != 2 {
		t.Fatalf("plain Add on an expired counter = %d, want 2", n)
	}
	wantCounter(other, "2", 1, time.Time{})
	// A new expiry on a restarted counter.
	mustTransact(t, s, []store.Op{addUntil(other, 1, clock.Now().Add(time.Hour))})
	wantCounter(other, "3", 2, clock.Now().Add(time.Hour))
}

func testTransactInvalid(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	const p = "inv"
	mustPut(t, s, store.Item{Key: k(p, "plain"), Value: []byte("hello")}, store.Condition{})
	tooMany := make([]store.Op, store.MaxTransactOps+1)
	for i := range tooMany {
		tooMany[i] = add(k(p, fmt.Sprintf("n%03d", i)), 1)
	}
	withValue := add(k(p, "x"), 1)
	withValue.Item.Value = []byte("v")
	withDeltaPut := put(k(p, "x"), "v", store.Condition{})
	withDeltaPut.Delta = 1
	withExpiryDel := del(k(p, "x"), store.Condition{})
	withExpiryDel.Item.ExpiresAt = clock.Now().Add(time.Hour)
	condAdd := add(k(p, "x"), 1)
	condAdd.Cond = store.Condition{IfAbsent: true}
	tests := []struct {
		name string
		ops  []store.Op
		want error
	}{
		{"two ops on one key", []store.Op{put(k(p, "x"), "v", store.Condition{}), add(k(p, "x"), 1)}, store.ErrInvalidTransaction},
		{"check and delete of one key", []store.Op{check(k(p, "x"), store.Condition{IfAbsent: true}), del(k(p, "x"), store.Condition{})}, store.ErrInvalidTransaction},
		{"more than MaxTransactOps", tooMany, store.ErrInvalidTransaction},
		{"unknown kind", []store.Op{{Item: store.Item{Key: k(p, "x")}}}, store.ErrInvalidTransaction},
		{"value on an add", []store.Op{withValue}, store.ErrInvalidTransaction},
		{"delta on a put", []store.Op{withDeltaPut}, store.ErrInvalidTransaction},
		{"expiry on a delete", []store.Op{withExpiryDel}, store.ErrInvalidTransaction},
		{"empty partition", []store.Op{add(k("", "x"), 1)}, store.ErrInvalidKey},
		{"empty sort", []store.Op{del(k(p, ""), store.Condition{})}, store.ErrInvalidKey},
		{"IfAbsent with IfVersion", []store.Op{put(k(p, "x"), "v", store.Condition{IfAbsent: true, IfVersion: 1})}, store.ErrInvalidCondition},
		{"negative IfVersion", []store.Op{del(k(p, "x"), store.Condition{IfVersion: -1})}, store.ErrInvalidCondition},
		{"check without condition", []store.Op{check(k(p, "x"), store.Condition{})}, store.ErrInvalidCondition},
		{"add with condition", []store.Op{condAdd}, store.ErrInvalidCondition},
		{"add on a plain item", []store.Op{add(k(p, "plain"), 1)}, store.ErrNotCounter},
		{"add on a plain item wins over a failed condition", []store.Op{put(k(p, "plain2"), "v", store.Condition{IfVersion: 3}), add(k(p, "plain"), 1)}, store.ErrNotCounter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A valid write first, which must not happen either.
			ops := append([]store.Op{add(k(p, "witness"), 1)}, tc.ops...)
			if len(tc.ops) > store.MaxTransactOps {
				ops = tc.ops
			}
			if err := s.Transact(ctx, ops); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			wantState(t, s, p, map[string]string{"plain": "hello v1"})
		})
	}
	t.Run("empty transaction", func(t *testing.T) {
		for _, ops := range [][]store.Op{nil, {}} {
			if err := s.Transact(ctx, ops); err != nil {
				t.Fatalf("Transact(%#v) = %v, want nil", ops, err)
			}
		}
	})
	t.Run("exactly MaxTransactOps", func(t *testing.T) {
		mustTransact(t, s, tooMany[:store.MaxTransactOps])
		items, err := s.Query(ctx, p, "n", 0)
		if err != nil || len(items) != store.MaxTransactOps {
			t.Fatalf("Query = %d items, %v; want %d", len(items), err, store.MaxTransactOps)
		}
	})
	t.Run("add on an expired plain item", func(t *testing.T) {
		mustPut(t, s, store.Item{Key: k(p, "brief"), Value: []byte("b"), ExpiresAt: clock.Now().Add(time.Second)}, store.Condition{})
		clock.Advance(time.Second)
		mustTransact(t, s, []store.Op{add(k(p, "brief"), 6)})
		wantItem(t, mustGet(t, s, k(p, "brief")), k(p, "brief"), "6", 1)
	})
}

// testTransactExactlyOnce is the aggregator's use: every event is delivered
// twice, to different workers, and each delivery writes the event's marker
// IfAbsent and adds to shared counters in one transaction. Exactly one
// delivery per event may win, and the counters must hold exact sums.
func testTransactExactlyOnce(t *testing.T, s store.Store, clock *Clock) {
	const workers, events = 8, 40
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won       = map[int]int{}
		errs      []error
		expiresAt = clock.Now().Add(time.Hour)
	)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Worker w gets the events e with e%4 == w%4: two workers each.
			for e := w % 4; e < events; e += 4 {
				marker := put(k("events", strconv.Itoa(e)), "", store.Condition{IfAbsent: true})
				marker.Item.ExpiresAt = expiresAt
				total, bucket := add(k("counts", "total"), 1), add(k("counts", "bucket#"+strconv.Itoa(e%3)), int64(e))
				bucket.Item.ExpiresAt = expiresAt
				err := s.Transact(context.Background(), []store.Op{marker, total, bucket})
				var txErr *store.TxError
				mu.Lock()
				switch {
				case err == nil:
					won[e]++
				case errors.As(err, &txErr) && slices.Equal(txErr.Failed, []int{0}):
				default:
					errs = append(errs, fmt.Errorf("event %d: %w", e, err))
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("transactions failed: %v", errors.Join(errs...))
	}
	sums := [3]int64{}
	for e := range events {
		if won[e] != 1 {
			t.Fatalf("event %d counted %d times, want once", e, won[e])
		}
		sums[e%3] += int64(e)
	}
	wantItem(t, mustGet(t, s, k("counts", "total")), k("counts", "total"), strconv.Itoa(events), events)
	for b, sum := range sums {
		key := k("counts", "bucket#"+strconv.Itoa(b))
		if got := mustGet(t, s, key); string(got.Value) != strconv.FormatInt(sum, 10) || !got.ExpiresAt.Equal(expiresAt) {
			t.Fatalf("%v = %q expiring %v, want %d expiring %v", key, got.Value, got.ExpiresAt, sum, expiresAt)
		}
	}
}
