package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestMiddleware(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 23, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clk.Now})
	l := newLimiter(t, policies(t, `
policies:
  - {class: anonymous, api: "*", rate: 60/min, burst: 2, quota: 3}
  - {class: premium, api: orders, rate: 100/s, burst: 100}
`), st, clk, 100*time.Millisecond)
	var apiSeen string
	h := l.Middleware(MiddlewareConfig{API: func(r *http.Request) string { apiSeen = "orders"; return apiSeen }})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	do := func(c *apiclient.Client) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/orders/1", nil)
		r.RemoteAddr = "192.0.2.1:5555"
		if c != nil {
			r = r.WithContext(apiclient.WithClient(r.Context(), *c))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	// Without an identity middleware: anonymous by address.
	w := do(nil)
	if w.Code != http.StatusNoContent {
		t.Fatalf("first request: %d", w.Code)
	}
	if got, want := w.Header().Get(PolicyHeader), `"anonymous/*";q=60;w=60, "anonymous/*/day";q=3;w=86400`; got != want {
		t.Errorf("RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := w.Header().Get(RateLimitHeader), `"anonymous/*";r=1;t=1, "anonymous/*/day";r=2;t=3600`; got != want {
		t.Errorf("RateLimit %q, want %q", got, want)
	}
	if w = do(nil); w.Code != http.StatusNoContent {
		t.Fatalf("second request: %d", w.Code)
	}
	// Over the burst: 429, Retry-After, problem body, headers.
	w = do(nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get(RetryAfterHeader) != "1" {
		t.Fatalf("over the burst: %d, Retry-After %q", w.Code, w.Header().Get(RetryAfterHeader))
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	var p faas.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.ErrorType != ErrTooManyRequests || p.Status != 429 {
		t.Errorf("body %s (%v)", w.Body, err)
	}
	if got := w.Header().Get(RateLimitHeader); !regexp.MustCompile(`^"anonymous/\*";r=0;t=1, `).MatchString(got) {
		t.Errorf("RateLimit on a 429: %q", got)
	}
	// The third request of the day spends the quota; the fourth is refused
	// until midnight (an hour).
	clk.Advance(2 * time.Second)
	if w = do(nil); w.Code != http.StatusNoContent {
		t.Fatalf("third request: %d", w.Code)
	}
	clk.Advance(2 * time.Second)
	w = do(nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get(RetryAfterHeader) != "3596" {
		t.Fatalf("quota spent: %d, Retry-After %q, want 429 until midnight", w.Code, w.Header().Get(RetryAfterHeader))
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.ErrorType != ErrQuotaExhausted {
		t.Errorf("quota body %s (%v)", w.Body, err)
	}
	// A premium client has its own policy on the API.
	w = do(&apiclient.Client{ID: "acme", Class: apiclient.Premium})
	if w.Code != http.StatusNoContent || w.Header().Get(PolicyHeader) != `"premium/orders";q=100;w=1` {
		t.Errorf("premium: %d, %q", w.Code, w.Header().Get(PolicyHeader))
	}
	// A class with no policy: no headers.
	w = do(&apiclient.Client{ID: "bob", Class: apiclient.Authenticated})
	if w.Code != http.StatusNoContent || w.Header().Get(PolicyHeader) != "" {
		t.Errorf("unlimited class: %d, %q", w.Code, w.Header().Get(PolicyHeader))
	}
}
