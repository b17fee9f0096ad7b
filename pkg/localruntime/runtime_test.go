package localruntime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func testEvent(t *testing.T, typ, id string) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType(typ)
	e.SetSource("test")
	if err := e.SetData(cloudevents.ApplicationJSON, map[string]any{"n": id}); err != nil {
		t.Fatal(err)
	}
	return e
}

func plainHTTP(fn faas.Function) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, fn.Name+" "+r.URL.Path)
	})
}

type harness struct {
	rt     *Runtime
	clock  *FakeClock
	store  store.Store
	cancel context.CancelFunc
	done   chan struct{}
}

func start(t *testing.T, st store.Store, fns ...faas.Function) *harness {
	t.Helper()
	clock := NewFakeClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if st == nil {
		st = memory.New(memory.Config{Now: clock.Now})
	}
	rt, err := New(Config{Functions: fns, Store: st, HTTPHandler: plainHTTP, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryDelay: time.Second, Workers: 2,
		SweepInterval: -1}) // on in TestSweepsExpiredItems only, so it adds no clock waiter elsewhere
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{rt: rt, clock: clock, store: st, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(h.done); _ = rt.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

// waitFor polls cond; the deliveries run on other goroutines, so this waits
// on real scheduling, never on the fake clock.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// idle reports whether no delivery of any queue is running, so timers the
// deliveries set (visibility deadlines, retries) are in their final state.
func (h *harness) idle() bool {
	st, err := h.rt.Stats(context.Background())
	if err != nil {
		return false
	}
	for _, q := range st {
		if q.InFlight != 0 {
			return false
		}
	}
	return true
}

func TestBusDeliversToSubscribersOnly(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{}
	record := func(name string) faas.Handler {
		return func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			mu.Lock()
			got[name] = append(got[name], e.ID())
			mu.Unlock()
			return nil, nil
		}
	}
	h := start(t, nil,
		faas.Function{Name: "a", Handler: record("a"), Consumes: []string{"t.one"}, Triggers: []faas.Trigger{{Kind: faas.TriggerEventBus}}},
		faas.Function{Name: "b", Handler: record("b"), Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, EventTypes: []string{"t.one", "t.two"}}}},
		faas.Function{Name: "c", Handler: record("c"), Triggers: []faas.Trigger{{Kind: faas.TriggerHTTP}}},
	)
	res, err := h.rt.Publish(context.Background(), []cloudevents.Event{testEvent(t, "t.one", "1"), testEvent(t, "t.two", "2"), testEvent(t, "t.none", "3")})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res {
		if e != nil {
			t.Errorf("event %d: %v", i, e)
		}
	}
	waitFor(t, "deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["a"]) == 1 && len(got["b"]) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got["c"]) != 0 || got["a"][0] != "1" {
		t.Errorf("unexpected deliveries: %v", got)
	}
}

func TestQueueRedeliversThenDeadLetters(t *testing.T) {
	var calls atomic.Int32
	failing := faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, EventTypes: []string{"t"}, MaxReceives: 3}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			calls.Add(1)
			return nil, &faas.Error{Name: "Test.Broken", Message: "always broken"}
		}}
	h := start(t, nil, failing)
	if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e1")); err != nil {
		t.Fatal(err)
	}
	// First receive is immediate; the second waits 1s, the third 2s more.
	waitFor(t, "first receive", func() bool { return calls.Load() == 1 && h.idle() && h.clock.Waiters() == 1 })
	h.clock.Advance(999 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatal("redelivered before the retry delay")
	}
	h.clock.Advance(time.Millisecond)
	waitFor(t, "second receive", func() bool { return calls.Load() == 2 && h.idle() && h.clock.Waiters() == 1 })
	h.clock.Advance(2 * time.Second)
	waitFor(t, "dead letter", func() bool {
		dls, _ := h.rt.DeadLetters(context.Background(), "f")
		return len(dls) == 1
	})
	dls, _ := h.rt.DeadLetters(context.Background(), "f")
	if dls[0].Receives != 3 || dls[0].LastErrorType != "Test.Broken" || dls[0].Event.ID() != "e1" {
		t.Errorf("dead letter = %+v", dls[0])
	}
	// The first failure is kept: the first receive, before the retries.
	if !strings.Contains(dls[0].FirstError, "always broken") || !dls[0].FirstFailedAt.Before(dls[0].DeadAt.Add(-2*time.Second)) {
		t.Errorf("first failure = %q at %s, dead at %s", dls[0].FirstError, dls[0].FirstFailedAt, dls[0].DeadAt)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
	st, err := h.rt.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Pending != 0 || st[0].DeadLetters != 1 || st[0].Failed != 3 {
		t.Errorf("stats = %+v", st[0])
	}
}

