package apilifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

const guide = "https://docs.example.com/orders-v2"

const catalogYAML = `
apis:
  - {name: orders, version: v2, function: order-query, spec: orders.v2.yaml, state: active, prefix: /v2}
  - name: orders
    version: v1
    function: order-query
    spec: orders.v1.yaml
    state: deprecated
    deprecated: 2026-12-03
    sunset: 2027-06-30
    migration: ` + guide + `
  - name: orders
    version: v0
    function: order-query
    spec: orders.v0.yaml
    state: retired
    prefix: /v0
    deprecated: 2025-06-01
    sunset: 2026-01-31
    migration: ` + guide + `
  - {name: incidents, version: v1, function: incident-manager, spec: incidents.v1.yaml, state: active}
`

var today = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

type fixture struct {
	l      *apilifecycle.Lifecycle
	h      http.Handler
	clock  *clock.Fake
	st     store.Store
	served int
}

func newFixture(t testing.TB, function string) *fixture {
	t.Helper()
	c, err := apicatalog.Parse([]byte(catalogYAML))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: clock.NewFake(today), st: memory.New(memory.Config{})}
	f.l, err = apilifecycle.New(apilifecycle.Config{Catalog: c, Function: function, Store: f.st, Now: f.clock.Now, FlushInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.h = f.l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.served++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"orders":[]}`))
	}))
	return f
}

func (f *fixture) get(path, client string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	if client != "" {
		r = r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: client, Class: apiclient.Authenticated, Via: apiclient.ViaAPIKey}))
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

var lifecycleHeaders = []string{"Deprecation", "Sunset", "Link"}

func TestDeprecatedVersionAnnounced(t *testing.T) {
	f := newFixture(t, "order-query")
	for _, path := range []string{"/orders", "/orders/o-1", "/v20/orders"} {
		w := f.get(path, "acme")
		if w.Code != 200 {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		h := w.Result().Header
		// RFC 9745: an sf-date, "@" and the Unix seconds of 2026-12-03T00:00:00Z.
		if got := h.Values("Deprecation"); len(got) != 1 || got[0] != "@1796256000" {
			t.Errorf("%s: Deprecation = %q, want [@1796256000]", path, got)
		}
		// RFC 8594: an HTTP-date (IMF-fixdate).
		if got := h.Values("Sunset"); len(got) != 1 || got[0] != "Wed, 30 Jun 2027 00:00:00 GMT" {
			t.Errorf("%s: Sunset = %q", path, got)
		}
		want := []string{`<` + guide + `>; rel="deprecation"`, `<` + guide + `>; rel="sunset"`}
		if got := h.Values("Link"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Link = %q, want %q", path, got, want)
		}
		if d, err := time.Parse(http.TimeFormat, h.Get("Sunset")); err != nil || !d.Equal(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("Sunset does not parse as an HTTP-date: %v %v", d, err)
		}
	}
	if f.served != 3 {
		t.Fatalf("handler served %d of 3", f.served)
	}
}

func TestActiveVersionUntouched(t *testing.T) {
	f := newFixture(t, "order-query")
	for _, path := range []string{"/v2/orders", "/v2", "/v2/orders/o-1"} {
		w := f.get(path, "acme")
		for _, h := range lifecycleHeaders {
			if v := w.Result().Header.Values(h); len(v) > 0 {
				t.Errorf("%s: %s = %q on an active version", path, h, v)
			}
		}
		if w.Code != 200 {
			t.Errorf("%s: status %d", path, w.Code)
		}
	}
	// A function whose versions are all active is not wrapped at all.
	g := newFixture(t, "incident-manager")
	if !g.l.Active() {
		t.Fatal("incident-manager: Active() = false")
	}
	next := http.NotFoundHandler()
	if fmt.Sprintf("%p", g.l.Middleware(next)) != fmt.Sprintf("%p", next) {
		t.Error("an all-active function's handler was wrapped")
	}
	// So is one with no API at all.
	h := newFixture(t, "payment")
	if !h.l.Active() {
		t.Error("a function without API versions is not a no-op")
	}
}

func checkGone(t *testing.T, w *httptest.ResponseRecorder, version, sunset string) {
	t.Helper()
	if w.Code != http.StatusGone {
		t.Fatalf("status %d, want 410", w.Code)
	}
	if ct := w.Result().Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	if d := w.Result().Header.Get("Deprecation"); d != "" {
		t.Errorf("Deprecation %q on a retired version", d)
	}
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "urn:cogniforge:error:API.Retired", "title": "Gone", "status": 410.0, "errorType": "API.Retired",
		"api": "orders", "version": version, "sunset": sunset, "migration": guide}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("problem %s = %v, want %v", k, p[k], v)
		}
	}
	if d, _ := p["detail"].(string); !strings.Contains(d, "orders "+version+" is retired since "+sunset[:10]) || !strings.Contains(d, guide) {
		t.Errorf("detail %q", d)
	}
	if len(p) != len(want)+1 {
		t.Errorf("problem has fields %v", p)
	}
}

func TestRetiredVersionGone(t *testing.T) {
	f := newFixture(t, "order-query")
	for _, path := range []string{"/v0/orders", "/v0/orders/o-1", "/v0"} {
		w := f.get(path, "acme")
		checkGone(t, w, "v0", "2026-01-31T00:00:00Z")
		if got := w.Result().Header.Get("Sunset"); got != "Sat, 31 Jan 2026 00:00:00 GMT" {
			t.Errorf("Sunset %q", got)
		}
	}
	if f.served != 0 {
		t.Fatalf("the handler served %d requests to a retired version", f.served)
	}
}

func TestSunsetPassingRetires(t *testing.T) {
	f := newFixture(t, "order-query")
	f.clock.AdvanceTo(time.Date(2027, 6, 29, 23, 59, 59, 0, time.UTC))
	if w := f.get("/orders", "acme"); w.Code != 200 || w.Result().Header.Get("Deprecation") == "" {
		t.Fatalf("a second before sunset: %d %v", w.Code, w.Result().Header)
	}
	f.clock.Advance(time.Second)
	checkGone(t, f.get("/orders", "acme"), "v1", "2027-06-30T00:00:00Z")
	if f.served != 1 {
		t.Fatalf("served %d, want 1", f.served)
	}
	if w := f.get("/v2/orders", "acme"); w.Code != 200 {
		t.Fatalf("v2 after v1's sunset: %d", w.Code)
	}
}

func TestCallsCountedPerClient(t *testing.T) {
	f := newFixture(t, "order-query")
	ctx := context.Background()
	calls := map[string]int{"acme": 5, "globex": 2, "": 1}
	for c, n := range calls {
		for range n {
			f.get("/orders", c)
		}
	}
	for range 3 {
		f.get("/v0/orders", "initech")
		f.get("/v2/orders", "acme") // active: not counted
	}
	// The first call of each client was written through; the rest wait.
	got, err := apilifecycle.CallsSince(ctx, f.st, "orders/v1", today)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[{acme 1 2026-12-03} {globex 1 2026-12-03} {unknown 1 2026-12-03}]" {
		t.Fatalf("before the flush: %v", got)
	}
	// A request after FlushInterval writes the rest in one transaction.
	f.clock.Advance(time.Minute)
	f.get("/orders", "globex")
	got, _ = apilifecycle.CallsSince(ctx, f.st, "orders/v1", today)
	if fmt.Sprint(got) != "[{acme 5 2026-12-03} {globex 3 2026-12-03} {unknown 1 2026-12-03}]" {
		t.Fatalf("after the flush: %v", got)
	}
	if err := f.l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = apilifecycle.CallsSince(ctx, f.st, "orders/v0", today)
	if fmt.Sprint(got) != "[{initech 3 2026-12-03}]" {
		t.Fatalf("v0: %v", got)
	}
	if got, _ := apilifecycle.CallsSince(ctx, f.st, "orders/v2", today); len(got) != 0 {
		t.Fatalf("active v2 counted: %v", got)
	}
	// Another day: counted on its own day; a window from tomorrow sees it alone.
	f.clock.Advance(24 * time.Hour)
	f.get("/orders", "acme")
	got, _ = apilifecycle.CallsSince(ctx, f.st, "orders/v1", today)
	if fmt.Sprint(got) != "[{acme 6 2026-12-04} {globex 3 2026-12-03} {unknown 1 2026-12-03}]" {
		t.Fatalf("two days: %v", got)
	}
	got, _ = apilifecycle.CallsSince(ctx, f.st, "orders/v1", today.Add(24*time.Hour))
	if fmt.Sprint(got) != "[{acme 1 2026-12-04}]" {
		t.Fatalf("since tomorrow: %v", got)
	}
	// The counters expire after the retention.
	it, err := f.st.Query(ctx, "apilifecycle#calls#orders/v1", "2026-12-03#acme", 1)
	if err != nil || len(it) != 1 || !it[0].ExpiresAt.Equal(time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("expiry of a counter: %+v %v", it, err)
	}
}

// writeCounter counts the store's writes.
type writeCounter struct {
	store.Store
	writes int
}

func (w *writeCounter) Transact(ctx context.Context, ops []store.Op) error {
	w.writes++
	return w.Store.Transact(ctx, ops)
}

func TestCountingIsBatched(t *testing.T) {
	c, _ := apicatalog.Parse([]byte(catalogYAML))
	fc := clock.NewFake(today)
	wc := &writeCounter{Store: memory.New(memory.Config{})}
	l, _ := apilifecycle.New(apilifecycle.Config{Catalog: c, Function: "order-query", Store: wc, Now: fc.Now})
	h := l.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for i := range 10_000 {
		r := httptest.NewRequest("GET", "/orders", nil)
		r = r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: fmt.Sprintf("c%d", i%10)}))
		h.ServeHTTP(httptest.NewRecorder(), r)
		if i%1000 == 999 {
			fc.Advance(30 * time.Second)
		}
	}
	// 10 first calls written through, then one transaction per minute
	// (5 minutes of traffic).
	if wc.writes > 10+5 {
		t.Fatalf("%d store writes for 10,000 calls of 10 clients", wc.writes)
	}
	_ = l.Flush(context.Background())
	got, _ := apilifecycle.CallsSince(context.Background(), wc, "orders/v1", today)
	var total int64
	for _, c := range got {
		total += c.Calls
	}
	if total != 10_000 || len(got) != 10 {
		t.Fatalf("counted %d calls of %d clients", total, len(got))
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := apilifecycle.New(apilifecycle.Config{FlushInterval: -1})
	for _, want := range []string{"Catalog", "Function", "FlushInterval"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestEmbeddedCatalog(t *testing.T) {
	c, err := apilifecycle.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, id string }{{"/orders", "orders/v1"}, {"/v2/orders", "orders/v2"}, {"/v0/orders", "orders/v0"}} {
		e, ok := c.Match("order-query", tc.path)
		if !ok || e.ID() != tc.id {
			t.Errorf("Match(%s) = %s", tc.path, e.ID())
		}
	}
	v1, _ := c.Lookup("orders", "v1")
	if v1.State != apicatalog.Deprecated || v1.Sunset.Format(time.DateOnly) != "2027-06-30" || !strings.HasPrefix(v1.Migration, "https://") {
		t.Errorf("orders v1 = %+v", v1)
	}
}
