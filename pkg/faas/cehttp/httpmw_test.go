package cehttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
)

// HTTP middleware wraps routes and the events path alike, outermost
// first, and may answer without calling the function.
func TestHTTPMiddlewareWrapsEveryRequest(t *testing.T) {
	called := 0
	fn := faas.Function{Name: "api", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
		called++
		return nil, nil
	}, Routes: []faas.Route{{Method: "GET", Path: "/things", EventType: "dev.cogniforge.request.completed.v1"}}}
	var order []string
	tag := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				w.Header().Add("X-Seen", name)
				if r.URL.Path == "/gone" {
					w.WriteHeader(http.StatusGone)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	h := cehttp.NewHandler(fn, adapter.WithHTTPMiddleware(tag("outer")), adapter.WithHTTPMiddleware(tag("inner")))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/things", nil))
	if rec.Code != http.StatusNoContent || called != 1 {
		t.Fatalf("GET /things: status %d, handler called %d times; want 204 and 1", rec.Code, called)
	}
	if got := rec.Header().Values("X-Seen"); len(got) != 2 || got[0] != "outer" || got[1] != "inner" {
		t.Fatalf("X-Seen = %v, want [outer inner]", got)
	}

	order = nil
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/gone", nil))
	if rec.Code != http.StatusGone || called != 1 || len(order) != 1 {
		t.Fatalf("GET /gone: status %d, handler calls %d, middleware %v; want 410 from the outer middleware alone", rec.Code, called, order)
	}
}
