package apispec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
)

// The runtime validator checks calls to functions with an API, under any
// qualifier, and lets the runtime's own endpoints through.
func TestRuntimeValidatesFunctionCalls(t *testing.T) {
	r, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	admin := cehttp.NewHandler(build(t, "resilience-admin"))
	mux := http.NewServeMux()
	mux.Handle("/functions/resilience-admin/", http.StripPrefix("/functions/resilience-admin", admin))
	mux.Handle("/functions/resilience-admin:live/", http.StripPrefix("/functions/resilience-admin:live", admin))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /functions/chaos-injector/faults", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"faults":[]}`) // the spec says an array
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := r.Client()
	for _, p := range []string{"/healthz", "/functions/resilience-admin/breakers", "/functions/resilience-admin:live/breakers", "/functions/chaos-injector/faults"} {
		res, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if n := r.Calls()["resilience-admin"]["resilience/v1 GET /breakers"]; n != 2 {
		t.Errorf("validated GET /breakers %d times, want 2: %v", n, r.Calls())
	}
	err = r.Err()
	if err == nil || !strings.Contains(err.Error(), "chaos/v1 GET /faults -> 200") || strings.Contains(err.Error(), "resilience") {
		t.Errorf("violations: %v, want only chaos's GET /faults", err)
	}
}
