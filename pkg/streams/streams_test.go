package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func event(id, typ string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("//test")
	e.SetType(typ)
	e.SetSubject("s-" + id)
	e.SetExtension("correlationid", "c-"+strings.Split(id, "-")[0])
	_ = e.SetData(cloudevents.ApplicationJSON, map[string]string{"id": id})
	return e
}

type fixture struct {
	clk   *clock.Fake
	st    *memory.Store
	arch  *streams.Archive
	bus   *bustest.Recorder
	archv *streams.Archiver
	stop  func()
}

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(t0), bus: &bustest.Recorder{}}
	if st == nil {
		f.st = memory.New(memory.Config{Now: f.clk.Now})
		st = f.st
	}
	var err error
	f.arch, err = streams.NewArchive(st, streams.DefaultConfig(), f.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.archv, err = streams.NewArchiver(streams.ArchiverConfig{Next: f.bus, Archive: f.arch, Clock: f.clk, RetryDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.archv.Run(ctx); close(done) }()
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	return f
}

// publish publishes one event per id at the clock's time, then moves the
// clock a second.
func (f *fixture) publish(t *testing.T, typ string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		res, err := f.archv.Publish(context.Background(), []cloudevents.Event{event(id, typ)})
		if err != nil || res[0] != nil {
			t.Fatalf("publish %s: %v %v", id, err, res)
		}
		f.clk.Advance(time.Second)
	}
	if err := f.archv.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func ids(recs []streams.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Event.ID()
	}
	return out
}

