package projection_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// typeCounts counts events by type: the smallest read model.
type typeCounts struct{}

func (typeCounts) Name() string { return "type-counts" }

func (typeCounts) Apply(ctx context.Context, v *projection.View, r eventstore.Record) error {
	key := store.Key{Partition: "types", Sort: r.Type}
	b, _, err := v.Get(ctx, key)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(string(b))
	v.Put(key, []byte(strconv.Itoa(n+1)))
	return nil
}

// A projection kept up to date from the feed (CatchUp), then rebuilt from
// scratch into a new generation that readers switch to.
func Example() {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	es, _ := eventstore.New(eventstore.Config{Store: st})
	for i, typ := range []string{"created", "paid", "created"} {
		_, _ = es.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprint("s", i), Events: []eventstore.Event{{Type: typ}}})
	}
	p, _ := projection.New(projection.Config{Events: es, Projection: typeCounts{}})
	prog, _ := p.CatchUp(ctx, 0)
	fmt.Println(prog.Generation, prog.Position, prog.Applied)

	rep, _ := p.Rebuild(ctx, projection.RebuildOptions{})
	r, _ := projection.NewReader(ctx, st, "type-counts")
	items, _ := r.Query(ctx, "types", "", 0)
	fmt.Println(rep.Generation, rep.Events, r.Generation)
	for _, it := range items {
		fmt.Println(it.Key.Sort, string(it.Value))
	}
	// Output:
	// g1 3 3
	// g2 3 g2
	// created 2
	// paid 1
}

// Each rebuild keeps the generation it replaced (for readers mid-query and
// for Rollback) and deletes older ones once their grace period is over.
func ExampleProjector_Rollback() {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	es, _ := eventstore.New(eventstore.Config{Store: st})
	_, _ = es.Append(ctx, eventstore.AppendRequest{Stream: "s", Events: []eventstore.Event{{Type: "created"}}})
	// No grace period: only Keep (the previous generation) is kept.
	p, _ := projection.New(projection.Config{Events: es, Projection: typeCounts{}, Grace: -1})
	_, _ = p.CatchUp(ctx, 0)
	_, _ = p.Rebuild(ctx, projection.RebuildOptions{})
	rep, _ := p.Rebuild(ctx, projection.RebuildOptions{})
	fmt.Println(rep.Generation, "live; deleted", rep.Cleanup.Deleted, "kept", rep.Cleanup.Kept[0].Generation)

	from, to, _ := p.Rollback(ctx)
	fmt.Println(from, "->", to)
	// Output:
	// g3 live; deleted [g1] kept g2
	// g3 -> g2
}
