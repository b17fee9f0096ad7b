package idempotency_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// BenchmarkDo measures a first-time guarded call (claim, run, save: two
// durable writes on bolt) and a replayed one (one read), in parallel.
func BenchmarkDo(b *testing.B) {
	stores := map[string]func(b *testing.B) store.Store{
		"memory": func(*testing.B) store.Store { return memory.New(memory.Config{}) },
		"bolt+group": func(b *testing.B) store.Store {
			s, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, newStore := range stores {
		for _, replay := range []bool{false, true} {
			mode := "first"
			if replay {
				mode = "replay"
			}
			b.Run(name+"/"+mode, func(b *testing.B) {
				g, err := idempotency.New(idempotency.Config{Store: newStore(b)})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				fn := func(context.Context) (int, error) { return 1, nil }
				if replay {
					if _, err := idempotency.Do(ctx, g, "k", nil, fn); err != nil {
						b.Fatal(err)
					}
				}
				var seq atomic.Int64
				b.SetParallelism(16)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						key := "k"
						if !replay {
							key = strconv.FormatInt(seq.Add(1), 10)
						}
						if _, err := idempotency.Do(ctx, g, key, nil, fn); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
		}
	}
}
