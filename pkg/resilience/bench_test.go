package resilience_test

import (
	"context"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

//go:noinline
func work(ctx context.Context) (int, error) { return 1, nil }

// benchPolicy is every policy on the success path: overall and attempt
// timeout, retry, the shared breaker read from its cache, a bulkhead.
func benchPolicy(b *testing.B, st *countingStore) *resilience.Policy {
	b.Helper()
	reg, err := resilience.NewRegistry(resilience.RegistryConfig{Function: "bench", Store: st, ReportInterval: -1,
		Downstreams: map[string]resilience.Downstream{"payments-api": {Kind: resilience.KindExternal, Idempotent: true,
			Timeout: 10 * time.Second, AttemptTimeout: 2 * time.Second}}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := reg.Policy("payments-api")
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCall is the bare call the policies wrap.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := work(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDo is the same call through Do: the cost the policies add.
// store-reads/s is the breaker's store reads per second of calls (at most
// one per CacheTTL of 1s).
func BenchmarkDo(b *testing.B) {
	st := &countingStore{Store: memory.New(memory.Config{})}
	p := benchPolicy(b, st)
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := resilience.Do(ctx, p, work); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.gets.Load())/time.Since(start).Seconds(), "store-reads/s")
}

// BenchmarkDoParallel runs Do from every core at once.
func BenchmarkDoParallel(b *testing.B) {
	st := &countingStore{Store: memory.New(memory.Config{})}
	p := benchPolicy(b, st)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := resilience.Do(ctx, p, work); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

var sink time.Time

// BenchmarkClockNow is one wall-clock read, which Do makes once per call:
// on a virtual machine whose clock source is not the TSC (kvm-clock) it is
// most of what the policies add.
func BenchmarkClockNow(b *testing.B) {
	for b.Loop() {
		sink = time.Now()
	}
}
