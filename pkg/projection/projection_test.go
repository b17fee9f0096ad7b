package projection_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func counts(t *testing.T, st store.Store, gen string) map[string]int {
	t.Helper()
	r := projection.GenerationReader(st, "type-counts", gen)
	items, err := r.Query(context.Background(), "types", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range items {
		out[it.Key.Sort], _ = strconv.Atoi(string(it.Value))
	}
	return out
}

// TestConcurrentCatchUpAppliesEachEventOnce: four projector instances (as
// four Lambda instances would) catch up on one feed at once, flushing every
// few items; every event is counted exactly once, the losers of each race
// getting ErrCheckpointMoved and reading again.
func TestConcurrentCatchUpAppliesEachEventOnce(t *testing.T) {
	stores := map[string]func(t *testing.T, now func() time.Time) store.Store{
		"memory": func(t *testing.T, now func() time.Time) store.Store { return memory.New(memory.Config{Now: now}) },
		"bolt": func(t *testing.T, now func() time.Time) store.Store {
			s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), Now: now, GroupCommit: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	if !testing.Short() {
		// DynamoDB on moto: the checkpoint's condition in TransactWriteItems.
		db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
		stores["dynamodb"] = func(t *testing.T, now func() time.Time) store.Store {
			return dynamotest.NewStore(t, db, dynamo.Config{Now: now})
		}
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := storetest.NewClock()
			st := newStore(t, clock.Now)
			es, _ := eventstore.New(eventstore.Config{Store: st, Now: clock.Now})
			n := 300
			if name == "dynamodb" {
				n = 60 // moto is slow; the races are the same
			}
			want := map[string]int{}
			for i := range n {
				typ := fmt.Sprintf("t%d", i%7)
				want[typ]++
				if _, err := es.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("s%d", i%13), Expected: eventstore.Any, Events: []eventstore.Event{{Type: typ}}}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			moved := make([]int, 4)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p, _ := projection.New(projection.Config{Events: es, Projection: typeCounts{}, FlushAt: 3})
					for {
						prog, err := p.CatchUp(ctx, 20)
						switch {
						case errors.Is(err, eventstore.ErrCheckpointMoved):
							moved[w]++
							continue
						case err != nil:
							t.Error(err)
							return
						case prog.Position == int64(n):
							return
						}
					}
				}()
			}
			wg.Wait()
			got := counts(t, st, projection.FirstGeneration)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("counts = %v, want %v", got, want)
			}
			t.Logf("checkpoint races lost: %v", moved)
			// A rebuild gives the same model.
			p, _ := projection.New(projection.Config{Events: es, Projection: typeCounts{}})
			rep, err := p.Rebuild(ctx, projection.RebuildOptions{})
			if err != nil || rep.Events != n {
				t.Fatalf("Rebuild = %+v, %v", rep, err)
			}
			if got := counts(t, st, rep.Generation); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("rebuilt counts = %v", got)
			}
			sts, err := projection.Statuses(ctx, es, "type-counts")
			if err != nil || len(sts) != 1 || sts[0].Active != rep.Generation || sts[0].Lag != 0 || len(sts[0].Generations) != 2 {
				t.Fatalf("Statuses = %+v, %v", sts, err)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	es, _ := eventstore.New(eventstore.Config{Store: memory.New(memory.Config{})})
	for _, cfg := range []projection.Config{
		{},
		{Events: es},
		{Events: es, Projection: typeCounts{}, FlushAt: store.MaxTransactOps},
		{Events: es, Projection: badName{}},
	} {
		if _, err := projection.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

type badName struct{ typeCounts }

func (badName) Name() string { return "no spaces" }

// TestRebuildFromAnArchiveSource: a rebuild from another source than the
// feed (an archive's records, with a repeat) gives the model the feed gives.
func TestRebuildFromAnArchiveSource(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	es, _ := eventstore.New(eventstore.Config{Store: st})
	var archive projection.SliceSource
	for i, typ := range []string{"a", "b", "a", "c"} {
		id := fmt.Sprint("ev-", i)
		res, err := es.Append(ctx, eventstore.AppendRequest{Stream: "s", Expected: eventstore.Any, Events: []eventstore.Event{{Type: typ, ID: id}}})
		if err != nil {
			t.Fatal(err)
		}
		archive = append(archive, eventstore.Record{Position: res.Last, Type: typ, ID: id, Stream: "s"})
		if i == 1 {
			archive = append(archive, eventstore.Record{Position: res.Last + 100, Type: typ, ID: id}) // delivered twice
		}
	}
	p, _ := projection.New(projection.Config{Events: es, Projection: typeCounts{}})
	fromFeed, err := p.Rebuild(ctx, projection.RebuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromArchive, err := p.Rebuild(ctx, projection.RebuildOptions{Source: projection.Deduplicated(archive), AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || fromArchive.Events != 4 {
		t.Fatalf("rebuild from the archive = %+v, %v", fromArchive, err)
	}
	if a, b := counts(t, st, fromFeed.Generation), counts(t, st, fromArchive.Generation); fmt.Sprint(a) != fmt.Sprint(b) || a["a"] != 2 {
		t.Fatalf("from the feed %v, from the archive %v", a, b)
	}
}
