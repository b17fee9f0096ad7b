package apigov_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicalls"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// The calls a function URL's tally counts are the calls the auditor names
// as a breaking change's callers.
func TestAuditorReadsTheFunctionURLTally(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Config{Now: clk.now})
	cat, err := apicatalog.Parse([]byte("apis:\n  - {name: orders, version: v1, function: order-query, spec: orders.v1.yaml, state: active}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := apicalls.New(apicalls.Config{Store: st, Catalog: cat, Function: "order-query", Now: clk.now,
		Routes: []faas.Route{{Method: "GET", Path: "/orders/{id}"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := tl.Middleware(http.NotFoundHandler())
	r := httptest.NewRequest("GET", "/orders/o-7", nil)
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: "acme"})))
	if err := tl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, err := apigov.New(apigov.Config{Store: st, Audit: fakeAudit, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	calls, err := g.Calls(context.Background(), "orders", clk.t.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Caller != "acme" || calls[0].Operation != "GET /orders/{id}" || calls[0].Count != 1 {
		t.Fatalf("calls %+v, want acme's one GET /orders/{id}", calls)
	}
}
