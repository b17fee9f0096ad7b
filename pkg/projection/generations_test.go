package projection_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

// spread keeps one item per event in a partition per stream, and the
// number of events in totals/n: a model a reader reads with several
// queries, whole when the items add up to n.
type spread struct{}

func (spread) Name() string { return "spread" }

func (spread) Apply(ctx context.Context, v *projection.View, r eventstore.Record) error {
	v.Put(store.Key{Partition: "p#" + r.Stream, Sort: fmt.Sprintf("%06d", r.Version)}, []byte(r.Type))
	key := store.Key{Partition: "totals", Sort: "n"}
	b, _, err := v.Get(ctx, key)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(string(b))
	v.Put(key, []byte(strconv.Itoa(n+1)))
	return nil
}

const spreadStreams = 8

// readWhole reads a spread model through r and reports whether it is
// whole (the items add up to the total, which is want).
func readWhole(ctx context.Context, r *projection.Reader, want int) error {
	b, err := r.Get(ctx, store.Key{Partition: "totals", Sort: "n"})
	if err != nil {
		return fmt.Errorf("generation %s: total: %w", r.Generation, err)
	}
	items := 0
	for s := range spreadStreams {
		got, err := r.Query(ctx, fmt.Sprint("p#s", s), "", 0)
		if err != nil {
			return err
		}
		items += len(got)
	}
	if n, _ := strconv.Atoi(string(b)); n != want || items != want {
		return fmt.Errorf("generation %s: total %s, %d items, want %d", r.Generation, b, items, want)
	}
	return nil
}

type genFixture struct {
	clock *storetest.Clock
	st    *memory.Store
	es    *eventstore.EventStore
	n     int
}

