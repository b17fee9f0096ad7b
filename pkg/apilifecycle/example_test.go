package apilifecycle_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
)

// orders v1 (unprefixed) is deprecated, v2 active, v0 retired: the
// middleware announces, passes and refuses them.
func Example() {
	c, _ := apicatalog.Parse([]byte(`
apis:
  - {name: orders, version: v2, function: order-query, spec: orders.v2.yaml, state: active, prefix: /v2}
  - {name: orders, version: v1, function: order-query, spec: orders.v1.yaml, state: deprecated,
     deprecated: 2026-12-03, sunset: 2027-06-30, migration: "https://docs.example.com/orders-v2"}
  - {name: orders, version: v0, function: order-query, spec: orders.v0.yaml, state: retired, prefix: /v0,
     deprecated: 2025-06-01, sunset: 2026-01-31, migration: "https://docs.example.com/orders-v2"}
`))
	l, err := apilifecycle.New(apilifecycle.Config{Catalog: c, Function: "order-query",
		Now: func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }))
	for _, path := range []string{"/orders", "/v2/orders", "/v0/orders"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%s %d deprecation=%q sunset=%q\n", path, w.Code, w.Header().Get("Deprecation"), w.Header().Get("Sunset"))
	}
	// Output:
	// /orders 200 deprecation="@1796256000" sunset="Wed, 30 Jun 2027 00:00:00 GMT"
	// /v2/orders 200 deprecation="" sunset=""
	// /v0/orders 410 deprecation="" sunset="Sat, 31 Jan 2026 00:00:00 GMT"
}
