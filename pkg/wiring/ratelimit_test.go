package wiring

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestRateLimitMiddlewareFromConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ratelimits"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "ratelimits", "p.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("policies:\n- {class: anonymous, api: orders, rate: 1/min, burst: 1}\n- {class: anonymous, api: '*', rate: 100/s, burst: 100}\n")
	st := memory.New(memory.Config{})
	p := Ports{Store: st, Config: DirConfig(dir)}
	mw, err := RateLimitMiddleware(p, faas.Function{Name: "order-query"})
	if err != nil || mw == nil {
		t.Fatalf("RateLimitMiddleware: %v, %v", mw != nil, err)
	}
	idmw, _ := IdentityMiddleware(p, faas.Function{Name: "order-query"})
	h := idmw(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	code := func(path string) (int, string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		h.ServeHTTP(w, r)
		return w.Code, w.Header().Get("RateLimit-Policy")
	}
	// order-query serves the orders API (api/catalog.yaml).
	if c, pol := code("/orders/1"); c != 200 || !strings.HasPrefix(pol, `"anonymous/orders"`) {
		t.Errorf("first: %d %q", c, pol)
	}
	if c, _ := code("/orders/2"); c != http.StatusTooManyRequests {
		t.Errorf("second within the minute: %d, want 429", c)
	}
	// An unknown API key: 401 from the identity middleware.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/orders/1", nil)
	r.Header.Set(apiclient.APIKeyHeader, "cfk_nope")
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("unknown key: %d", w.Code)
	}

	write("policies:\n- {class: anonymous, api: '*', rate: 0/s, burst: 1}\n")
	if _, err := RateLimitMiddleware(p, faas.Function{Name: "order-query"}); err == nil || !strings.Contains(err.Error(), "policies[0].rate") {
		t.Errorf("bad policy: %v", err)
	}
	write("# none\n")
	if mw, err := RateLimitMiddleware(p, faas.Function{Name: "order-query"}); mw != nil || err != nil {
		t.Errorf("no policies: %v %v, want no middleware", mw != nil, err)
	}
	// The shipped file parses.
	if mw, err := RateLimitMiddleware(Ports{Store: st, Config: DirConfig("../../config")}, faas.Function{Name: "order-query"}); mw == nil || err != nil {
		t.Errorf("config/ratelimits: %v", err)
	}
}
