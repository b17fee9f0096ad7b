package orderview_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

// TestLegacyGenerationDeleted: a generation written before the partition
// registry existed (its registry is empty) is still counted and deleted
// whole: the order model lists its partitions from its orders.
func TestLegacyGenerationDeleted(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	st := memory.New(memory.Config{Now: clock.Now})
	es, _ := eventstore.New(eventstore.Config{Store: st, Now: clock.Now})
	evs := randomStream(rand.New(rand.NewPCG(5, 6)), 300, storetest.Epoch)
	for i := 0; i < len(evs); i += 5 {
		for _, err := range orderview.Ingest(ctx, es, evs[i:min(i+5, len(evs))]) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	p, _ := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}, Now: clock.Now, Keep: -1, Grace: -1})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	want, err := orderview.Dump(ctx, projection.GenerationReader(st, orderview.ProjectionName, "g1"))
	if err != nil || len(want) == 0 {
		t.Fatal(err)
	}
	// Forget the registry, as an old generation has none.
	reg, _ := st.Query(ctx, "proj-parts#orders#g1", "", 0)
	for _, it := range reg {
		if err := st.Delete(ctx, it.Key, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := projection.GenerationItems(ctx, st, orderview.Projection{}, "g1"); err != nil || n != len(want) {
		t.Fatalf("items of g1 = %d, %v; want %d", n, err, len(want))
	}
	clock.Advance(time.Second)
	rep, err := p.Rebuild(ctx, projection.RebuildOptions{})
	if err != nil || rep.Cleanup == nil || rep.Cleanup.Items != len(want) {
		t.Fatalf("rebuild = %+v (cleanup %+v), %v; want %d items deleted", rep, rep.Cleanup, err, len(want))
	}
	if left, err := orderview.Dump(ctx, projection.GenerationReader(st, orderview.ProjectionName, "g1")); err != nil || len(left) != 0 {
		t.Fatalf("g1 still holds %d items, %v", len(left), err)
	}
}
