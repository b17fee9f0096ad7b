package orderview_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

// withoutPositions drops each order's feed position: a model rebuilt from
// the archive numbers events by their place in the archive, not the feed.
func withoutPositions(t *testing.T, m map[string]string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(m))
	for k, v := range m {
		var o map[string]any
		if err := json.Unmarshal([]byte(v), &o); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		delete(o, "position")
		b, _ := json.Marshal(o)
		out[k] = string(b)
	}
	return out
}

// TestRebuildFromArchiveEqualsLive: 10,000 random saga events (reordered,
// some delivered twice) are archived as the bus publishes them and
// projected live by the order-query function; the order model rebuilt
// from the archive (streamed, deduplicated by event id) equals the live
// one, and rebuilt from the archive up to T equals the live model at T.
func TestRebuildFromArchiveEqualsLive(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	st := memory.New(memory.Config{Now: clock.Now})
	es, err := eventstore.New(eventstore.Config{Store: st, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	arch, err := streams.NewArchive(memory.New(memory.Config{Now: clock.Now}), streams.DefaultConfig(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := orderview.NewFunction(orderview.Config{Events: es, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(15, 4))
	stream := randomStream(r, 10_000, storetest.Epoch.Add(-time.Hour))
	var seq uint64
	var asOf time.Time
	var liveAtT map[string]string
	for i := 0; i < len(stream); {
		n := min(1+r.IntN(10), len(stream)-i)
		batch := stream[i : i+n]
		var recs []streams.Record
		for _, e := range batch {
			seq++
			recs = append(recs, streams.Record{Stream: "system", ArchivedAt: clock.Now(), Seq: seq, Event: e})
		}
		if err := arch.Write(ctx, recs); err != nil {
			t.Fatal(err)
		}
		for j, res := range fn.Batch(ctx, batch) {
			if res.Err != nil {
				t.Fatalf("event %s: %v", batch[j].ID(), res.Err)
			}
		}
		i += n
		clock.Advance(100 * time.Millisecond)
		if asOf.IsZero() && i >= len(stream)/2 {
			asOf = clock.Now()
			rd, err := projection.NewReader(ctx, st, orderview.ProjectionName)
			if err != nil {
				t.Fatal(err)
			}
			liveAtT = withoutPositions(t, dump(t, rd))
		}
	}
	live, err := projection.NewReader(ctx, st, orderview.ProjectionName)
	if err != nil {
		t.Fatal(err)
	}
	liveFinal := withoutPositions(t, dump(t, live))
	head, _ := es.Head(ctx)

	p, err := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var scan streams.ScanReport
	src := projection.Deduplicated(projection.ArchiveSource{Archive: arch, Options: streams.ScanOptions{Batch: 500}, Report: &scan})
	rep, err := p.Rebuild(ctx, projection.RebuildOptions{Source: src, View: true})
	if err != nil || rep.Activated || rep.Position != head || int64(rep.Events) != head || scan.Records != len(stream) {
		t.Fatalf("Rebuild from the archive = %+v (scan %+v), %v; feed head %d, %d archived", rep, scan, err, head, len(stream))
	}
	sameModel(t, "rebuilt from the archive", withoutPositions(t, dump(t, projection.GenerationReader(st, orderview.ProjectionName, rep.Generation))), liveFinal)

	past, err := p.Rebuild(ctx, projection.RebuildOptions{Source: projection.Deduplicated(projection.ArchiveSource{Archive: arch, Filter: streams.Filter{To: asOf}}), View: true})
	if err != nil || past.Events == 0 || past.Events >= rep.Events {
		t.Fatalf("Rebuild from the archive up to %v = %+v, %v", asOf, past, err)
	}
	sameModel(t, "rebuilt from the archive up to T", withoutPositions(t, dump(t, projection.GenerationReader(st, orderview.ProjectionName, past.Generation))), liveAtT)

	// Without deduplication the redeliveries count twice: the wrapper is
	// what makes the archive a faithful source.
	raw, err := p.Rebuild(ctx, projection.RebuildOptions{Source: projection.ArchiveSource{Archive: arch}, View: true})
	if err != nil || raw.Events != len(stream) || raw.Events == rep.Events {
		t.Fatalf("Rebuild from the raw archive = %+v, %v (%d archived, %d distinct)", raw, err, len(stream), rep.Events)
	}
}
