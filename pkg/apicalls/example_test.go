package apicalls_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicalls"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func Example() {
	c, _ := apicatalog.Parse([]byte("apis:\n  - {name: orders, version: v1, function: order-query, spec: orders.v1.yaml, state: active}\n"))
	now := func() time.Time { return time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC) }
	st := memory.New(memory.Config{Now: now})
	t, _ := apicalls.New(apicalls.Config{Store: st, Catalog: c, Function: "order-query", Now: now,
		Routes: []faas.Route{{Method: "GET", Path: "/orders/{id}"}}})
	h := t.Middleware(http.NotFoundHandler())
	r := httptest.NewRequest("GET", "/orders/o-1", nil)
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: "acme"})))
	_ = t.Flush(context.Background())

	hour := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	it, err := st.Get(context.Background(), apicalls.Key("orders", "GET /orders/{id}", "acme", hour))
	fmt.Println(string(it.Value), err)
	// Output: 1 <nil>
}
