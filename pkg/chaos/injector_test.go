package chaos_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

var t0 = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

type clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	f  func()
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, timer{c.now.Add(d), f})
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, t.f)
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

func rate(r float64) *float64 { return &r }

func event(typ, data string) cloudevents.Event {
	ev := cloudevents.New()
	ev.SetID("e-1")
	ev.SetSource("//test")
	ev.SetType(typ)
	_ = ev.SetData("application/json", []byte(data))
	return ev
}

type harness struct {
	clock   *clock
	store   *chaos.MemoryStore
	inj     *chaos.Injector
	h       faas.Handler
	calls   int
	slept   time.Duration
	mu      sync.Mutex
	lastCtx context.Context
}

func newHarness(t *testing.T, cfg chaos.Config, faults ...chaos.Fault) *harness {
	t.Helper()
	hs := &harness{clock: &clock{now: t0}, store: &chaos.MemoryStore{}}
	for _, f := range faults {
		if f.ExpiresAt.IsZero() {
			f.ExpiresAt = t0.Add(time.Hour)
		}
		if err := hs.store.Update(context.Background(), func(d *chaos.Document) error { d.Faults = append(d.Faults, f); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Function == "" {
		cfg.Function = "payment"
	}
	if cfg.Source == nil {
		cfg.Source = hs.store
	}
	cfg.Now = hs.clock.Now
	cfg.AfterFunc = hs.clock.AfterFunc
	if cfg.Rand == nil {
		r := rand.New(rand.NewPCG(1, 2))
		var mu sync.Mutex
		cfg.Rand = func() float64 { mu.Lock(); defer mu.Unlock(); return r.Float64() }
	}
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		hs.mu.Lock()
		hs.slept += d
		hs.mu.Unlock()
		return ctx.Err()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	inj, err := chaos.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs.inj = inj
	hs.h = inj.Middleware()(func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		hs.mu.Lock()
		hs.calls++
		hs.lastCtx = ctx
		hs.mu.Unlock()
		return nil, nil
	})
	return hs
}

func (hs *harness) call(ev cloudevents.Event) error {
	_, err := hs.h(context.Background(), ev)
	return err
}

// Every fault kind is seen by a caller at its configured rate: n calls,
// the count of faulted ones within 4 standard deviations of n*rate.
func TestFaultsAtRate(t *testing.T) {
	const n = 4000
	cases := []struct {
		name  string
		fault chaos.Fault
		hit   func(hs *harness, err error) bool
	}{
		{"error", chaos.Fault{Kind: chaos.KindError}, func(_ *harness, err error) bool { return faas.ErrorName(err) == chaos.ErrInjected }},
		{"named error", chaos.Fault{Kind: chaos.KindError, ErrorName: "Saga.TransientError", Retryable: true}, func(_ *harness, err error) bool {
			var fe *faas.Error
			return errors.As(err, &fe) && fe.Name == "Saga.TransientError" && fe.Retryable
		}},
		{"status", chaos.Fault{Kind: chaos.KindStatus, Status: 503}, func(_ *harness, err error) bool { return err != nil && faas.ProblemFor(err).Status == 503 }},
		{"timeout", chaos.Fault{Kind: chaos.KindTimeout, Latency: chaos.Duration(time.Second)}, func(_ *harness, err error) bool { return faas.ErrorName(err) == faas.ErrTimeout }},
	}
	for _, r := range []float64{0.1, 0.5, 0.9} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.fault
				f.ID, f.Function, f.Rate, f.BlastRadius, f.ApprovedBy = "f1", "payment", rate(r), chaos.BlastExtensive, "test"
				hs := newHarness(t, chaos.Config{}, f)
				hits := 0
				for range n {
					err := hs.call(event("t", `{}`))
					if tc.hit(hs, err) {
						hits++
					} else if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
				}
				assertRate(t, hits, n, r)
				if hs.calls != n-hits {
					t.Errorf("handler ran %d times, want %d", hs.calls, n-hits)
				}
			})
		}
	}
}

func assertRate(t *testing.T, hits, n int, r float64) {
	t.Helper()
	mean, sd := float64(n)*r, math.Sqrt(float64(n)*r*(1-r))
	if math.Abs(float64(hits)-mean) > 4*sd {
		t.Errorf("%d of %d faulted, want %.0f ± %.0f (rate %v)", hits, n, mean, 4*sd, r)
	}
}

