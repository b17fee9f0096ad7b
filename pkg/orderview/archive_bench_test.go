package orderview_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

var archivedEvents = flag.Int("orderview.archived", 1_000_000, "archived saga events BenchmarkRebuildFromArchive rebuilds the order model from")

var archiveSeeded struct {
	dir   string
	count int
	now   time.Time
	took  time.Duration
}

// BenchmarkRebuildFromArchive rebuilds the order read model from
// -orderview.archived saga events (a million by default) in the event
// archive, as `cogniforge projections rebuild orders --from-archive`
// does: the archive and the model each in their own embedded bbolt store
// (durable, group commit), the archive streamed (Archive.Scan) and
// deduplicated by event id, GOGC=400. The events are archived once per
// process, untimed, a millisecond apart over about 17 minutes with one in
// 30 delivered twice (randomStream); each iteration is one full rebuild
// into a new generation. It reports events/s (archived records read) and
// CPU seconds per rebuild.
func BenchmarkRebuildFromArchive(b *testing.B) {
	ctx := context.Background()
	if archiveSeeded.dir == "" {
		dir, err := tempDir()
		if err != nil {
			b.Fatal(err)
		}
		st, err := bolt.Open(bolt.Config{Dir: dir + "/archive", NoSync: true, GroupCommit: true})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		arch, _ := streams.NewArchive(st, streams.DefaultConfig(), func() time.Time { return at })
		r := rand.New(rand.NewPCG(3, 4))
		evs := randomStream(r, *archivedEvents, at)
		recs := make([]streams.Record, 0, 10_000)
		for i, e := range evs {
			recs = append(recs, streams.Record{Stream: "system", ArchivedAt: at.Add(time.Duration(i) * time.Millisecond), Seq: uint64(i + 1), Event: e})
			if len(recs) == cap(recs) || i == len(evs)-1 {
				if err := arch.Write(ctx, recs); err != nil {
					b.Fatal(err)
				}
				recs = recs[:0]
			}
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		archiveSeeded.dir, archiveSeeded.count, archiveSeeded.took = dir, len(evs), time.Since(start)
		archiveSeeded.now = at.Add(time.Duration(len(evs)+1) * time.Millisecond)
	}
	b.Run(fmt.Sprintf("bolt/archived=%d", archiveSeeded.count), func(b *testing.B) {
		b.Logf("%d events archived in %s (untimed)", archiveSeeded.count, archiveSeeded.took.Round(time.Millisecond))
		ast, err := bolt.Open(bolt.Config{Dir: archiveSeeded.dir + "/archive", GroupCommit: true})
		if err != nil {
			b.Fatal(err)
		}
		defer ast.Close()
		arch, _ := streams.NewArchive(ast, streams.DefaultConfig(), func() time.Time { return archiveSeeded.now })
		st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		es, _ := eventstore.New(eventstore.Config{Store: st})
		p, err := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}})
		if err != nil {
			b.Fatal(err)
		}
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		b.ResetTimer()
		cpu0 := cpuTime()
		var read int
		for range b.N {
			var scan streams.ScanReport
			rep, err := p.Rebuild(ctx, projection.RebuildOptions{View: true,
				Source: projection.Deduplicated(projection.ArchiveSource{Archive: arch, Report: &scan})})
			if err != nil {
				b.Fatal(err)
			}
			if rep.Events == 0 || scan.Records != archiveSeeded.count {
				b.Fatalf("rebuilt %d events of %d archived records read, %d archived", rep.Events, scan.Records, archiveSeeded.count)
			}
			read += scan.Records
		}
		b.StopTimer()
		cpu := cpuTime() - cpu0
		b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	})
}
