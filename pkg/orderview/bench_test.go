package orderview_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

var rebuildEvents = flag.Int("orderview.events", 1_000_000, "saga events BenchmarkRebuild rebuilds the order model from")

// seed appends about n saga events of random sagas to es, several sagas
// per transaction (AppendBatch), and returns how many it appended.
func seed(b *testing.B, es *eventstore.EventStore, n int) int {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	total, next := 0, 0
	for total < n {
		var reqs []eventstore.AppendRequest
		ops := 1
		for ops < 60 && total < n { // a saga takes at most ~30 ops
			id := fmt.Sprintf("o-%07d", next)
			next++
			ces := sagaEvents(r, id, storetest.Epoch.Add(time.Duration(next)*time.Millisecond))
			req := eventstore.AppendRequest{Stream: orderview.StreamPrefix + id}
			for _, ce := range ces {
				req.Events = append(req.Events, eventstore.Event{Type: ce.Type(), Data: ce.Data(), Time: ce.Time()})
			}
			reqs = append(reqs, req)
			ops += 3 + 2*len(ces)
			total += len(ces)
		}
		if _, err := es.AppendBatch(ctx, reqs); err != nil {
			b.Fatal(err)
		}
	}
	return total
}

var seeded struct {
	sync.Mutex
	memory   *eventstore.EventStore
	boltDir  string
	count    map[string]int
	seedTime map[string]time.Duration
}

// BenchmarkRebuild rebuilds the order read model from -orderview.events
// saga events (a million by default) in the event store's feed, on the
// embedded bbolt store (durable, group commit) as `cogniforge projections
// rebuild` opens it, and with its GOGC=400; -orderview.stores=bolt,memory
// adds the memory store. The events are appended once per process,
// untimed; each iteration is one full rebuild into a new generation. It
// reports events/s and CPU seconds per rebuild.
func BenchmarkRebuild(b *testing.B) {
	seeded.Lock()
	defer seeded.Unlock()
	if seeded.count == nil {
		seeded.count, seeded.seedTime = map[string]int{}, map[string]time.Duration{}
	}
	for _, kind := range benchStores() {
		b.Run(fmt.Sprintf("%s/events=%d", kind, *rebuildEvents), func(b *testing.B) {
			var st store.Store
			switch kind {
			case "memory":
				if seeded.memory == nil {
					es, _ := eventstore.New(eventstore.Config{Store: memory.New(memory.Config{})})
					start := time.Now()
					seeded.count[kind] = seed(b, es, *rebuildEvents)
					seeded.seedTime[kind] = time.Since(start)
					seeded.memory = es
				}
				st = seeded.memory.Store()
			case "bolt":
				if seeded.boltDir == "" {
					dir, err := tempDir()
					if err != nil {
						b.Fatal(err)
					}
					s, err := bolt.Open(bolt.Config{Dir: dir, NoSync: true, GroupCommit: true})
					if err != nil {
						b.Fatal(err)
					}
					es, _ := eventstore.New(eventstore.Config{Store: s})
					start := time.Now()
					seeded.count[kind] = seed(b, es, *rebuildEvents)
					seeded.seedTime[kind] = time.Since(start)
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
					seeded.boltDir = dir
				}
				s, err := bolt.Open(bolt.Config{Dir: seeded.boltDir, GroupCommit: true})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				st = s
			}
			b.Logf("%d events seeded in %s (untimed)", seeded.count[kind], seeded.seedTime[kind].Round(time.Millisecond))
			es, _ := eventstore.New(eventstore.Config{Store: st})
			p, err := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}})
			if err != nil {
				b.Fatal(err)
			}
			// As `cogniforge projections rebuild` runs: a one-shot command
			// collects with GOGC=400 (cmd/cogniforge oneShotGC).
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			b.ResetTimer()
			cpu0 := cpuTime()
			var events int
			for range b.N {
				rep, err := p.Rebuild(context.Background(), projection.RebuildOptions{})
				if err != nil {
					b.Fatal(err)
				}
				events += rep.Events
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

var benchDirs []string

// tempDir is a directory for the seeded bolt store that outlives one
// benchmark run (b.TempDir would be removed between -count runs); TestMain
// removes it.
func tempDir() (string, error) {
	dir, err := os.MkdirTemp("", "orderview-bench-")
	if err == nil {
		benchDirs = append(benchDirs, dir)
	}
	return dir, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

var rebuildStores = flag.String("orderview.stores", "bolt", "stores BenchmarkRebuild runs on: bolt, memory or both (comma-separated)")

func benchStores() []string { return strings.Split(*rebuildStores, ",") }
