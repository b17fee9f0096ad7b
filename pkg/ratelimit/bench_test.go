package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// BenchmarkAllowFastPath is the check of a request that finds leased
// requests in the process: the in-process limiter and a counter, no store.
func BenchmarkAllowFastPath(b *testing.B) {
	l, err := New(Config{Policies: policies(b, "policies:\n- {class: premium, api: '*', rate: 100000000/s, burst: 1000000000}"),
		Store: memory.New(memory.Config{}), LeaseInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	c := apiclient.Client{ID: "acme", Class: apiclient.Premium}
	ctx := context.Background()
	l.Allow(ctx, c, "orders") // the one lease
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if !l.Allow(ctx, c, "orders").Allowed {
			b.Fatal("refused")
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process CPU time per op since cpu (see processCPU).
func reportCPU(b *testing.B, cpu time.Duration) {
	if used := processCPU() - cpu; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkAllowFastPathParallel: many clients at once, each on the fast path.
func BenchmarkAllowFastPathParallel(b *testing.B) {
	l, err := New(Config{Policies: policies(b, "policies:\n- {class: premium, api: '*', rate: 100000000/s, burst: 1000000000}"),
		Store: memory.New(memory.Config{}), LeaseInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	clients := make([]apiclient.Client, 64)
	for i := range clients {
		clients[i] = apiclient.Client{ID: "client-" + strconv.Itoa(i), Class: apiclient.Premium}
		l.Allow(ctx, clients[i], "orders")
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(ctx, clients[i%len(clients)], "orders")
			i++
		}
	})
	reportCPU(b, cpu)
}

// BenchmarkAllowRefused is a client over its limit: refused in process.
func BenchmarkAllowRefused(b *testing.B) {
	clk := clock.NewFake(epoch)
	l := newLimiter(b, policies(b, "policies:\n- {class: premium, api: '*', rate: 1/min, burst: 1}"), memory.New(memory.Config{Now: clk.Now}), clk, 0)
	c := apiclient.Client{ID: "acme", Class: apiclient.Premium}
	ctx := context.Background()
	l.Allow(ctx, c, "orders")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if l.Allow(ctx, c, "orders").Allowed {
			b.Fatal("allowed")
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkStoreWritesPerRefill: one client sends at 10× its rate (100/s,
// burst 100, leases of 25 = one refill interval of 250 ms) on a fake clock;
// the metric is the store writes per client per refill interval.
func BenchmarkStoreWritesPerRefill(b *testing.B) {
	clk := clock.NewFake(epoch)
	st := &countingStore{Store: memory.New(memory.Config{Now: clk.Now})}
	l := newLimiter(b, policies(b, "policies:\n- {class: premium, api: '*', rate: 100/s, burst: 100}"), st, clk, DefaultLeaseInterval)
	p, _ := l.policies.For(apiclient.Premium, "orders")
	refill := time.Duration(LeaseSize(p, DefaultLeaseInterval)) * p.Rate.Interval()
	c := apiclient.Client{ID: "acme", Class: apiclient.Premium}
	ctx := context.Background()
	step := p.Rate.Interval() / 10
	b.ReportAllocs()
	start := clk.Now()
	for b.Loop() {
		l.Allow(ctx, c, "orders")
		clk.Advance(step)
	}
	intervals := float64(clk.Now().Sub(start)) / float64(refill)
	if intervals >= 1 {
		b.ReportMetric(float64(st.puts.Load())/intervals, "writes/refill")
	}
}