func TestQueueSucceedsOnRetryAndRedrive(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	fn := faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 1}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			calls.Add(1)
			if fail.Load() {
				return nil, errors.New("down")
			}
			return nil, nil
		}}
	h := start(t, nil, fn)
	_ = h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e1"))
	waitFor(t, "dead letter", func() bool { d, _ := h.rt.DeadLetters(context.Background(), "f"); return len(d) == 1 })
	fail.Store(false)
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/functions/f/dead-letters/redrive", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, "redriven delivery", func() bool { return calls.Load() == 2 })
	waitFor(t, "queue drained", func() bool {
		d, _ := h.rt.DeadLetters(context.Background(), "f")
		items, _ := h.store.Query(context.Background(), queuePartition("f"), "", 0)
		return len(d) == 0 && len(items) == 0
	})
	if st, err := h.rt.Stats(context.Background()); err != nil || st[0].DeadLetters != 0 {
		t.Errorf("stats after redrive = %+v, %v; want no dead letters", st, err)
	}
}

func TestUnacknowledgedEventsSurviveRestart(t *testing.T) {
	st := memory.New(memory.Config{})
	block := make(chan struct{})
	var delivered atomic.Int32
	fn := func(blocking bool) faas.Function {
		return faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}},
			Handler: func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
				if blocking {
					select {
					case <-block:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				delivered.Add(1)
				return nil, nil
			}}
	}
	h := start(t, st, fn(true))
	_ = h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e1"))
	waitFor(t, "in flight", func() bool { st, _ := h.rt.Stats(context.Background()); return len(st) == 1 && st[0].InFlight == 1 })
	h.stop() // the process dies with the event in flight
	if delivered.Load() != 0 {
		t.Fatal("delivered although blocked")
	}
	start(t, st, fn(false))
	waitFor(t, "redelivery after restart", func() bool { return delivered.Load() == 1 })
}

func TestScheduleFires(t *testing.T) {
	var fired atomic.Int32
	var last atomic.Value
	fn := faas.Function{Name: "tick", Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: "rate(5 minutes)"}},
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			fired.Add(1)
			last.Store(e)
			return nil, nil
		}}
	h := start(t, nil, fn)
	waitFor(t, "schedule waiting", func() bool { return h.clock.Waiters() == 1 })
	h.clock.Advance(4 * time.Minute)
	if fired.Load() != 0 {
		t.Fatal("fired early")
	}
	h.clock.Advance(time.Minute)
	waitFor(t, "first firing", func() bool { return fired.Load() == 1 && h.clock.Waiters() == 1 })
	e := last.Load().(cloudevents.Event)
	if e.Type() != ScheduleFiredType || !e.Time().Equal(time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("event = %s", e)
	}
	// The same event a schedule delivers on AWS: it passes the catalog.
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.Validate(e); err != nil {
		t.Errorf("schedule event does not validate: %v\n%s", err, e)
	}
	h.clock.Advance(5 * time.Minute)
	waitFor(t, "second firing", func() bool { return fired.Load() == 2 })
}

