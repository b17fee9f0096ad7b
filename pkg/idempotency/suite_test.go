package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// backend builds a fresh store for one test.
type backend func(t *testing.T, now func() time.Time) store.Store

func TestGuardMemory(t *testing.T) {
	runSuite(t, func(t *testing.T, now func() time.Time) store.Store {
		return memory.New(memory.Config{Now: now})
	})
}

func TestGuardBolt(t *testing.T) {
	runSuite(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), Now: now, GroupCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestGuardDynamoOnMoto(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	runSuite(t, func(t *testing.T, now func() time.Time) store.Store {
		return dynamotest.NewStore(t, db, dynamo.Config{Now: now})
	})
}

type order struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

// env is one suite test's guard, store and clock.
type env struct {
	guard *idempotency.Guard
	store store.Store
	clock *storetest.Clock
}

func runSuite(t *testing.T, newStore backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"RepeatReturnsStoredResult", testRepeat},
		{"PayloadMismatch", testMismatch},
		{"ConcurrentDuplicatesRunOnce", testConcurrent},
		{"FailureReleases", testFailureReleases},
		{"CompletedRecordExpires", testCompletedExpires},
		{"CrashedInvocationIsRetaken", testCrashedRetaken},
		{"DeadlineBoundsInProgress", testDeadline},
		{"KeysAreIndependent", testKeysIndependent},
		{"MiddlewareReplaysReply", testMiddleware},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewClock()
			s := newStore(t, clock.Now)
			g, err := idempotency.New(idempotency.Config{
				Store: s, Namespace: "orders", Now: clock.Now,
				ExpiresAfter: time.Hour, MaxInProgress: 5 * time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			tc.run(t, env{guard: g, store: s, clock: clock})
		})
	}
}

// counted returns fn that counts its calls and returns o.
func counted(calls *atomic.Int64, o order) func(context.Context) (order, error) {
	return func(context.Context) (order, error) {
		calls.Add(1)
		return o, nil
	}
}

func testRepeat(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	first, err := idempotency.Do(ctx, e.guard, "o-1", []byte(`{"id":"o-1"}`), counted(&calls, order{"o-1", 42}))
	if err != nil || first != (order{"o-1", 42}) {
		t.Fatalf("first = %+v, %v", first, err)
	}
	e.clock.Advance(59 * time.Minute)
	again, err := idempotency.Do(ctx, e.guard, "o-1", []byte(`{"id":"o-1"}`), counted(&calls, order{"other", 0}))
	if err != nil || again != first {
		t.Fatalf("repeat = %+v, %v; want stored %+v", again, err, first)
	}
	if calls.Load() != 1 {
		t.Fatalf("function ran %d times, want 1", calls.Load())
	}
}

func testMismatch(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	if _, err := idempotency.Do(ctx, e.guard, "o-1", []byte(`{"total":1}`), counted(&calls, order{})); err != nil {
		t.Fatal(err)
	}
	_, err := idempotency.Do(ctx, e.guard, "o-1", []byte(`{"total":2}`), counted(&calls, order{}))
	if !errors.Is(err, idempotency.ErrPayloadMismatch) || faas.ErrorName(err) != idempotency.NamePayloadMismatch {
		t.Fatalf("err = %v (name %q), want ErrPayloadMismatch", err, faas.ErrorName(err))
	}
	if calls.Load() != 1 {
		t.Fatalf("function ran %d times, want 1", calls.Load())
	}
}

func testConcurrent(t *testing.T, e env) {
	const dups = 8
	var calls atomic.Int64
	running, release := make(chan struct{}), make(chan struct{})
	slow := func(context.Context) (order, error) {
		calls.Add(1)
		close(running)
		<-release
		return order{"o-1", 7}, nil
	}
	ctx := context.Background()
	payload := []byte(`{"id":"o-1"}`)
	firstDone := make(chan error, 1)
	go func() {
		_, err := idempotency.Do(ctx, e.guard, "o-1", payload, slow)
		firstDone <- err
	}()
	<-running
	// While the first runs, every duplicate is refused as in progress.
	var wg sync.WaitGroup
	errs := make([]error, dups)
	for i := range dups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = idempotency.Do(ctx, e.guard, "o-1", payload, slow)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, idempotency.ErrInProgress) || faas.ErrorName(err) != idempotency.NameInProgress {
			t.Errorf("duplicate %d err = %v, want ErrInProgress", i, err)
		}
		var fe *faas.Error
		if !errors.As(err, &fe) || !fe.Retryable {
			t.Errorf("duplicate %d: ErrInProgress not retryable", i)
		}
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first: %v", err)
	}
	got, err := idempotency.Do(ctx, e.guard, "o-1", payload, slow)
	if err != nil || got != (order{"o-1", 7}) {
		t.Fatalf("after completion = %+v, %v", got, err)
	}
	if calls.Load() != 1 {
		t.Fatalf("function ran %d times, want 1", calls.Load())
	}
}

