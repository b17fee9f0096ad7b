package resilience_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// The shared breaker's contract, run against each store implementation:
// two breakers with their own caches over one store are two instances
// (two Lambda instances, two processes) of one function.

func TestSharedBreakerMemory(t *testing.T) {
	runSharedBreaker(t, func(t *testing.T) store.Store { return memory.New(memory.Config{}) })
}

func TestSharedBreakerBolt(t *testing.T) {
	runSharedBreaker(t, func(t *testing.T) store.Store {
		s, err := bolt.Open(bolt.Config{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSharedBreakerDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	runSharedBreaker(t, func(t *testing.T) store.Store { return dynamotest.NewStore(t, db, dynamo.Config{}) })
}

// countingStore counts reads and writes.
type countingStore struct {
	store.Store
	gets, puts atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, k store.Key) (store.Item, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, k)
}

func (c *countingStore) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	c.puts.Add(1)
	return c.Store.Put(ctx, it, cond)
}

var settings = resilience.BreakerSettings{
	FailureThreshold: 3, FailureRate: 0.5, MinCalls: 10, Window: 10 * time.Second,
	OpenTimeout: 10 * time.Second, HalfOpenProbes: 2, SuccessThreshold: 2, CacheTTL: time.Second,
}

type instance struct {
	*resilience.Breaker
	changes *[]resilience.Transition
}

func newInstances(t *testing.T, s store.Store, fake *clock.Fake, n int) []instance {
	t.Helper()
	var changes []resilience.Transition
	out := make([]instance, n)
	for i := range out {
		b, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "payments-api", Settings: settings, Store: s, Now: fake.Now,
			OnChange: func(_ context.Context, tr resilience.Transition) { changes = append(changes, tr) }})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = instance{b, &changes}
	}
	return out
}

func call(t *testing.T, b instance, fail bool) error {
	t.Helper()
	ctx := context.Background()
	p, err := b.Allow(ctx)
	if err != nil {
		return err
	}
	b.Done(ctx, p, fail)
	return nil
}

func isOpen(err error) bool { return errors.Is(err, resilience.ErrCircuitOpen) }