func TestConfigErrors(t *testing.T) {
	h := func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	_, err := New(Config{Functions: []faas.Function{
		{Name: "a", Handler: h}, {Name: "a", Handler: h}, {Name: "b"},
		{Name: "c", Handler: h, Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: "rate(5 weeks)"}}},
	}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"a" is listed twice`, `"b" has no handler`, `weeks`, "Store is required", "HTTPHandler is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestHTTPRoutes(t *testing.T) {
	h := start(t, nil, faas.Function{Name: "echo", Description: "echoes", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil },
		Triggers: []faas.Trigger{{Kind: faas.TriggerHTTP}, {Kind: faas.TriggerSchedule, Schedule: "rate(1 hour)"}}})
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz: %d %s", code, body)
	}
	code, body := get("/functions")
	var list struct {
		Functions []functionInfo `json:"functions"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 {
		t.Fatalf("functions: %d %s %v", code, body, err)
	}
	if len(list.Functions) != 1 || list.Functions[0].Name != "echo" || len(list.Functions[0].Triggers) != 2 || list.Functions[0].Triggers[1].Schedule != "rate(1 hour)" {
		t.Errorf("functions = %+v", list)
	}
	if len(list.Functions) == 1 && list.Functions[0].Subscribes != nil {
		t.Errorf("echo has no queue or bus trigger, yet subscribes to %v", list.Functions[0].Subscribes)
	}
	if code, body := get("/functions/echo/route/x"); code != 200 || body != "echo /route/x" {
		t.Errorf("function route: %d %q", code, body)
	}
	if code, body := get("/functions/echo"); code != 200 || body != "echo /" {
		t.Errorf("function root: %d %q", code, body)
	}
	if code, body := get("/functions/nope"); code != 404 || !strings.Contains(body, "GET /functions") {
		t.Errorf("unknown function: %d %q", code, body)
	}
}

// TestQueueEndpointDecodes sends events to POST /functions/{name}/queue in
// both CloudEvents modes and checks what the function receives, and that a
// malformed event is refused with the attribute named instead of being
// queued with the bad attribute dropped.
func TestQueueEndpointDecodes(t *testing.T) {
	got := make(chan cloudevents.Event, 4)
	h := start(t, nil, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}},
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			got <- e
			return nil, nil
		}})
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	binary := map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "b1", "Ce-Type": "t.binary", "Ce-Source": "test",
		"Ce-Time": "2026-11-23T10:00:00Z", "Ce-Tenant": "acme", "Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range binary {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		wantErr string // in the problem detail
		check   func(t *testing.T, e cloudevents.Event)
	}{
		{name: "structured without content type", body: `{"specversion":"1.0","id":"s1","type":"t.s","source":"test","data":{"n":1}}`,
			status: http.StatusAccepted, check: func(t *testing.T, e cloudevents.Event) {
				if e.ID() != "s1" || string(e.Data()) != `{"n":1}` {
					t.Errorf("event %s data %s", e.ID(), e.Data())
				}
			}},
		{name: "binary", headers: binary, body: `{"n":2}`, status: http.StatusAccepted, check: func(t *testing.T, e cloudevents.Event) {
			if e.ID() != "b1" || e.Type() != "t.binary" || e.Extensions()["tenant"] != "acme" ||
				!e.Time().Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) || string(e.Data()) != `{"n":2}` {
				t.Errorf("event %v", e)
			}
		}},
		{name: "binary with a bad time", headers: with("Ce-Time", "yesterday"), body: `{}`, status: http.StatusBadRequest, wantErr: "time"},
		{name: "binary without source", headers: with("Ce-Source", ""), body: `{}`, status: http.StatusBadRequest, wantErr: "source"},
		{name: "too large", headers: binary, body: `"` + strings.Repeat("x", maxQueuedEvent) + `"`, status: http.StatusBadRequest, wantErr: "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/functions/f/queue", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.wantErr != "" && !strings.Contains(string(body), c.wantErr) {
				t.Fatalf("problem %s does not mention %q", body, c.wantErr)
			}
			if c.check == nil {
				return
			}
			select {
			case e := <-got:
				c.check(t, e)
			case <-time.After(5 * time.Second):
				t.Fatal("event never delivered")
			}
		})
	}
	select {
	case e := <-got:
		t.Fatalf("a refused event was delivered: %v", e)
	default:
	}
}

// flakyStore fails the dead-letter queue's writes while failDLQPut is above
// zero (counting down), its reads and count while failDLQQuery is set, and the
// queues' writes while failQueuePut is above zero.
type flakyStore struct {
	store.Store
	failDLQPut   atomic.Int32
	failDLQQuery atomic.Bool
	failQueuePut atomic.Int32
}

