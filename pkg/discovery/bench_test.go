package discovery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
)

// reportCPU adds cpu-ns/op: the process's CPU time per op, which waiting
// for a core on a loaded machine does not inflate as it does ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if cpu := processCPU() - start; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkPick is one pick from a cached view of 10 instances (weights 1
// to 10), per strategy, on one goroutine (by name, and through the
// Service handle) and on GOMAXPROCS goroutines: the target is
// under 100 ns and no allocation.
func BenchmarkPick(b *testing.B) {
	now := time.Now()
	src := &discoverytest.Source{}
	var insts []discovery.Instance
	for i := range 10 {
		insts = append(insts, discoverytest.Instance("checkout", fmt.Sprintf("i-%02d", i), i+1, now))
	}
	src.Set(insts...)
	for _, st := range discovery.Strategies {
		c, err := discovery.NewClient(discovery.ClientConfig{Source: src, Strategy: st, CacheTTL: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, err := c.Pick(ctx, "checkout"); err != nil {
			b.Fatal(err)
		}
		b.Run(string(st)+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			for b.Loop() {
				sel, err := c.Pick(ctx, "checkout")
				if err != nil {
					b.Fatal(err)
				}
				sel.Done()
			}
		})
		svc := c.Service("checkout")
		b.Run(string(st)+"/handle", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			for b.Loop() {
				sel, err := svc.Pick(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sel.Done()
			}
		})
		b.Run(string(st)+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sel, err := c.Pick(ctx, "checkout")
					if err != nil {
						b.Error(err)
						return
					}
					sel.Done()
				}
			})
		})
	}
}