func newGenFixture(t *testing.T, events int) *genFixture {
	t.Helper()
	f := &genFixture{clock: storetest.NewClock(), n: events}
	f.st = memory.New(memory.Config{Now: f.clock.Now})
	f.es, _ = eventstore.New(eventstore.Config{Store: f.st, Now: f.clock.Now})
	for i := range events {
		if _, err := f.es.Append(context.Background(), eventstore.AppendRequest{Stream: fmt.Sprint("s", i%spreadStreams), Expected: eventstore.Any,
			Events: []eventstore.Event{{Type: "t"}}}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *genFixture) projector(t *testing.T, cfg projection.Config) *projection.Projector {
	t.Helper()
	cfg.Events, cfg.Projection, cfg.Now = f.es, spread{}, f.clock.Now
	p, err := projection.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *genFixture) status(t *testing.T) projection.Status {
	t.Helper()
	sts, err := projection.Statuses(context.Background(), f.es, "spread")
	if err != nil || len(sts) != 1 {
		t.Fatalf("Statuses = %v, %v", sts, err)
	}
	if err := sts[0].CountItems(context.Background(), f.st, spread{}); err != nil {
		t.Fatal(err)
	}
	return sts[0]
}

func kept(s projection.Status) string {
	out := ""
	for _, g := range s.Kept {
		out += fmt.Sprintf("%s:%s:%d ", g.Generation, g.State, g.Items)
	}
	return out
}

// TestOldGenerationsDeleted: a rebuild keeps the generation it replaced
// (previous) and deletes the older ones once their grace period is over;
// within it, they stay.
func TestOldGenerationsDeleted(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, 100)
	p := f.projector(t, projection.Config{Grace: time.Minute})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	items := f.n + 1
	for i, want := range []string{
		"g2:live:101 g1:previous:101 ",
		"g3:live:101 g2:previous:101 g1:previous:101 ", // g1 within its grace
	} {
		rep, err := p.Rebuild(ctx, projection.RebuildOptions{})
		if err != nil || rep.CleanupError != "" || len(rep.Cleanup.Deleted) != 0 {
			t.Fatalf("rebuild %d = %+v, %v", i, rep, err)
		}
		if got := kept(f.status(t)); got != want {
			t.Fatalf("after rebuild %d: %s, want %s", i+1, got, want)
		}
	}
	f.clock.Advance(time.Minute)
	rep, err := p.Rebuild(ctx, projection.RebuildOptions{})
	if err != nil || fmt.Sprint(rep.Cleanup.Deleted) != "[g2 g1]" || rep.Cleanup.Items != 2*items {
		t.Fatalf("rebuild after the grace = %+v (cleanup %+v), %v", rep, rep.Cleanup, err)
	}
	if got, want := kept(f.status(t)), "g4:live:101 g3:previous:101 "; got != want {
		t.Fatalf("after the grace: %s, want %s", got, want)
	}
	// Nothing of g1 is left: items, registry, checkpoint.
	for _, part := range []string{"proj#spread#g1#totals", "proj#spread#g1#p#s3", "proj-parts#spread#g1"} {
		if left, _ := f.st.Query(ctx, part, "", 0); len(left) != 0 {
			t.Errorf("%s still holds %d items", part, len(left))
		}
	}
	if g := f.status(t).Generations; g["g1"] != 0 || len(g) != 2 {
		t.Errorf("checkpoints left: %v", g)
	}
	// Keep 0, grace 0 (negative): nothing superseded stays.
	p0 := f.projector(t, projection.Config{Keep: -1, Grace: -1})
	if _, err := p0.Rebuild(ctx, projection.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := kept(f.status(t)), "g5:live:101 "; got != want {
		t.Fatalf("keep none: %s, want %s", got, want)
	}
	// As-of views are never deleted.
	if _, err := p0.Rebuild(ctx, projection.RebuildOptions{AsOf: storetest.Epoch}); err != nil {
		t.Fatal(err)
	}
	if _, err := p0.Rebuild(ctx, projection.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := kept(f.status(t)), "g7:live:101 g6:view:101 "; got != want {
		t.Fatalf("with a view: %s, want %s", got, want)
	}
}

// failingStore fails deletes after its budget runs out: a cleanup that
// crashes in the middle.
type failingStore struct {
	*memory.Store
	budget atomic.Int64
}

var errCrash = errors.New("crash")

func (s *failingStore) Transact(ctx context.Context, ops []store.Op) error {
	if len(ops) > 0 && ops[0].Kind == store.OpDelete && s.budget.Add(-int64(len(ops))) < 0 {
		return errCrash
	}
	return s.Store.Transact(ctx, ops)
}

// TestInterruptedCleanupResumes: a cleanup that fails half-way through a
// generation, or stops at its item budget, is finished by the next one.
func TestInterruptedCleanupResumes(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, 300)
	fs := &failingStore{Store: f.st}
	fs.budget.Store(1 << 40)
	es, _ := eventstore.New(eventstore.Config{Store: fs, Now: f.clock.Now})
	p, _ := projection.New(projection.Config{Events: es, Projection: spread{}, Now: f.clock.Now, Keep: -1, Grace: -1, ManualCleanup: true, CleanupBatch: 7})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rebuild(ctx, projection.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	fs.budget.Store(100)
	if _, err := p.Cleanup(ctx, 0); !errors.Is(err, errCrash) {
		t.Fatalf("cleanup = %v, want the crash", err)
	}
	s := f.status(t)
	left := s.Kept[1].Items
	if s.Kept[1].State != projection.StateDeleting || left >= 301 || left < 160 {
		t.Fatalf("after the crash: %s", kept(s))
	}
	fs.budget.Store(1 << 40)
	// A bounded cleanup: 150 items, then the rest.
	rep, err := p.Cleanup(ctx, 150)
	if err != nil || rep.Done || rep.Items != 150 {
		t.Fatalf("bounded cleanup = %+v, %v", rep, err)
	}
	rep, err = p.Cleanup(ctx, 0)
	if err != nil || !rep.Done || rep.Items != left-150 || fmt.Sprint(rep.Deleted) != "[g1]" {
		t.Fatalf("resumed cleanup = %+v, %v", rep, err)
	}
	if got := kept(f.status(t)); got != "g2:live:301 " {
		t.Fatalf("after the resumed cleanup: %s", got)
	}
}

// TestReadersDuringSwitchSeeAWholeGeneration: readers that pick the
// active generation and then read it with many queries always see a whole
// model, while rebuilds switch generations and delete old ones under
// them; the previous generation a reader may still be reading is kept.
func TestReadersDuringSwitchSeeAWholeGeneration(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, 200)
	p := f.projector(t, projection.Config{Grace: time.Minute})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Deterministic: a reader picks g1, two switches happen, the second a
	// grace period later; g1 (the previous one at the first switch, past
	// its grace and beyond Keep at the second) goes only at the second.
	r1, _ := projection.NewReader(ctx, f.st, "spread")
	if _, err := p.Rebuild(ctx, projection.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := readWhole(ctx, r1, f.n); err != nil {
		t.Fatalf("reader of the previous generation: %v", err)
	}
	// Concurrent: readers in a loop while rebuilds switch generations
	// and the clock moves 30 s a rebuild. The guarantee: a read that began
	// (picked its generation) less than a grace period before it ended,
	// by the clock, saw a whole generation. (Reads here may "last" longer
	// on the fake clock, which moves much faster than they run; those may
	// see a generation being deleted and are only counted.)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var reads, outlived atomic.Int64
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := f.clock.Now()
				r, err := projection.NewReader(ctx, f.st, "spread")
				if err == nil {
					err = readWhole(ctx, r, f.n)
				}
				if err != nil && f.clock.Now().Sub(start) >= time.Minute {
					outlived.Add(1)
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	for range 5 {
		if rep, err := p.Rebuild(ctx, projection.RebuildOptions{}); err != nil || rep.CleanupError != "" {
			t.Fatalf("rebuild = %+v, %v", rep, err)
		}
		f.clock.Advance(30 * time.Second)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d whole reads, %d reads outlived the grace period", reads.Load(), outlived.Load())
	if reads.Load() == 0 {
		t.Error("no read happened")
	}
	// Only the live generation and the ones within the grace are left.
	if got := kept(f.status(t)); got != "g7:live:201 g6:previous:201 g5:previous:201 " {
		t.Errorf("after the switches: %s", got)
	}
}

// TestRollback switches back to the previous generation and forth again;
// with none kept it is refused.
func TestRollback(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, 20)
	p := f.projector(t, projection.Config{})
	if _, _, err := p.Rollback(ctx); !errors.Is(err, projection.ErrNoPrevious) {
		t.Fatalf("rollback with no previous = %v", err)
	}
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rebuild(ctx, projection.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	from, to, err := p.Rollback(ctx)
	if err != nil || from != "g2" || to != "g1" {
		t.Fatalf("rollback = %s -> %s, %v", from, to, err)
	}
	if got := kept(f.status(t)); got != "g2:previous:21 g1:live:21 " {
		t.Fatalf("after rollback: %s", got)
	}
	// The live projector goes on with the restored generation.
	if _, err := f.es.Append(ctx, eventstore.AppendRequest{Stream: "s1", Expected: eventstore.Any, Events: []eventstore.Event{{Type: "t"}}}); err != nil {
		t.Fatal(err)
	}
	if prog, err := p.CatchUp(ctx, 0); err != nil || prog.Generation != "g1" || prog.Applied != 1 {
		t.Fatalf("catch up after rollback = %+v, %v", prog, err)
	}
	if from, to, err = p.Rollback(ctx); err != nil || from != "g1" || to != "g2" {
		t.Fatalf("roll forth = %s -> %s, %v", from, to, err)
	}
}

// partFailing fails the transactions writing one partition.
type partFailing struct {
	*memory.Store
	part string
}

func (s partFailing) Transact(ctx context.Context, ops []store.Op) error {
	for _, op := range ops {
		if op.Kind == store.OpPut && op.Item.Key.Partition == s.part {
			return errCrash
		}
	}
	return s.Store.Transact(ctx, ops)
}

// TestFailedRebuildDeletesItsGeneration: a rebuild that fails after
// writing part of its generation deletes it; the live one is untouched.
func TestFailedRebuildDeletesItsGeneration(t *testing.T) {
	ctx := context.Background()
	f := newGenFixture(t, 300)
	p := f.projector(t, projection.Config{})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	es, _ := eventstore.New(eventstore.Config{Store: partFailing{f.st, "proj#spread#g2#p#s5"}, Now: f.clock.Now})
	bad, _ := projection.New(projection.Config{Events: es, Projection: spread{}, Now: f.clock.Now, Workers: 1})
	if _, err := bad.Rebuild(ctx, projection.RebuildOptions{}); !errors.Is(err, errCrash) {
		t.Fatalf("rebuild = %v, want the crash", err)
	}
	if got := kept(f.status(t)); got != "g1:live:301 " {
		t.Fatalf("after a failed rebuild: %s", got)
	}
	for _, part := range []string{"proj-parts#spread#g2", "proj#spread#g2#p#s0", "proj#spread#g2#totals"} {
		if left, _ := f.st.Query(ctx, part, "", 0); len(left) != 0 {
			t.Errorf("%s holds %d items after the failed rebuild", part, len(left))
		}
	}
	m, _ := projection.LoadMeta(ctx, f.st, "spread")
	if len(m.Deleting) != 0 || m.Active != "g1" || m.Next != 3 {
		t.Errorf("meta after a failed rebuild: %+v", m)
	}
}