func TestArchiveQueryByFilter(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(t, "dev.cogniforge.request.completed.v1", "a-1", "a-2")
	f.publish(t, "dev.cogniforge.saga.started.v1", "b-1")
	f.publish(t, "dev.cogniforge.audit.recorded.v1", "c-1")
	f.publish(t, "dev.cogniforge.request.completed.v1", "a-3")
	ctx := context.Background()
	tests := []struct {
		name string
		f    streams.Filter
		want string
	}{
		{"everything, oldest first across streams", streams.Filter{}, "a-1 a-2 b-1 c-1 a-3"},
		{"stream", streams.Filter{Streams: []string{"api"}}, "a-1 a-2 a-3"},
		{"type finds its stream", streams.Filter{Types: []string{"dev.cogniforge.audit.recorded.v1"}}, "c-1"},
		{"subject", streams.Filter{Subject: "s-a-2"}, "a-2"},
		{"correlation", streams.Filter{CorrelationID: "c-b"}, "b-1"},
		{"range [from, to)", streams.Filter{From: t0.Add(time.Second), To: t0.Add(3 * time.Second)}, "a-2 b-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.arch.Query(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ids(res.Records), " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := f.archv.Stats(); got.Archived != 5 || got.WriteFailed != 0 || got.Overflow != 0 {
		t.Errorf("stats %+v", got)
	}
}

func TestArchiveBadInput(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.arch.Query(context.Background(), streams.Filter{Streams: []string{"nope"}})
	if !errors.Is(err, streams.ErrUnknownStream) {
		t.Errorf("unknown stream: %v", err)
	}
	_, err = f.arch.Query(context.Background(), streams.Filter{From: t0, To: t0.Add(-time.Hour)})
	if !errors.Is(err, streams.ErrInvertedRange) {
		t.Errorf("inverted: %v", err)
	}
	_, err = f.arch.Replay(context.Background(), streams.ReplayRequest{ID: "r"}, f.bus)
	if !errors.Is(err, streams.ErrEmptyReplay) {
		t.Errorf("empty replay: %v", err)
	}
}

// Expired events are gone after their stream's retention: api 7 days,
// security 30 days.
func TestRetention(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(t, "dev.cogniforge.request.completed.v1", "a-1")
	f.publish(t, "dev.cogniforge.audit.recorded.v1", "c-1")
	f.publish(t, "dev.cogniforge.saga.started.v1", "b-1")
	count := func() string {
		res, err := f.arch.Query(context.Background(), streams.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(ids(res.Records), " ")
	}
	day := 24 * time.Hour
	steps := []struct {
		at   time.Time
		want string
	}{
		{t0.Add(7*day - 1), "a-1 c-1 b-1"},
		{t0.Add(7 * day), "c-1 b-1"},            // a-1 at t0 + 7 days (api)
		{t0.Add(14*day + 2*time.Second), "c-1"}, // b-1 at t0+2s + 14 days (system)
		{t0.Add(30*day + time.Second), ""},      // c-1 at t0+1s + 30 days (security)
	}
	for _, s := range steps {
		f.clk.AdvanceTo(s.at)
		if got := count(); got != s.want {
			t.Errorf("at %s: %q, want %q", s.at, got, s.want)
		}
	}
	if n, _ := f.st.Sweep(context.Background()); n != 3 {
		t.Errorf("swept %d, want 3", n)
	}
}

// consumer is an idempotent function: a side effect per event id, guarded
// by pkg/idempotency.
type consumer struct {
	mu      sync.Mutex
	effects []string
	handler faas.Handler
}

func newConsumer(t *testing.T, st store.Store, now func() time.Time) *consumer {
	c := &consumer{}
	mw, err := idempotency.Middleware(idempotency.Config{Store: st, Namespace: "consumer", Now: now, ExpiresAfter: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c.handler = mw(func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.effects = append(c.effects, e.ID())
		return nil, nil
	})
	return c
}

// Publish delivers each event to the handler in order, as a target.
func (c *consumer) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	out := make([]error, len(evs))
	for i, e := range evs {
		_, out[i] = c.handler(ctx, e)
	}
	return out, nil
}

func TestReplayRangeInOrderAndIdempotent(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(t, "dev.cogniforge.request.completed.v1", "a-1", "a-2", "a-3", "a-4", "a-5", "a-6")
	ctx := context.Background()
	rec := &bustest.Recorder{}
	req := streams.ReplayRequest{ID: "r1", Filter: streams.Filter{Streams: []string{"api"}, From: t0.Add(time.Second), To: t0.Add(5 * time.Second)}, BatchSize: 3}
	rep, err := f.arch.Replay(ctx, req, rec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rec.Events() {
		got = append(got, e.ID())
		if r, _ := e.Extensions()[streams.ReplayedExtension].(bool); !r || e.Extensions()[streams.ReplayIDExtension] != "r1" {
			t.Errorf("%s has no replay marker: %v", e.ID(), e.Extensions())
		}
	}
	if strings.Join(got, " ") != "a-2 a-3 a-4 a-5" || rep.Selected != 4 || rep.Delivered != 4 {
		t.Fatalf("replayed %v, report %+v", got, rep)
	}

	// The consumer saw the events live; two replays change nothing.
	c := newConsumer(t, f.st, f.clk.Now)
	for _, r := range []string{"a-1", "a-2", "a-3", "a-4", "a-5", "a-6"} {
		_, _ = c.Publish(ctx, []cloudevents.Event{event(r, "dev.cogniforge.request.completed.v1")})
	}
	for _, id := range []string{"r2", "r3"} {
		req.ID = id
		rep, err := f.arch.Replay(ctx, req, c)
		if err != nil || rep.Delivered != 4 || rep.Failed != 0 {
			t.Fatalf("replay %s: %+v %v", id, rep, err)
		}
	}
	if len(c.effects) != 6 {
		t.Errorf("effects %v, want each event once", c.effects)
	}
	// Replayed events are not archived again.
	res, _ := f.arch.Query(ctx, streams.Filter{Streams: []string{"api"}})
	before := len(res.Records)
	if _, err := f.archv.Publish(ctx, []cloudevents.Event{streams.Marked(event("a-1", "dev.cogniforge.request.completed.v1"), "r4")}); err != nil {
		t.Fatal(err)
	}
	_ = f.archv.Flush(ctx)
	res, _ = f.arch.Query(ctx, streams.Filter{Streams: []string{"api"}})
	if len(res.Records) != before {
		t.Errorf("a replayed event was archived")
	}
}

func TestCorruptRecordSkipped(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(t, "dev.cogniforge.saga.started.v1", "b-1", "b-2", "b-3")
	ctx := context.Background()
	res, _ := f.arch.Query(ctx, streams.Filter{})
	bad := res.Records[1].Key()
	if _, err := f.st.Put(ctx, store.Item{Key: bad, Value: []byte(`{"event":{"specversion":"1.0","id":`)}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	rec := &bustest.Recorder{}
	rep, err := f.arch.Replay(ctx, streams.ReplayRequest{ID: "r", Filter: streams.Filter{Streams: []string{"system"}}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Delivered != 2 || len(rep.Corrupt) != 1 || rep.Corrupt[0].Key != bad {
		t.Errorf("report %+v", rep)
	}
}

// flaky fails its first n transactions.
type flaky struct {
	store.Store
	mu sync.Mutex
	n  int
}

func (s *flaky) Transact(ctx context.Context, ops []store.Op) error {
	s.mu.Lock()
	fail := s.n > 0
	s.n--
	s.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return s.Store.Transact(ctx, ops)
}

func TestWriteRetriedThenCounted(t *testing.T) {
	clk := clock.NewFake(t0)
	mem := memory.New(memory.Config{Now: clk.Now})
	st := &flaky{Store: mem, n: 2}
	arch, _ := streams.NewArchive(st, streams.DefaultConfig(), clk.Now)
	rec := &bustest.Recorder{}
	a, err := streams.NewArchiver(streams.ArchiverConfig{Next: rec, Archive: arch, Clock: clk, RetryDelay: time.Second, MaxAttempts: 3, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	ctx2 := context.Background()
	if _, err := a.Publish(ctx2, []cloudevents.Event{event("x-1", "dev.cogniforge.saga.started.v1")}); err != nil {
		t.Fatal(err)
	}
	// Two failures, each followed by a backoff on the fake clock.
	for range 2 {
		for clk.Waiters() == 0 {
			time.Sleep(time.Millisecond) // wait for the writer to park on the clock, not for time
		}
		clk.Advance(10 * time.Second)
	}
	if err := a.Flush(ctx2); err != nil {
		t.Fatal(err)
	}
	if s := a.Stats(); s.Archived != 1 || s.Retries != 2 || s.WriteFailed != 0 {
		t.Errorf("stats %+v", s)
	}
	// Now a write that never succeeds is counted, not silently dropped.
	st.mu.Lock()
	st.n = 100
	st.mu.Unlock()
	if _, err := a.Publish(ctx2, []cloudevents.Event{event("x-2", "dev.cogniforge.saga.started.v1")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for clk.Waiters() == 0 {
			time.Sleep(time.Millisecond)
		}
		clk.Advance(10 * time.Second)
	}
	if err := a.Flush(ctx2); err != nil {
		t.Fatal(err)
	}
	if s := a.Stats(); s.Archived != 1 || s.WriteFailed != 1 {
		t.Errorf("stats %+v", s)
	}
	if rec.Len() != 2 {
		t.Errorf("the bus got %d events; archive failures must not fail publishes", rec.Len())
	}
}

func TestOverflowCounted(t *testing.T) {
	clk := clock.NewFake(t0)
	arch, _ := streams.NewArchive(memory.New(memory.Config{Now: clk.Now}), streams.DefaultConfig(), clk.Now)
	rec := &bustest.Recorder{}
	a, _ := streams.NewArchiver(streams.ArchiverConfig{Next: rec, Archive: arch, Clock: clk, BufferSize: 2, OverflowWait: -1, Logger: quiet})
	// Not running: the buffer fills.
	for i := range 5 {
		res, err := a.Publish(context.Background(), []cloudevents.Event{event(fmt.Sprintf("o-%d", i), "dev.cogniforge.saga.started.v1")})
		if err != nil || res[0] != nil {
			t.Fatal(err, res)
		}
	}
	if s := a.Stats(); s.Overflow != 3 || s.BufferWaits != 3 {
		t.Errorf("stats %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if s := a.Stats(); s.Archived != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"ok", "default: x\nstreams:\n  - {name: x, retention: 3d, types: [a.*]}\n", ""},
		{"bad retention", "streams:\n  - {name: system, retention: soon}\n", "streams[0] (system).retention"},
		{"bad name", "streams:\n  - {name: Sys, retention: 1h}\n", `name "Sys"`},
		{"unknown default", "default: y\nstreams:\n  - {name: x, retention: 1h}\n", `default "y"`},
		{"bad pattern", "default: x\nstreams:\n  - {name: x, retention: 1h, types: ['a*b']}\n", "types[0]"},
		{"unknown field", "streams:\n  - {name: x, retention: 1h, ttl: 3}\n", "ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := streams.ParseConfig([]byte(tt.yaml))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s := c.StreamFor("a.b"); s.Name != "x" || s.Retention != 72*time.Hour {
					t.Errorf("stream %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want it to mention %q", err, tt.err)
			}
		})
	}
}

func TestShippedConfigMatchesDefault(t *testing.T) {
	c, err := streams.LoadConfig("../../config/streams")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(c)
	b, _ := json.Marshal(streams.DefaultConfig())
	if string(a) != string(b) {
		t.Errorf("config/streams/streams.yaml:\n%s\nDefaultConfig:\n%s", a, b)
	}
}

// FuzzParseConfig: a streams file is accepted only when it is valid, and
// never panics.
func FuzzParseConfig(f *testing.F) {
	b, _ := os.ReadFile("../../config/streams/streams.yaml")
	f.Add(b)
	f.Add([]byte("streams:\n  - {name: x, retention: 1h}\ndefault: x\n"))
	f.Add([]byte("streams: [{name: a, retention: 0d}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := streams.ParseConfig(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("accepted an invalid configuration: %v", err)
		}
		_ = c.StreamFor("dev.cogniforge.request.completed.v1")
	})
}
