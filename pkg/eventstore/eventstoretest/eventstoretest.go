// Package eventstoretest is the contract suite of the event store: the same
// tests run over every store.Store implementation (memory, bolt, DynamoDB
// on moto), so what the event store promises holds on each.
package eventstoretest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

// PageSize is the event store's page size in the suite: small, so that
// streams and the feed cross page boundaries with few events.
const PageSize = 10

// Run runs the suite; every subtest gets a fresh store from newStore.
func Run(t *testing.T, newStore storetest.NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, es *eventstore.EventStore, clock *storetest.Clock)
	}{
		{"AppendAndRead", testAppendAndRead},
		{"TwoWritersSameExpectedVersion", testTwoWriters},
		{"ConcurrentWritersOneWins", testConcurrentWriters},
		{"WrongExpectedVersion", testWrongExpected},
		{"GlobalFeedOrderAcrossConcurrentAppenders", testFeedOrder},
		{"PageBoundaries", testPages},
		{"AggregateSnapshots", testSnapshots},
		{"DuplicateIDs", testDuplicates},
		{"ExpectedAnyConcurrent", testAny},
		{"CheckpointsAndPoll", testCheckpoints},
		{"InvalidInput", testInvalid},
		{"AppendBatchAllOrNothing", testBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewClock()
			es, err := eventstore.New(eventstore.Config{Store: newStore(t, clock.Now), Now: clock.Now, PageSize: PageSize})
			if err != nil {
				t.Fatal(err)
			}
			tc.run(t, es, clock)
		})
	}
}