var errFlaky = errors.New("flaky store: unavailable")

func (s *flakyStore) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if strings.HasPrefix(it.Key.Partition, "runtime.dlq#") && s.failDLQPut.Add(-1) >= 0 {
		return store.Item{}, errFlaky
	}
	if strings.HasPrefix(it.Key.Partition, "runtime.queue#") && s.failQueuePut.Add(-1) >= 0 {
		return store.Item{}, errFlaky
	}
	return s.Store.Put(ctx, it, cond)
}

func (s *flakyStore) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if strings.HasPrefix(key.Partition, "runtime.queuestats#") && s.failDLQQuery.Load() {
		return store.Item{}, errFlaky
	}
	return s.Store.Get(ctx, key)
}

func (s *flakyStore) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	if strings.HasPrefix(partition, "runtime.dlq#") && s.failDLQQuery.Load() {
		return nil, errFlaky
	}
	return s.Store.Query(ctx, partition, prefix, limit)
}

// TestDeadLetterRetriedWhenStoreFails: an event whose dead-lettering fails
// must reach the dead-letter queue once the store recovers, within the same
// run, without another delivery.
func TestDeadLetterRetriedWhenStoreFails(t *testing.T) {
	st := &flakyStore{Store: memory.New(memory.Config{})}
	st.failDLQPut.Store(2)
	var calls atomic.Int32
	h := start(t, st, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 1}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			calls.Add(1)
			return nil, errors.New("broken")
		}})
	if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "e1")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // two failed dead-letter writes, each followed by a wait
		waitFor(t, "dead-letter retry wait", func() bool { return h.idle() && h.clock.Waiters() == 1 })
		h.clock.Advance(time.Second)
	}
	waitFor(t, "dead letter", func() bool {
		d, _ := h.rt.DeadLetters(context.Background(), "f")
		return len(d) == 1
	})
	if calls.Load() != 1 {
		t.Errorf("delivered %d times, want 1", calls.Load())
	}
	waitFor(t, "queue emptied", func() bool {
		items, _ := st.Query(context.Background(), queuePartition("f"), "", 0)
		return len(items) == 0
	})
}

// TestStoreFailuresAreReported: the queue stats and the dead-letter listing
// say the store failed rather than report no dead letters or an unknown
// function.
func TestStoreFailuresAreReported(t *testing.T) {
	st := &flakyStore{Store: memory.New(memory.Config{})}
	h := start(t, st, faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }})
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	st.failDLQQuery.Store(true)
	if _, err := h.rt.Stats(context.Background()); !errors.Is(err, errFlaky) {
		t.Errorf("Stats error = %v", err)
	}
	for path, want := range map[string]int{"/queues": 500, "/functions/f/dead-letters": 500, "/functions/nope/dead-letters": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestScheduleFiringSurvivesStoreFailure: a firing the store refuses is
// enqueued again later, not dropped.
func TestScheduleFiringSurvivesStoreFailure(t *testing.T) {
	st := &flakyStore{Store: memory.New(memory.Config{})}
	st.failQueuePut.Store(2)
	var fired atomic.Int32
	h := start(t, st, faas.Function{Name: "tick", Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: "rate(1 hour)"}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			fired.Add(1)
			return nil, nil
		}})
	waitFor(t, "schedule waiting", func() bool { return h.clock.Waiters() == 1 })
	h.clock.Advance(time.Hour)
	// The schedule waits for the next hour, the refused firing for 1s, then 2s.
	for _, d := range []time.Duration{time.Second, 2 * time.Second} {
		waitFor(t, "retry wait", func() bool { return h.clock.Waiters() == 2 })
		h.clock.Advance(d)
	}
	waitFor(t, "delivery", func() bool { return fired.Load() == 1 })
}

