package apicalls_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicalls"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

const catalog = `
apis:
  - {name: orders, version: v1, function: order-query, spec: orders.v1.yaml, state: active}
  - {name: orders, version: v2, function: order-query, spec: orders.v2.yaml, state: active, prefix: /v2}
`

type writes struct {
	store.Store
	n int
}

func (w *writes) Transact(ctx context.Context, ops []store.Op) error {
	w.n++
	return w.Store.Transact(ctx, ops)
}

func tally(t *testing.T, st store.Store, now *time.Time) *apicalls.Tally {
	t.Helper()
	c, err := apicatalog.Parse([]byte(catalog))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := apicalls.New(apicalls.Config{Store: st, Catalog: c, Function: "order-query", Now: func() time.Time { return *now },
		Routes: []faas.Route{{Method: "GET", Path: "/orders"}, {Method: "GET", Path: "/orders/{id}"}, {Method: "GET", Path: "/v2/orders/{id}"}}})
	if err != nil || tl == nil {
		t.Fatalf("New: %v, %v", tl, err)
	}
	return tl
}

func call(h http.Handler, method, path, caller string) {
	r := httptest.NewRequest(method, path, nil)
	if caller != "" {
		r = r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: caller}))
	}
	h.ServeHTTP(httptest.NewRecorder(), r)
}

// Calls add up by API, operation template and caller, and reach the store
// in one transaction per flush interval, under pkg/apicalls's keys.
func TestTallyBatchesByOperationAndCaller(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC)
	st := &writes{Store: memory.New(memory.Config{Now: func() time.Time { return now }})}
	h := tally(t, st, &now).Middleware(http.NotFoundHandler())
	for range 3 {
		call(h, "GET", "/orders/o-1", "acme")
	}
	call(h, "GET", "/orders/o-2", "beta")
	call(h, "GET", "/v2/orders/o-2", "acme")
	call(h, "GET", "/metrics", "acme") // no route: not an operation
	if st.n != 0 {
		t.Fatalf("%d writes before the flush interval", st.n)
	}
	now = now.Add(time.Minute)
	call(h, "GET", "/orders", "")
	if st.n != 1 {
		t.Fatalf("%d writes after the interval, want one transaction", st.n)
	}
	hour := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		op, caller string
		want       int64
	}{{"GET /orders/{id}", "acme", 3}, {"GET /orders/{id}", "beta", 1}, {"GET /v2/orders/{id}", "acme", 1}, {"GET /orders", "", 1}} {
		it, err := st.Get(context.Background(), apicalls.Key("orders", c.op, c.caller, hour))
		if err != nil {
			t.Fatalf("%s by %q: %v", c.op, c.caller, err)
		}
		if got, _ := strconv.ParseInt(string(it.Value), 10, 64); got != c.want {
			t.Errorf("%s by %q: %d calls, want %d", c.op, c.caller, got, c.want)
		}
	}
}

func TestFunctionWithoutAnAPIIsNotCounted(t *testing.T) {
	c, _ := apicatalog.Parse([]byte(catalog))
	tl, err := apicalls.New(apicalls.Config{Store: memory.New(memory.Config{}), Catalog: c, Function: "payment"})
	if err != nil || tl != nil {
		t.Fatalf("New for a function with no API: %v, %v; want nil, nil", tl, err)
	}
	if _, err := apicalls.New(apicalls.Config{}); err == nil {
		t.Fatal("a config without store, catalog and function was accepted")
	}
}