func ev(typ string, n int) eventstore.Event {
	return eventstore.Event{Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

func mustAppend(t *testing.T, es *eventstore.EventStore, stream string, expected int64, evs ...eventstore.Event) eventstore.Result {
	t.Helper()
	res, err := es.Append(context.Background(), eventstore.AppendRequest{Stream: stream, Expected: expected, Events: evs})
	if err != nil {
		t.Fatalf("Append(%s at %d): %v", stream, expected, err)
	}
	return res
}

func wantConflict(t *testing.T, err error) {
	t.Helper()
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) || faas.ErrorName(err) != eventstore.ErrNameConflict {
		t.Fatalf("err = %v (%s); want the named conflict %s", err, faas.ErrorName(err), eventstore.ErrNameConflict)
	}
}

func testAppendAndRead(t *testing.T, es *eventstore.EventStore, clock *storetest.Clock) {
	ctx := context.Background()
	res := mustAppend(t, es, "order-1", 0, ev("created", 1), ev("paid", 2))
	if res.Version != 2 || res.First != 1 || res.Last != 2 {
		t.Fatalf("first append = %+v", res)
	}
	clock.Advance(time.Second)
	res = mustAppend(t, es, "order-1", 2, ev("shipped", 3))
	if res.Version != 3 || res.First != 3 || res.Last != 3 {
		t.Fatalf("second append = %+v", res)
	}
	recs, err := es.ReadStream(ctx, "order-1", 1, 0)
	if err != nil || len(recs) != 3 {
		t.Fatalf("ReadStream = %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Version != int64(i+1) || r.Position != int64(i+1) || r.Stream != "order-1" || string(r.Data) != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Fatalf("record %d = %+v", i, r)
		}
	}
	if !recs[2].Recorded.Equal(storetest.Epoch.Add(time.Second)) || !recs[2].Time.Equal(recs[2].Recorded) {
		t.Fatalf("times of the third = %v, %v", recs[2].Time, recs[2].Recorded)
	}
	from2, err := es.ReadStream(ctx, "order-1", 2, 1)
	if err != nil || len(from2) != 1 || from2[0].Version != 2 {
		t.Fatalf("ReadStream(from 2, max 1) = %+v, %v", from2, err)
	}
	if v, err := es.Version(ctx, "order-1"); err != nil || v != 3 {
		t.Fatalf("Version = %d, %v", v, err)
	}
	if v, err := es.Version(ctx, "nothing"); err != nil || v != 0 {
		t.Fatalf("Version of a new stream = %d, %v", v, err)
	}
	if recs, err := es.ReadStream(ctx, "nothing", 1, 0); err != nil || len(recs) != 0 {
		t.Fatalf("ReadStream of a new stream = %v, %v", recs, err)
	}
	if h, err := es.Head(ctx); err != nil || h != 3 {
		t.Fatalf("Head = %d, %v", h, err)
	}
}

// testTwoWriters is the proof: two writers load the stream at the
// same version and append; one wins, one gets EventStore.Conflict, and the
// stream holds the winner's event only.
func testTwoWriters(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	mustAppend(t, es, "acct", 0, ev("opened", 0))
	a, errA := es.Append(ctx, eventstore.AppendRequest{Stream: "acct", Expected: 1, Events: []eventstore.Event{ev("deposited", 1)}})
	_, errB := es.Append(ctx, eventstore.AppendRequest{Stream: "acct", Expected: 1, Events: []eventstore.Event{ev("withdrawn", 2)}})
	if errA != nil || a.Version != 2 {
		t.Fatalf("first writer: %+v, %v", a, errA)
	}
	wantConflict(t, errB)
	recs, _ := es.ReadStream(ctx, "acct", 1, 0)
	if len(recs) != 2 || recs[1].Type != "deposited" {
		t.Fatalf("stream = %+v", recs)
	}
	if h, _ := es.Head(ctx); h != 2 {
		t.Fatalf("feed head = %d: the loser took a position", h)
	}
}

func testConcurrentWriters(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	mustAppend(t, es, "acct", 0, ev("opened", 0))
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = es.Append(ctx, eventstore.AppendRequest{Stream: "acct", Expected: 1, Events: []eventstore.Event{ev("w", i), ev("w2", i)}})
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		wantConflict(t, err)
	}
	if won != 1 {
		t.Fatalf("%d writers won at the same expected version, want 1 (errors %v)", won, errs)
	}
	if v, _ := es.Version(ctx, "acct"); v != 3 {
		t.Fatalf("version = %d, want 3", v)
	}
	recs, _ := es.ReadFeed(ctx, 0, 0)
	if len(recs) != 3 || recs[1].Data == nil || string(recs[1].Data) != string(recs[2].Data) {
		t.Fatalf("feed = %+v: want the opener and one writer's two events", recs)
	}
}

func testWrongExpected(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	mustAppend(t, es, "s", 0, ev("a", 1), ev("b", 2))
	for _, expected := range []int64{0, 1, 3, 10} {
		_, err := es.Append(ctx, eventstore.AppendRequest{Stream: "s", Expected: expected, Events: []eventstore.Event{ev("x", 0)}})
		wantConflict(t, err)
	}
	_, err := es.Append(ctx, eventstore.AppendRequest{Stream: "new", Expected: 1, Events: []eventstore.Event{ev("x", 0)}})
	wantConflict(t, err)
	if v, _ := es.Version(ctx, "s"); v != 2 {
		t.Fatalf("version = %d after refused appends", v)
	}
}

