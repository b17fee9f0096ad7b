package streams_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

// TestScanEqualsQuery: a streaming scan returns what Query returns, in the
// same order, for dense bursts (many records in one nanosecond, many in
// one bucket) and sparse stretches across days and streams, whatever the
// batch size.
func TestScanEqualsQuery(t *testing.T) {
	clk := clock.NewFake(t0.Add(10 * 24 * time.Hour))
	st := memory.New(memory.Config{Now: clk.Now})
	arch, err := streams.NewArchive(st, streams.DefaultConfig(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	types := []string{"dev.cogniforge.saga.started", "dev.cogniforge.request.completed", "dev.cogniforge.secret.rotated"}
	var recs []streams.Record
	at := t0.Add(-12 * time.Hour)
	var seq uint64
	for i := range 3000 {
		switch r.IntN(10) {
		case 0:
			at = at.Add(time.Duration(r.IntN(20)) * time.Hour) // sparse
		case 1, 2:
			// same instant: a burst
		default:
			at = at.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
		}
		seq++
		typ := types[r.IntN(len(types))]
		recs = append(recs, streams.Record{Stream: arch.Streams().StreamFor(typ).Name, ArchivedAt: at, Seq: seq, Event: event(fmt.Sprintf("e%d-%d", i%50, i), typ)})
	}
	if err := arch.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// One corrupt record.
	bad := store.Item{Key: store.Key{Partition: streams.PartitionPrefix + "system#" + at.UTC().Format("20060102"), Sort: "garbage"}, Value: []byte("{")}
	if _, err := st.Put(context.Background(), bad, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	filters := []streams.Filter{
		{},
		{Streams: []string{"system"}},
		{Types: []string{"dev.cogniforge.request.completed"}},
		{From: t0, To: t0.Add(3 * 24 * time.Hour)},
		{From: t0.Add(time.Hour), Streams: []string{"api", "system"}},
		{CorrelationID: "c-e7"},
	}
	for i, f := range filters {
		want, err := arch.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 100, 5000} {
			var got []streams.Record
			rep, err := arch.Scan(context.Background(), f, streams.ScanOptions{Batch: batch}, func(rs []streams.Record) (bool, error) {
				if batch > 1 && len(rs) > 6*batch && !rs[0].ArchivedAt.Equal(rs[len(rs)-1].ArchivedAt) {
					t.Errorf("filter %d batch %d: %d records in one call (3 streams, 2 days at most)", i, batch, len(rs))
				}
				got = append(got, rs...)
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want.Records) || rep.Records != len(got) {
				t.Fatalf("filter %d batch %d: %d records (report %d), Query %d", i, batch, len(got), rep.Records, len(want.Records))
			}
			for j := range got {
				if got[j].Event.ID() != want.Records[j].Event.ID() || got[j].Seq != want.Records[j].Seq {
					t.Fatalf("filter %d batch %d: record %d is %s/%d, Query's %s/%d", i, batch, j, got[j].Event.ID(), got[j].Seq, want.Records[j].Event.ID(), want.Records[j].Seq)
				}
			}
			if len(rep.Corrupt) != len(want.Corrupt) {
				t.Errorf("filter %d batch %d: %d corrupt, Query %d", i, batch, len(rep.Corrupt), len(want.Corrupt))
			}
		}
	}
	// Stopping early.
	n := 0
	if _, err := arch.Scan(context.Background(), streams.Filter{}, streams.ScanOptions{Batch: 10}, func(rs []streams.Record) (bool, error) {
		n++
		return false, nil
	}); err != nil || n != 1 {
		t.Errorf("stop: %d calls, %v", n, err)
	}
	// Bad input is refused as Query refuses it.
	if _, err := arch.Scan(context.Background(), streams.Filter{Streams: []string{"nope"}}, streams.ScanOptions{}, nil); err == nil {
		t.Error("unknown stream: no error")
	}
}