func testFailureReleases(t *testing.T, e env) {
	ctx := context.Background()
	boom := errors.New("payment gateway down")
	var calls atomic.Int64
	_, err := idempotency.Do(ctx, e.guard, "o-1", nil, func(context.Context) (order, error) {
		calls.Add(1)
		return order{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the function's error", err)
	}
	got, err := idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{"o-1", 1}))
	if err != nil || got.ID != "o-1" || calls.Load() != 2 {
		t.Fatalf("retry after failure = %+v, %v, calls %d; want it to run", got, err, calls.Load())
	}
}

func testCompletedExpires(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{"o-1", 1}))
	e.clock.Advance(time.Hour)
	got, err := idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{"o-1", 2}))
	if err != nil || got.Total != 2 || calls.Load() != 2 {
		t.Fatalf("after expiry = %+v, %v, calls %d; want a fresh run", got, err, calls.Load())
	}
}

func testCrashedRetaken(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	running, release := make(chan struct{}), make(chan struct{})
	lateDone := make(chan error, 1)
	// The first invocation hangs past its in-progress expiry, as a crashed
	// or killed one would.
	go func() {
		_, err := idempotency.Do(ctx, e.guard, "o-1", nil, func(context.Context) (order, error) {
			calls.Add(1)
			close(running)
			<-release
			return order{"late", 0}, nil
		})
		lateDone <- err
	}()
	<-running
	e.clock.Advance(4 * time.Minute)
	if _, err := idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{})); !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("before expiry err = %v, want ErrInProgress", err)
	}
	e.clock.Advance(time.Minute) // MaxInProgress reached
	got, err := idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{"retaken", 1}))
	if err != nil || got.ID != "retaken" {
		t.Fatalf("takeover = %+v, %v", got, err)
	}
	// The late finisher must not overwrite the new owner's result.
	close(release)
	if err := <-lateDone; !errors.Is(err, idempotency.ErrPersistence) {
		t.Fatalf("late finisher err = %v, want ErrPersistence", err)
	}
	got, err = idempotency.Do(ctx, e.guard, "o-1", nil, counted(&calls, order{"third", 0}))
	if err != nil || got.ID != "retaken" || calls.Load() != 2 {
		t.Fatalf("stored = %+v, %v, calls %d; want retaken result, 2 runs", got, err, calls.Load())
	}
}

func testDeadline(t *testing.T, e env) {
	// A context deadline (the Lambda invocation's) bounds the in-progress
	// record instead of MaxInProgress.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var calls atomic.Int64
	running, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := idempotency.Do(ctx, e.guard, "o-1", nil, func(context.Context) (order, error) {
			close(running)
			<-release
			return order{}, nil
		})
		done <- err
	}()
	<-running
	e.clock.Advance(31 * time.Second)
	if _, err := idempotency.Do(context.Background(), e.guard, "o-1", nil, counted(&calls, order{"next", 1})); err != nil || calls.Load() != 1 {
		t.Fatalf("after the deadline: err %v, calls %d; want the record retaken", err, calls.Load())
	}
	close(release)
	<-done
}

func testKeysIndependent(t *testing.T, e env) {
	ctx := context.Background()
	var calls atomic.Int64
	for _, key := range []string{"o-1", "o-2", strings.Repeat("k", 2048), "ключ"} {
		if _, err := idempotency.Do(ctx, e.guard, key, nil, counted(&calls, order{ID: key})); err != nil {
			t.Fatalf("key %.10q: %v", key, err)
		}
	}
	if calls.Load() != 4 {
		t.Fatalf("calls = %d, want 4", calls.Load())
	}
	if _, err := idempotency.Do(ctx, e.guard, "", nil, counted(&calls, order{})); !errors.Is(err, idempotency.ErrKeyMissing) {
		t.Fatalf("empty key err = %v, want ErrKeyMissing", err)
	}
}
