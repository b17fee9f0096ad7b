package bolt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// BenchmarkSQSBatchWrites measures the store writes of one SQS batch of the
// SLO aggregator, 4 events each writing its marker (a Put IfAbsent with an
// expiry) and adding to 2 expiring time-bucket counters: 12 writes, as one
// Transact or as 12 separate calls, each of which is its own durable bbolt
// transaction. writes/batch is the number of durable transactions (fsyncs)
// per batch.
func BenchmarkSQSBatchWrites(b *testing.B) {
	const events = 4
	for _, mode := range []struct {
		name   string
		writes float64
		run    func(ctx context.Context, s *bolt.Store, ops []store.Op) error
	}{
		{"transact", 1, func(ctx context.Context, s *bolt.Store, ops []store.Op) error { return s.Transact(ctx, ops) }},
		{"separate", 3 * events, func(ctx context.Context, s *bolt.Store, ops []store.Op) error {
			for _, op := range ops {
				var err error
				switch op.Kind {
				case store.OpPut:
					_, err = s.Put(ctx, op.Item, op.Cond)
				case store.OpAdd:
					_, err = s.Add(ctx, op.Item.Key, op.Delta)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s := open(b, bolt.Config{Dir: b.TempDir()})
			ctx := context.Background()
			expires := time.Now().Add(time.Hour)
			batch := 0
			for b.Loop() {
				ops := make([]store.Op, 0, 3*events)
				for e := range events {
					marker := store.Item{Key: store.Key{Partition: "slo#events", Sort: fmt.Sprintf("%d-%d", batch, e)}, ExpiresAt: expires}
					ops = append(ops, store.Op{Kind: store.OpPut, Item: marker, Cond: store.Condition{IfAbsent: true}})
					for _, counter := range []string{"events", "good"} {
						key := store.Key{Partition: "slo#counts", Sort: fmt.Sprintf("fn-%d#%s#%d", e, counter, batch/100)}
						ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: key, ExpiresAt: expires}, Delta: 1})
					}
				}
				if err := mode.run(ctx, s, ops); err != nil {
					b.Fatal(err)
				}
				batch++
			}
			b.ReportMetric(mode.writes, "writes/batch")
		})
	}
}