// testFeedOrder: appenders on different streams race for positions; the
// feed is gapless, every event is in it once, and each stream's events are
// in version order.
func testFeedOrder(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	const appenders, appends = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, appenders)
	for a := range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("s-%d", a)
			for i := range appends {
				if _, err := es.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: int64(2 * i), Events: []eventstore.Event{ev("x", 2*i), ev("y", 2*i+1)}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	recs, err := es.ReadFeed(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != appenders*appends*2 {
		t.Fatalf("feed has %d events, want %d", len(recs), appenders*appends*2)
	}
	last := map[string]int64{}
	for i, r := range recs {
		if r.Position != int64(i+1) {
			t.Fatalf("feed[%d] has position %d: not gapless", i, r.Position)
		}
		if r.Version != last[r.Stream]+1 {
			t.Fatalf("feed[%d]: %s v%d after v%d", i, r.Stream, r.Version, last[r.Stream])
		}
		last[r.Stream] = r.Version
		if i%2 == 1 && recs[i-1].Stream != r.Stream {
			t.Fatalf("an append's two events are not adjacent in the feed: %d %s, %d %s", i-1, recs[i-1].Stream, i, r.Stream)
		}
	}
	after, err := es.ReadFeed(ctx, 17, 5)
	if err != nil || len(after) != 5 || after[0].Position != 18 {
		t.Fatalf("ReadFeed(after 17, max 5) = %d records from %v, %v", len(after), after, err)
	}
}

func testPages(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	n := 3*PageSize + eventstore.MaxAppend + 3
	var version int64
	for version < int64(n) {
		k := min(eventstore.MaxAppend, n-int(version))
		evs := make([]eventstore.Event, k)
		for i := range evs {
			evs[i] = ev("e", int(version)+i+1)
		}
		version = mustAppend(t, es, "long", version, evs...).Version
	}
	for _, from := range []int64{1, PageSize - 1, PageSize, PageSize + 1, 2*PageSize + 1, int64(n)} {
		recs, err := es.ReadStream(ctx, "long", from, 0)
		if err != nil || int64(len(recs)) != int64(n)-from+1 || recs[0].Version != from || recs[len(recs)-1].Version != int64(n) {
			t.Fatalf("ReadStream(from %d): %d records, %v", from, len(recs), err)
		}
		feed, err := es.ReadFeed(ctx, from-1, 3)
		if err != nil || len(feed) != min(3, n-int(from)+1) || feed[0].Position != from {
			t.Fatalf("ReadFeed(after %d): %+v, %v", from-1, feed, err)
		}
	}
	if recs, err := es.ReadStream(ctx, "long", int64(n)+1, 0); err != nil || len(recs) != 0 {
		t.Fatalf("ReadStream past the end: %d, %v", len(recs), err)
	}
}

// counter is a tiny aggregate: its state is a sum.
type counter struct {
	Sum     int `json:"sum"`
	Applied int `json:"applied"`
}

func counterAggregate(es *eventstore.EventStore) eventstore.Aggregate[counter] {
	return eventstore.Aggregate[counter]{Events: es, SnapshotEvery: 5, Apply: func(c counter, r eventstore.Record) (counter, error) {
		var d struct{ N int }
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return c, err
		}
		c.Sum += d.N
		c.Applied++
		return c, nil
	}}
}

