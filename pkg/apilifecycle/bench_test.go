package apilifecycle_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware, not a recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkMiddleware is the lifecycle middleware on order-query (whose
// API has active, deprecated and retired versions): bare is the handler
// alone; active a /v2 request (what the middleware adds to every call of
// an active version); deprecated a /orders request (headers set, the call
// counted in memory); retired a /v0 request (the 410 written).
func BenchmarkMiddleware(b *testing.B) {
	f := newFixture(b, "order-query")
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	wrapped := f.l.Middleware(next)
	for _, tc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"bare", next, "/v2/orders"},
		{"active", wrapped, "/v2/orders"},
		{"deprecated", wrapped, "/orders"},
		{"retired", wrapped, "/v0/orders"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", tc.path, nil)
			r = r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: "acme", Class: apiclient.Authenticated}))
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				clear(w.h)
				tc.h.ServeHTTP(w, r)
			}
		})
	}
}