func runSharedBreaker(t *testing.T, newStore func(*testing.T) store.Store) {
	t.Run("FailuresSeenByOneOpenItForBoth", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 2)
		a, b := in[0], in[1]
		if err := call(t, b, false); err != nil { // b reads the closed state
			t.Fatal(err)
		}
		for range settings.FailureThreshold {
			if err := call(t, a, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := call(t, a, false); !isOpen(err) {
			t.Fatalf("a after %d failures: %v, want open", settings.FailureThreshold, err)
		}
		fake.Advance(settings.CacheTTL)
		if err := call(t, b, false); !isOpen(err) {
			t.Fatalf("b one cache period later: %v, want open", err)
		}
		if got := *a.changes; len(got) != 1 || got[0].To != resilience.Open || got[0].ConsecutiveFailures != 3 {
			t.Errorf("transitions %+v, want one to open after 3 failures", got)
		}
	})

	t.Run("FailuresSpreadOverInstancesAddUp", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 3)
		// One failure each: no instance alone reaches 3, together they do
		// once their counts are written (each cache period).
		for _, x := range in {
			if err := call(t, x, true); err != nil {
				t.Fatal(err)
			}
		}
		fake.Advance(settings.CacheTTL)
		for _, x := range in {
			_ = call(t, x, false)
		}
		fake.Advance(settings.CacheTTL)
		for i, x := range in {
			if err := call(t, x, false); !isOpen(err) {
				t.Errorf("instance %d: %v, want open", i, err)
			}
		}
	})

	t.Run("FailureRateOverMinCalls", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 2)
		// Alternating outcomes never make 3 in a row; half of 10 calls fail.
		for i := range 10 {
			if err := call(t, in[i%2], i%4 < 2); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		fake.Advance(settings.CacheTTL)
		_ = call(t, in[0], false)
		_ = call(t, in[1], false)
		fake.Advance(settings.CacheTTL)
		if err := call(t, in[0], false); !isOpen(err) {
			t.Fatalf("%v, want open by failure rate", err)
		}
		if got := *in[0].changes; len(got) == 0 || got[len(got)-1].WindowCalls < settings.MinCalls {
			t.Errorf("transitions %+v", got)
		}
	})

	t.Run("HalfOpenLetsOnlyTheProbesThroughThenCloses", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 2)
		a, b := in[0], in[1]
		for range settings.FailureThreshold {
			_ = call(t, a, true)
		}
		fake.Advance(settings.OpenTimeout)
		ctx := context.Background()
		var probes []resilience.Permit
		var owners []instance
		refused := 0
		for i := range 6 {
			x := in[i%2]
			p, err := x.Allow(ctx)
			if err != nil {
				if !isOpen(err) {
					t.Fatal(err)
				}
				refused++
				continue
			}
			probes, owners = append(probes, p), append(owners, x)
		}
		if len(probes) != settings.HalfOpenProbes || refused != 6-settings.HalfOpenProbes {
			t.Fatalf("%d probes let through, %d refused; want %d through", len(probes), refused, settings.HalfOpenProbes)
		}
		st, err := a.State(ctx)
		if err != nil || st.State != resilience.HalfOpen || st.ProbesInFlight != 2 {
			t.Fatalf("state %+v %v", st, err)
		}
		for i, p := range probes {
			owners[i].Done(ctx, p, false)
		}
		st, _ = a.State(ctx)
		if st.State != resilience.Closed {
			t.Fatalf("after %d successful probes: %+v", settings.SuccessThreshold, st)
		}
		fake.Advance(settings.CacheTTL)
		for i, x := range []instance{a, b} {
			if err := call(t, x, false); err != nil {
				t.Errorf("instance %d after closing: %v", i, err)
			}
		}
		var to []resilience.State
		for _, tr := range *a.changes {
			to = append(to, tr.To)
		}
		if len(to) != 3 || to[0] != resilience.Open || to[1] != resilience.HalfOpen || to[2] != resilience.Closed {
			t.Errorf("transitions %v, want open, half-open, closed", to)
		}
	})

	t.Run("FailedProbeOpensAgain", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 1)
		for range settings.FailureThreshold {
			_ = call(t, in[0], true)
		}
		fake.Advance(settings.OpenTimeout)
		if err := call(t, in[0], true); err != nil {
			t.Fatal(err)
		}
		if err := call(t, in[0], false); !isOpen(err) {
			t.Fatalf("%v, want open again", err)
		}
		st, _ := in[0].State(context.Background())
		if st.State != resilience.Open || !st.OpenedAt.Equal(fake.Now()) {
			t.Errorf("%+v", st)
		}
	})

	t.Run("ForceOpenAndExpiry", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		in := newInstances(t, newStore(t), fake, 2)
		ctx := context.Background()
		_ = call(t, in[1], false)
		if err := in[0].Force(ctx, resilience.ForceOpen, fake.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := call(t, in[0], false); !isOpen(err) {
			t.Fatalf("forced instance: %v", err)
		}
		fake.Advance(settings.CacheTTL)
		if err := call(t, in[1], false); !isOpen(err) {
			t.Fatalf("other instance: %v", err)
		}
		fake.Advance(time.Minute)
		if err := call(t, in[1], false); err != nil {
			t.Fatalf("after the force expired: %v", err)
		}
	})

	t.Run("StoreReadsPerCachePeriod", func(t *testing.T) {
		fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		cs := &countingStore{Store: newStore(t)}
		in := newInstances(t, cs, fake, 2)
		for period := range 3 {
			for range 1000 {
				for _, x := range in {
					if err := call(t, x, false); err != nil {
						t.Fatal(err)
					}
				}
			}
			// One read per instance per period; the counts written with it.
			if got, want := cs.gets.Load(), int64(2*(period+1)); got != want {
				t.Fatalf("period %d: %d store reads, want %d", period, got, want)
			}
			fake.Advance(settings.CacheTTL)
		}
		if got := cs.puts.Load(); got > 4 {
			t.Errorf("%d store writes over 3 periods of 2 instances, want at most 4 (their counts)", got)
		}
	})
}

func TestHalfOpenBurstMakesOneStoreCallAtATime(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	cs := &countingStore{Store: memory.New(memory.Config{})}
	in := newInstances(t, cs, fake, 1)
	for range settings.FailureThreshold {
		_ = call(t, in[0], true)
	}
	fake.Advance(settings.OpenTimeout)
	before := cs.gets.Load()
	var wg sync.WaitGroup
	var let atomic.Int64
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := in[0].Allow(context.Background()); err == nil {
				let.Add(1)
			}
		}()
	}
	wg.Wait()
	if let.Load() > int64(settings.HalfOpenProbes) {
		t.Errorf("%d calls let through half-open, want at most %d", let.Load(), settings.HalfOpenProbes)
	}
	if reads := cs.gets.Load() - before; reads > int64(settings.HalfOpenProbes)+1 {
		t.Errorf("%d store reads for a burst of 200 calls, want at most %d", reads, settings.HalfOpenProbes+1)
	}
}
