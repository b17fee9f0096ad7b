package resilience_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

// The wrapped store is still a store: the port's contract suite passes
// through the policy.
func TestStoreContractThroughPolicy(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "store", Idempotent: true})
		if err != nil {
			t.Fatal(err)
		}
		return resilience.Store{Policy: p, Next: memory.New(memory.Config{Now: now})}
	})
}

// flaky fails the first n calls of every method with a transient error.
type flaky struct {
	store.Store
	n     int
	calls int
}

func (f *flaky) fail() error {
	f.calls++
	if f.calls <= f.n {
		return errors.New("dynamodb: connection reset")
	}
	return nil
}

func (f *flaky) Get(ctx context.Context, k store.Key) (store.Item, error) {
	if err := f.fail(); err != nil {
		return store.Item{}, err
	}
	return f.Store.Get(ctx, k)
}

func (f *flaky) Put(ctx context.Context, it store.Item, c store.Condition) (store.Item, error) {
	if err := f.fail(); err != nil {
		return store.Item{}, err
	}
	return f.Store.Put(ctx, it, c)
}

func (f *flaky) Add(ctx context.Context, k store.Key, d int64) (int64, error) {
	if err := f.fail(); err != nil {
		return 0, err
	}
	return f.Store.Add(ctx, k, d)
}

func TestStoreRetriesOnlyWhatIsSafe(t *testing.T) {
	key := store.Key{Partition: "saga#1", Sort: "step#inventory"}
	for _, tc := range []struct {
		name  string
		call  func(context.Context, store.Store) error
		calls int
	}{
		{"get retried", func(ctx context.Context, s store.Store) error { _, err := s.Get(ctx, key); return err }, 2},
		{"unconditional put retried", func(ctx context.Context, s store.Store) error {
			_, err := s.Put(ctx, store.Item{Key: key, Value: []byte("x")}, store.Condition{})
			return err
		}, 2},
		{"conditional put not retried", func(ctx context.Context, s store.Store) error {
			_, err := s.Put(ctx, store.Item{Key: key, Value: []byte("x")}, store.Condition{IfAbsent: true})
			return err
		}, 1},
		{"add not retried", func(ctx context.Context, s store.Store) error { _, err := s.Add(ctx, key, 1); return err }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{Store: memory.New(memory.Config{}), n: 1}
			p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "store", Idempotent: true, Clock: clock.NewFake(time.Unix(0, 0))})
			if err != nil {
				t.Fatal(err)
			}
			_ = tc.call(context.Background(), resilience.Store{Policy: p, Next: f})
			if f.calls != tc.calls {
				t.Errorf("%d calls, want %d", f.calls, tc.calls)
			}
		})
	}
	// The port's answers are returned as they are and open no breaker.
	fake := clock.NewFake(time.Unix(0, 0))
	br, _ := resilience.NewBreaker(resilience.BreakerConfig{Name: "store", Store: memory.New(memory.Config{}), Now: fake.Now,
		Settings: resilience.BreakerSettings{FailureThreshold: 1}})
	p, _ := resilience.NewPolicy(resilience.PolicyConfig{Name: "store", Idempotent: true, Clock: fake, Breaker: br})
	s := resilience.Store{Policy: p, Next: memory.New(memory.Config{})}
	for range 3 {
		if _, err := s.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) || errors.Is(err, resilience.ErrCircuitOpen) {
			t.Fatalf("err %v, want store.ErrNotFound as the store said it (not a breaker refusal)", err)
		}
	}
}