func testSnapshots(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	agg := counterAggregate(es)
	for i := 1; i <= 12; i++ {
		if _, err := agg.Execute(ctx, "c", func(c counter) ([]eventstore.Event, error) {
			return []eventstore.Event{ev("added", i)}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	snap, ok, err := es.LoadSnapshot(ctx, "c")
	if err != nil || !ok || snap.Version != 10 {
		t.Fatalf("snapshot = %+v, %v, %v; want one at version 10", snap, ok, err)
	}
	var st counter
	if err := json.Unmarshal(snap.State, &st); err != nil || st.Sum != 55 || st.Applied != 10 {
		t.Fatalf("snapshot state = %s", snap.State)
	}
	got, v, err := agg.Load(ctx, "c")
	if err != nil || v != 12 || got.Sum != 78 {
		t.Fatalf("Load = %+v v%d, %v; want sum 78 at 12", got, v, err)
	}
	// Load starts from the snapshot: it applied only the two events after it.
	if got.Applied != 12 {
		t.Fatalf("applied = %d", got.Applied)
	}
	// An append of several events that passes a multiple snapshots too.
	if _, err := agg.Execute(ctx, "c", func(counter) ([]eventstore.Event, error) {
		return []eventstore.Event{ev("added", 0), ev("added", 0), ev("added", 0), ev("added", 0)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if snap, _, _ := es.LoadSnapshot(ctx, "c"); snap.Version != 16 {
		t.Fatalf("snapshot after 12->16 at %d", snap.Version)
	}
	// A stale command is a conflict.
	stale := eventstore.Aggregate[counter]{Events: es, Apply: agg.Apply}
	_, err = es.Append(ctx, eventstore.AppendRequest{Stream: "c", Expected: 12, Events: []eventstore.Event{ev("added", 1)}})
	wantConflict(t, err)
	if _, v, _ := stale.Load(ctx, "c"); v != 16 {
		t.Fatalf("version without snapshots = %d", v)
	}
	// No events, no write.
	if res, err := agg.Execute(ctx, "c", func(counter) ([]eventstore.Event, error) { return nil, nil }); err != nil || res.Version != 16 {
		t.Fatalf("empty command = %+v, %v", res, err)
	}
}

func testDuplicates(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	e := ev("x", 1)
	e.ID = "evt-1"
	mustAppend(t, es, "a", 0, e)
	other := ev("y", 2)
	_, err := es.Append(ctx, eventstore.AppendRequest{Stream: "b", Expected: 0, Events: []eventstore.Event{other, e}})
	var de *eventstore.DuplicateError
	if !errors.As(err, &de) || len(de.IDs) != 1 || de.IDs[0] != "evt-1" || faas.ErrorName(err) != eventstore.ErrNameDuplicate {
		t.Fatalf("err = %v, want a duplicate of evt-1", err)
	}
	if v, _ := es.Version(ctx, "b"); v != 0 {
		t.Fatalf("b has version %d: a refused append wrote", v)
	}
	if h, _ := es.Head(ctx); h != 1 {
		t.Fatalf("head = %d", h)
	}
}

func testAny(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	const writers = 5
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = es.Append(ctx, eventstore.AppendRequest{Stream: "any", Expected: eventstore.Any, Events: []eventstore.Event{ev("x", i)}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := es.ReadStream(ctx, "any", 1, 0)
	if err != nil || len(recs) != writers {
		t.Fatalf("stream has %d events, %v", len(recs), err)
	}
	seen := map[string]bool{}
	for i, r := range recs {
		if r.Version != int64(i+1) || seen[string(r.Data)] {
			t.Fatalf("record %d = %+v", i, r)
		}
		seen[string(r.Data)] = true
	}
}

func testCheckpoints(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	for i := range 5 {
		mustAppend(t, es, fmt.Sprintf("s%d", i), 0, ev("x", i))
	}
	var got []int64
	handle := func(_ context.Context, rs []eventstore.Record) error {
		for _, r := range rs {
			got = append(got, r.Position)
		}
		return nil
	}
	if n, err := es.Poll(ctx, "sub", 3, handle); err != nil || n != 3 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	boom := errors.New("boom")
	if _, err := es.Poll(ctx, "sub", 0, func(context.Context, []eventstore.Record) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing handler: %v", err)
	}
	if n, err := es.Poll(ctx, "sub", 0, handle); err != nil || n != 2 {
		t.Fatalf("second Poll = %d, %v", n, err)
	}
	if n, err := es.Poll(ctx, "sub", 0, handle); err != nil || n != 0 {
		t.Fatalf("Poll at the end = %d, %v", n, err)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Fatalf("handled %v", got)
	}
	cp, err := es.LoadCheckpoint(ctx, "sub")
	if err != nil || cp.Position != 5 {
		t.Fatalf("checkpoint = %+v, %v", cp, err)
	}
	// Another instance moved it: a stale save is refused.
	if _, err := es.SaveCheckpoint(ctx, cp, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := es.SaveCheckpoint(ctx, cp, 4); !errors.Is(err, eventstore.ErrCheckpointMoved) {
		t.Fatalf("stale save: %v", err)
	}
	cps, err := es.Checkpoints(ctx)
	if err != nil || len(cps) != 1 || cps[0].Name != "sub" || cps[0].Position != 5 {
		t.Fatalf("Checkpoints = %+v, %v", cps, err)
	}
}

func testInvalid(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	many := make([]eventstore.Event, eventstore.MaxAppend+1)
	for i := range many {
		many[i] = ev("x", i)
	}
	long := make([]byte, eventstore.MaxStreamID+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, req := range []eventstore.AppendRequest{
		{Stream: "", Events: []eventstore.Event{ev("x", 1)}},
		{Stream: "a#b", Events: []eventstore.Event{ev("x", 1)}},
		{Stream: "a\nb", Events: []eventstore.Event{ev("x", 1)}},
		{Stream: string(long), Events: []eventstore.Event{ev("x", 1)}},
		{Stream: "s"},
		{Stream: "s", Events: many},
		{Stream: "s", Events: []eventstore.Event{{Type: ""}}},
		{Stream: "s", Events: []eventstore.Event{{Type: "x", Data: json.RawMessage(`{`)}}},
		{Stream: "s", Events: []eventstore.Event{{Type: "x", ID: "i"}, {Type: "y", ID: "i"}}},
		{Stream: "s", Expected: -2, Events: []eventstore.Event{ev("x", 1)}},
		{Stream: "s", Events: []eventstore.Event{ev("x", 1)}, Snapshot: &eventstore.Snapshot{Version: 7, State: json.RawMessage(`{}`)}},
	} {
		_, err := es.Append(ctx, req)
		if !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("Append(%.40q, %d events, expected %d) = %v; want ErrInvalid", req.Stream, len(req.Events), req.Expected, err)
		}
	}
	if h, _ := es.Head(ctx); h != 0 {
		t.Fatalf("invalid appends wrote: head %d", h)
	}
	if _, err := es.ReadFeed(ctx, -1, 0); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("ReadFeed(-1) = %v", err)
	}
	if _, err := es.LoadCheckpoint(ctx, ""); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("LoadCheckpoint(\"\") = %v", err)
	}
}

// testBatch: appends to several streams in one transaction land together,
// with consecutive positions, or not at all.
func testBatch(t *testing.T, es *eventstore.EventStore, _ *storetest.Clock) {
	ctx := context.Background()
	mustAppend(t, es, "a", 0, ev("x", 1))
	res, err := es.AppendBatch(ctx, []eventstore.AppendRequest{
		{Stream: "a", Expected: 1, Events: []eventstore.Event{ev("y", 2)}},
		{Stream: "b", Expected: eventstore.Any, Events: []eventstore.Event{ev("z", 3), ev("z", 4)}},
	})
	if err != nil || len(res) != 2 || res[0].Version != 2 || res[0].First != 2 || res[1].Version != 2 || res[1].First != 3 || res[1].Last != 4 {
		t.Fatalf("AppendBatch = %+v, %v", res, err)
	}
	_, err = es.AppendBatch(ctx, []eventstore.AppendRequest{
		{Stream: "c", Expected: 0, Events: []eventstore.Event{ev("new", 5)}},
		{Stream: "a", Expected: 1, Events: []eventstore.Event{ev("stale", 6)}},
	})
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Stream != "a" {
		t.Fatalf("batch with a stale stream: %v", err)
	}
	if v, _ := es.Version(ctx, "c"); v != 0 {
		t.Fatalf("c has version %d: half a batch was written", v)
	}
	if _, err := es.AppendBatch(ctx, []eventstore.AppendRequest{
		{Stream: "d", Events: []eventstore.Event{ev("x", 1)}}, {Stream: "d", Events: []eventstore.Event{ev("x", 1)}},
	}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("two requests on one stream: %v", err)
	}
	if h, _ := es.Head(ctx); h != 4 {
		t.Fatalf("head = %d", h)
	}
}
