package governance

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// A server that does everything right: bearer auth, a 1 KiB body limit
// (413), and a limit of 5 requests per token (429 with Retry-After).
func goodServer() *httptest.Server {
	var mu sync.Mutex
	calls := map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("Authorization")
		if tok == "" {
			http.Error(w, "no credentials", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		calls[tok]++
		n := calls[tok]
		mu.Unlock()
		if n > 5 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1024)
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
}

// A server that accepts anything, or throttles without Retry-After.
func badServer(throttle bool) *httptest.Server {
	n := 0
	var mu sync.Mutex
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		io.ReadAll(r.Body)
		if throttle && k > 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
}

func probeRules(t *testing.T, srv *httptest.Server) []string {
	t.Helper()
	spec, err := os.ReadFile("testdata/clean/orders.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Probe(context.Background(), srv.URL, spec, ProbeOptions{
		Client: srv.Client(), Header: http.Header{"Authorization": {"Bearer probe"}},
		BodyBytes: 64 << 10, Burst: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		if !strings.HasPrefix(f.Rule, "probe-") || f.Category == "" || f.Path == "" || f.Message == "" {
			t.Errorf("malformed probe finding %+v", f)
		}
		got = append(got, f.Rule+" "+f.Path)
	}
	sort.Strings(got)
	return got
}

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  func() *httptest.Server
		want []string
	}{
		{"passes", goodServer, nil},
		{"accepts everything", func() *httptest.Server { return badServer(false) }, []string{
			"probe-oversized-body-accepted paths./orders.post",
			"probe-rate-limit-missing paths./orders.get",
			"probe-unauthenticated-accepted paths./orders.get",
			"probe-unauthenticated-accepted paths./orders/{orderId}.get",
		}},
		{"429 without Retry-After", func() *httptest.Server { return badServer(true) }, []string{
			"probe-oversized-body-accepted paths./orders.post",
			"probe-rate-limit-no-retry-after paths./orders.get",
			"probe-unauthenticated-accepted paths./orders.get",
			"probe-unauthenticated-accepted paths./orders/{orderId}.get",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv()
			defer srv.Close()
			got := probeRules(t, srv)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestProbeBadInput(t *testing.T) {
	if _, err := Probe(context.Background(), "ftp://x", []byte("openapi: 3.0.0\npaths: {}"), ProbeOptions{}); err == nil {
		t.Error("ftp base URL accepted")
	}
	if _, err := Probe(context.Background(), "http://127.0.0.1:1", []byte(`{"name": "pkg"}`), ProbeOptions{}); !IsInputError(err) {
		t.Errorf("package.json: %v", err)
	}
}

// TestProbeInconclusive: a server answering 404 everywhere neither passes
// nor fails the probes; each says so at info level.
func TestProbeInconclusive(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	got := probeRules(t, srv)
	for _, g := range got {
		if !strings.HasPrefix(g, RuleProbeInconclusive+" ") {
			t.Errorf("unexpected %s", g)
		}
	}
	if len(got) != 4 { // two unauthenticated GETs, the body, the burst
		t.Errorf("got %v", got)
	}
}

// TestProbeUnsafe: writes are probed without credentials only when asked.
func TestProbeUnsafe(t *testing.T) {
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			methods = append(methods, r.Method)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	spec, _ := os.ReadFile("testdata/clean/orders.yaml")
	for _, unsafe := range []bool{false, true} {
		methods = nil
		if _, err := Probe(context.Background(), srv.URL, spec, ProbeOptions{Client: srv.Client(), Unsafe: unsafe, Skip: []string{"body", "rate"}}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(methods)
		want := "GET GET"
		if unsafe {
			want = "GET GET POST"
		}
		if strings.Join(methods, " ") != want {
			t.Errorf("unsafe=%v: sent %v, want %s", unsafe, methods, want)
		}
	}
}
