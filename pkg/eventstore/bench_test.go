package eventstore_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

var (
	benchEvents  = flag.Int("eventstore.events", 200_000, "events BenchmarkAppendReadBolt appends and reads back per iteration (the README quotes -eventstore.events=1000000)")
	benchBatch   = flag.Int("eventstore.batch", eventstore.MaxAppend, "events per append in BenchmarkAppendReadBolt")
	benchStreams = flag.Int("eventstore.streams", 1000, "streams BenchmarkAppendReadBolt spreads the events over")
)

// BenchmarkAppendReadBolt appends -eventstore.events events (default
// 200,000, so make bench stays short; the README's figure is a million) to
// the embedded bbolt store, -eventstore.batch per append over
// -eventstore.streams streams, then reads them all back: the whole global
// feed, then every stream. It reports the rates in events per second.
// "durable" fsyncs every append (bbolt's default, what cogniforge run
// does); "nosync" skips the fsync, which shows what the event store costs
// apart from the disk.
func BenchmarkAppendReadBolt(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noSync bool
	}{{"durable", false}, {"nosync", true}} {
		b.Run(fmt.Sprintf("%s/events=%d/batch=%d", mode.name, *benchEvents, *benchBatch), func(b *testing.B) {
			data := json.RawMessage(`{"sagaId":"o-00000","saga":"order-fulfillment","step":"payment","phase":"forward","attempt":1}`)
			var appendDur, readDur time.Duration
			cpu0 := cpuTime()
			for range b.N {
				ctx := context.Background()
				st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true, NoSync: mode.noSync})
				if err != nil {
					b.Fatal(err)
				}
				es, _ := eventstore.New(eventstore.Config{Store: st})
				versions := make([]int64, *benchStreams)
				evs := make([]eventstore.Event, *benchBatch)
				for i := range evs {
					evs[i] = eventstore.Event{Type: "dev.cogniforge.saga.step.succeeded.v1", Data: data}
				}
				start := time.Now()
				for n, i := 0, 0; n < *benchEvents; i++ {
					k := min(*benchBatch, *benchEvents-n)
					s := i % *benchStreams
					res, err := es.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("stream-%d", s), Expected: versions[s], Events: evs[:k]})
					if err != nil {
						b.Fatal(err)
					}
					versions[s] = res.Version
					n += k
				}
				appendDur += time.Since(start)
				start = time.Now()
				read := 0
				if err := es.ScanFeed(ctx, 0, func(rs []eventstore.Record) (bool, error) { read += len(rs); return true, nil }); err != nil {
					b.Fatal(err)
				}
				for s := range versions {
					rs, err := es.ReadStream(ctx, fmt.Sprintf("stream-%d", s), 1, 0)
					if err != nil {
						b.Fatal(err)
					}
					read += len(rs)
				}
				readDur += time.Since(start)
				if read != 2**benchEvents {
					b.Fatalf("read %d events back, want %d (feed and streams)", read, 2**benchEvents)
				}
				st.Close()
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(*benchEvents)*float64(b.N)/appendDur.Seconds(), "appended/s")
			b.ReportMetric(float64(2**benchEvents)*float64(b.N)/readDur.Seconds(), "read/s")
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