// An invalid event is retried like any failure, as SQS (and so the Lambda
// adapter) does: it reaches the dead letters after MaxReceives receives.
func TestInvalidEventRetriedToMaxReceives(t *testing.T) {
	var calls atomic.Int32
	fn := faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 2}},
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			calls.Add(1)
			return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: "data.durationMs: minimum 0"}
		}}
	h := start(t, nil, fn)
	if err := h.rt.Enqueue(context.Background(), "f", testEvent(t, "t", "bad")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "retry wait", func() bool { return calls.Load() == 1 && h.idle() && h.clock.Waiters() == 1 })
	if d, _ := h.rt.DeadLetters(context.Background(), "f"); len(d) != 0 {
		t.Fatal("dead-lettered on the first receive")
	}
	h.clock.Advance(time.Second)
	waitFor(t, "dead letter", func() bool { d, _ := h.rt.DeadLetters(context.Background(), "f"); return len(d) == 1 })
	d, _ := h.rt.DeadLetters(context.Background(), "f")
	if calls.Load() != 2 || d[0].Receives != 2 || d[0].LastErrorType != faas.ErrInvalidEvent {
		t.Errorf("handled %d times, dead letter %+v", calls.Load(), d[0])
	}
}

func TestUnknownPathIs404(t *testing.T) {
	h := start(t, nil, faas.Function{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }})
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "GET /functions") {
		t.Errorf("GET /nope: %d %s", resp.StatusCode, b)
	}
}

// GET /functions tells what a function accepts (consumes) apart from what the
// bus routes to it (subscribes): only the latter arrive from a publish.
func TestFunctionsListSubscriptions(t *testing.T) {
	nop := func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	h := start(t, nil,
		faas.Function{Name: "typed", Handler: nop, Consumes: []string{"dev.cogniforge.a.v1", "dev.cogniforge.b.v1"},
			Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, EventTypes: []string{"dev.cogniforge.b.v1"}}}},
		faas.Function{Name: "task", Handler: nop, Consumes: []string{"dev.cogniforge.saga.task.v1"},
			Triggers: []faas.Trigger{{Kind: faas.TriggerStepFunctions}}},
	)
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/functions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Functions []functionInfo `json:"functions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range list.Functions {
		got[f.Name] = f.Subscribes
	}
	if strings.Join(got["typed"], ",") != "dev.cogniforge.b.v1" || got["task"] != nil {
		t.Errorf("subscribes = %v; want typed on its queue's type only, task on none", got)
	}
}

func TestDeadLetterShowRetryPurge(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	fn := faas.Function{Name: "f", Triggers: []faas.Trigger{{Kind: faas.TriggerQueue, MaxReceives: 1}},
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			if fail.Load() {
				return nil, errors.New("down")
			}
			calls.Add(1)
			return nil, nil
		}}
	h := start(t, nil, fn)
	ctx := context.Background()
	for _, id := range []string{"e1", "e2", "e3"} {
		_ = h.rt.Enqueue(ctx, "f", testEvent(t, "t", id))
	}
	waitFor(t, "dead letters", func() bool { d, _ := h.rt.DeadLetters(ctx, "f"); return len(d) == 3 })
	fail.Store(false)
	dls, _ := h.rt.DeadLetters(ctx, "f")
	srv := httptest.NewServer(h.rt.Handler())
	defer srv.Close()
	call := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", "/functions/f/dead-letters/"+dls[1].ID); code != 200 || !strings.Contains(body, `"firstError":"down"`) {
		t.Errorf("show: %d %s", code, body)
	}
	if code, _ := call("GET", "/functions/f/dead-letters/nope"); code != 404 {
		t.Errorf("show unknown: %d", code)
	}
	if code, body := call("POST", "/functions/f/dead-letters/"+dls[1].ID+"/retry"); code != 200 {
		t.Fatalf("retry: %d %s", code, body)
	}
	waitFor(t, "retried delivery", func() bool { return calls.Load() == 1 })
	if code, body := call("DELETE", "/functions/f/dead-letters"); code != 200 || !strings.Contains(body, `"purged":2`) {
		t.Errorf("purge: %d %s", code, body)
	}
	if st, err := h.rt.Stats(ctx); err != nil || st[0].DeadLetters != 0 {
		t.Errorf("stats after purge = %+v, %v", st, err)
	}
}