func TestLatencyAtRate(t *testing.T) {
	f := chaos.Fault{ID: "l", Function: "payment", Kind: chaos.KindLatency, Latency: chaos.Duration(100 * time.Millisecond), LatencyMax: chaos.Duration(300 * time.Millisecond), Rate: rate(0.3), BlastRadius: chaos.BlastModerate}
	hs := newHarness(t, chaos.Config{}, f)
	const n = 4000
	for range n {
		if err := hs.call(event("t", `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if hs.calls != n {
		t.Fatalf("handler ran %d times", hs.calls)
	}
	// Mean delay per delayed call is 200ms.
	delayed := int(math.Round(float64(hs.slept) / float64(200*time.Millisecond)))
	assertRate(t, delayed, n, 0.3)
}

func TestBlastRadiusCapsRate(t *testing.T) {
	f := chaos.Fault{ID: "c", Function: "payment", Kind: chaos.KindError, BlastRadius: chaos.BlastLimited}
	hs := newHarness(t, chaos.Config{}, f)
	hits := 0
	const n = 4000
	for range n {
		if hs.call(event("t", `{}`)) != nil {
			hits++
		}
	}
	assertRate(t, hits, n, chaos.LimitedCap)
}

func TestExpiredFaultStops(t *testing.T) {
	f := chaos.Fault{ID: "x", Function: "payment", Kind: chaos.KindError, ExpiresAt: t0.Add(time.Minute)}
	hs := newHarness(t, chaos.Config{TTL: time.Hour}, f)
	if hs.call(event("t", `{}`)) == nil {
		t.Fatal("fault did not fire before expiry")
	}
	hs.clock.Advance(time.Minute)
	// Still within the TTL of the copy read: the expiry alone turns it off.
	for range 100 {
		if err := hs.call(event("t", `{}`)); err != nil {
			t.Fatalf("expired fault fired: %v", err)
		}
	}
}

func TestBadConfigurationInjectsNothing(t *testing.T) {
	cases := map[string]chaos.Source{
		"unreadable": &chaos.MemoryStore{Err: errors.New("AccessDenied")},
		"corrupt": chaos.SourceFunc(func(context.Context) (chaos.Document, error) {
			return chaos.ParseDocument([]byte(`{"faults": [{"function": "payment", "fault": "error"`))
		}),
		"unknown field": chaos.SourceFunc(func(context.Context) (chaos.Document, error) {
			return chaos.ParseDocument([]byte(`{"faults": [], "extra": 1}`))
		}),
		"invalid fault": chaos.Static(chaos.Document{Faults: []chaos.Fault{
			{ID: "r", Function: "payment", Kind: chaos.KindError, Rate: rate(2), ExpiresAt: t0.Add(time.Hour)},
			{ID: "e", Function: "payment", Kind: chaos.KindError, ExpiresAt: t0.Add(48 * time.Hour)},
			{ID: "x", Function: "payment", Kind: chaos.KindError, BlastRadius: chaos.BlastExtensive, ExpiresAt: t0.Add(time.Hour)},
		}}),
		"empty": chaos.Static(chaos.Document{}),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, chaos.Config{Source: src})
			for range 50 {
				if err := hs.call(event("t", `{}`)); err != nil {
					t.Fatalf("injected %v", err)
				}
			}
			if hs.calls != 50 {
				t.Fatalf("handler ran %d times", hs.calls)
			}
		})
	}
}

func TestSourceReadOncePerTTL(t *testing.T) {
	hs := newHarness(t, chaos.Config{TTL: 30 * time.Second})
	for k := range 600 { // 10 minutes, one call a second
		if err := hs.call(event("t", `{}`)); err != nil {
			t.Fatal(err)
		}
		if k < 599 {
			hs.clock.Advance(time.Second)
		}
	}
	if got := hs.store.Loads(); got != 20 {
		t.Fatalf("read the source %d times in 10 minutes with a 30s TTL, want 20", got)
	}
}

func TestNewFaultSeenAfterTTL(t *testing.T) {
	hs := newHarness(t, chaos.Config{TTL: time.Second})
	if err := hs.call(event("t", `{}`)); err != nil {
		t.Fatal(err)
	}
	m := chaos.Manager{Store: hs.store, Now: hs.clock.Now}
	if _, err := m.Inject(context.Background(), chaos.Fault{Function: "payment", Kind: chaos.KindError, For: chaos.Duration(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := hs.call(event("t", `{}`)); err != nil {
		t.Fatal("fault seen before the TTL passed")
	}
	hs.clock.Advance(time.Second)
	if hs.call(event("t", `{}`)) == nil {
		t.Fatal("fault not seen after the TTL")
	}
	if _, err := m.Clear(context.Background(), chaos.ClearFilter{Function: "payment"}); err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(time.Second)
	if err := hs.call(event("t", `{}`)); err != nil {
		t.Fatalf("cleared fault fired: %v", err)
	}
}

func TestTargets(t *testing.T) {
	alias := "live"
	cfg := chaos.Config{Version: "7", Alias: func(context.Context) string { return alias }}
	cases := []struct {
		name  string
		fault chaos.Fault
		ev    cloudevents.Event
		hit   bool
	}{
		{"other function", chaos.Fault{Function: "shipping"}, event("t", `{}`), false},
		{"event type", chaos.Fault{EventTypes: []string{"a", "t"}}, event("t", `{}`), true},
		{"other event type", chaos.Fault{EventTypes: []string{"a"}}, event("t", `{}`), false},
		{"version", chaos.Fault{Qualifier: "7"}, event("t", `{}`), true},
		{"alias", chaos.Fault{Qualifier: "live"}, event("t", `{}`), true},
		{"other alias", chaos.Fault{Qualifier: "canary"}, event("t", `{}`), false},
		{"equals", chaos.Fault{Match: []chaos.Matcher{{Field: "data.phase", Op: chaos.OpEquals, Value: "forward"}}}, event("t", `{"phase":"forward"}`), true},
		{"equals no", chaos.Fault{Match: []chaos.Matcher{{Field: "data.phase", Op: chaos.OpEquals, Value: "forward"}}}, event("t", `{"phase":"compensation"}`), false},
		{"equals number", chaos.Fault{Match: []chaos.Matcher{{Field: "data.items.0.quantity", Op: chaos.OpEquals, Value: "2"}}}, event("t", `{"items":[{"quantity":2}]}`), true},
		{"exists", chaos.Fault{Match: []chaos.Matcher{{Field: "data.payment.token", Op: chaos.OpExists}}}, event("t", `{"payment":{"token":"x"}}`), true},
		{"exists no", chaos.Fault{Match: []chaos.Matcher{{Field: "data.payment.token", Op: chaos.OpExists}}}, event("t", `{"payment":{}}`), false},
		{"prefix", chaos.Fault{Match: []chaos.Matcher{{Field: "data.orderId", Op: chaos.OpPrefix, Value: "chaos-"}}}, event("t", `{"orderId":"chaos-1"}`), true},
		{"regex", chaos.Fault{Match: []chaos.Matcher{{Field: "type", Op: chaos.OpRegex, Value: `^dev\.cogniforge\.saga\.`}}}, event("dev.cogniforge.saga.task.v1", `{}`), true},
		{"regex no", chaos.Fault{Match: []chaos.Matcher{{Field: "data.orderId", Op: chaos.OpRegex, Value: `^o-\d+$`}}}, event("t", `{"orderId":"o-x"}`), false},
		{"all matchers", chaos.Fault{Match: []chaos.Matcher{{Field: "source", Op: chaos.OpEquals, Value: "//test"}, {Field: "data.a", Op: chaos.OpExists}}}, event("t", `{"b":1}`), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			f.ID, f.Kind = "t", chaos.KindError
			if f.Function == "" {
				f.Function = "payment"
			}
			hs := newHarness(t, cfg, f)
			if got := hs.call(tc.ev) != nil; got != tc.hit {
				t.Fatalf("fired %v, want %v", got, tc.hit)
			}
		})
	}
}

func TestDryRunOnlyLogs(t *testing.T) {
	hs := newHarness(t, chaos.Config{}, chaos.Fault{ID: "d", Function: "payment", Kind: chaos.KindError, DryRun: true})
	if err := hs.call(event("t", `{}`)); err != nil || hs.calls != 1 {
		t.Fatalf("dry run injected: %v", err)
	}
}

func TestMinimalBlastRadiusOneInstance(t *testing.T) {
	// The store judges the claims' expiry by the tests' clock.
	st := memory.New(memory.Config{Now: func() time.Time { return t0 }})
	f := chaos.Fault{ID: "m", Function: "payment", Kind: chaos.KindError, ExpiresAt: t0.Add(time.Hour)}
	src := chaos.Static(chaos.Document{Faults: []chaos.Fault{f}})
	fired := 0
	for k := range 5 {
		hs := newHarness(t, chaos.Config{Source: src, Claimer: chaos.StoreClaimer{Store: st}, Instance: string(rune('a' + k))})
		if hs.call(event("t", `{}`)) != nil {
			fired++
			if hs.call(event("t", `{}`)) == nil {
				t.Fatal("the claiming instance stopped injecting")
			}
		}
	}
	if fired != 1 {
		t.Fatalf("%d instances injected a minimal fault, want 1", fired)
	}
}

type fakeBreakers struct {
	mu    sync.Mutex
	calls []string
}

func (b *fakeBreakers) Force(_ context.Context, name string, open bool, until time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := "release " + name
	if open {
		s = "open " + name + " until " + until.Format("15:04")
	}
	b.calls = append(b.calls, s)
	return nil
}

func TestBreakerFault(t *testing.T) {
	br := &fakeBreakers{}
	hs := newHarness(t, chaos.Config{Breakers: br, TTL: time.Second},
		chaos.Fault{ID: "b", Function: "payment", Kind: chaos.KindBreaker, Breaker: "payments-api", ExpiresAt: t0.Add(10 * time.Second)})
	for range 3 {
		if err := hs.call(event("t", `{}`)); err != nil {
			t.Fatal(err)
		}
		hs.clock.Advance(time.Second)
	}
	hs.clock.Advance(10 * time.Second)
	_ = hs.call(event("t", `{}`))
	want := []string{"open payments-api until 00:00", "release payments-api"}
	if strings.Join(br.calls, ";") != strings.Join(want, ";") {
		t.Fatalf("breaker calls %q, want %q", br.calls, want)
	}
}

func TestDenyHostsThroughTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	hs := newHarness(t, chaos.Config{}, chaos.Fault{ID: "d", Function: "payment", Kind: chaos.KindDeny, Hosts: []string{"127.0.0.1"}, Rate: rate(0.5), BlastRadius: chaos.BlastExtensive, ApprovedBy: "t"})
	client := &http.Client{Transport: chaos.Transport(nil)}
	const n = 1000
	denied := 0
	for range n {
		if err := hs.call(event("t", `{}`)); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(hs.lastCtx, "GET", srv.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 503 {
			denied++
		}
	}
	assertRate(t, denied, n, 0.5)
}

func TestDenyPartition(t *testing.T) {
	hs := newHarness(t, chaos.Config{}, chaos.Fault{ID: "p", Function: "payment", Kind: chaos.KindDeny, Hosts: []string{"example.com"}, DenyMode: chaos.DenyPartition})
	if err := hs.call(event("t", `{}`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(hs.lastCtx)
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://api.example.com:8443/x", nil)
	_, err := chaos.Transport(nil).RoundTrip(req)
	var pe *chaos.PartitionError
	if !errors.As(err, &pe) || !pe.Timeout() || faas.ErrorName(err) != chaos.ErrPartition {
		t.Fatalf("got %v, want a partition timeout", err)
	}
	if _, ok := chaos.DeniedHost(hs.lastCtx, "notexample.com"); ok {
		t.Fatal("a host that only ends like the denied one was denied")
	}
}

func TestPressure(t *testing.T) {
	hs := newHarness(t, chaos.Config{},
		chaos.Fault{ID: "m", Function: "payment", Kind: chaos.KindMemory, MemoryMB: 8},
		chaos.Fault{ID: "c", Function: "payment", Kind: chaos.KindCPU, CPU: chaos.Duration(20 * time.Millisecond)})
	start := time.Now()
	if err := hs.call(event("t", `{}`)); err != nil || hs.calls != 1 {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("cpu fault took %s", d)
	}
}

func TestTimeoutHoldsUntilDeadline(t *testing.T) {
	hs := newHarness(t, chaos.Config{}, chaos.Fault{ID: "t", Function: "payment", Kind: chaos.KindTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := hs.h(ctx, event("t", `{}`))
	if faas.ErrorName(err) != faas.ErrTimeout || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("got %v after %s", err, time.Since(start))
	}
}

func TestBatchWrap(t *testing.T) {
	hs := newHarness(t, chaos.Config{}, chaos.Fault{ID: "b", Function: "payment", Kind: chaos.KindError, Match: []chaos.Matcher{{Field: "data.bad", Op: chaos.OpExists}}})
	var got int
	fn := hs.inj.Wrap(faas.Function{Name: "payment", Batch: func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		got += len(evs)
		return make([]faas.Result, len(evs))
	}})
	res := fn.Batch(context.Background(), []cloudevents.Event{event("t", `{}`), event("t", `{"bad":1}`), event("t", `{}`)})
	if res[0].Err != nil || res[1].Err == nil || res[2].Err != nil || got != 2 {
		t.Fatalf("results %+v, handled %d", res, got)
	}
}
