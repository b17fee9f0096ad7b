package discoveryfn_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/registry/discoveryfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

type api struct {
	t   *testing.T
	url string
}

func (a api) do(method, path, body string) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, v
}

// The health-checker's routes over the CloudEvents HTTP adapter with the
// catalog validating: register, bad input naming the field, list,
// heartbeat, check against real endpoints with the transition published
// and valid against the catalog, deregister.
func TestRoutes(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	rec := &bustest.Recorder{}
	fn, err := discoveryfn.Builder(func(k string) string {
		return map[string]string{discoveryfn.EnvFailThreshold: "1", discoveryfn.EnvPassThreshold: "1"}[k]
	})(wiring.Ports{Store: memory.New(memory.Config{Now: clk.Now}), Bus: rec, Catalog: catalog, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cehttp.NewHandler(fn, adapter.WithValidator(catalog), adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))))
	defer srv.Close()
	a := api{t, srv.URL}
	ep := discoverytest.NewEndpoint(t)

	code, body := a.do("POST", "/instances", `{"service":"checkout","id":"i-1","url":"http://10.0.0.1","weight":3,"zone":"z1","metadata":{"v":"1"},"healthUrl":"`+ep.HealthURL()+`","ttl":"2m"}`)
	if code != 200 || body["weight"] != 3.0 || body["health"] != "unknown" || body["ttl"] != "2m0s" {
		t.Fatalf("register: %d %v", code, body)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"service":"checkout","id":"i-2","url":"http://h","weight":"abc"}`, "weight"},
		{`{"service":"checkout","id":"i-2","url":"http://h","weight":-1}`, "weight"},
		{`{"service":"checkout","id":"i-2","url":""}`, "url"},
		{`{"service":"checkout","id":"i-2","url":"http://h","ttl":"1s"}`, "ttl"},
		{`{"service":"check/out","id":"i-2","url":"http://h"}`, "service"},
	} {
		code, body := a.do("POST", "/instances", tc.body)
		detail, _ := body["detail"].(string)
		if code != 400 || !strings.Contains(detail, tc.field) {
			t.Errorf("%s: %d %v, want 400 naming %s", tc.body, code, body, tc.field)
		}
	}
	code, body = a.do("GET", "/instances", "")
	if code != 200 || len(body["instances"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, body)
	}
	if code, body = a.do("GET", "/instances/checkout?health=unhealthy", ""); code != 200 || len(body["instances"].([]any)) != 0 {
		t.Fatalf("filtered list: %d %v", code, body)
	}
	clk.Advance(time.Minute)
	if code, body = a.do("POST", "/instances/checkout/i-1/heartbeat", ""); code != 200 || body["renewedAt"] != clk.Now().Format(time.RFC3339) {
		t.Fatalf("heartbeat: %d %v", code, body)
	}
	if code, body = a.do("POST", "/instances/checkout/i-9/heartbeat", ""); code != 422 || body["errorType"] != discovery.ErrNameNotFound {
		t.Fatalf("heartbeat of nothing: %d %v", code, body)
	}
	ep.SetHealthy(false)
	code, body = a.do("POST", "/check", "")
	if code != 200 || body["unhealthy"] != 1.0 || len(body["changes"].([]any)) != 1 {
		t.Fatalf("check: %d %v", code, body)
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Type() != discovery.HealthChangedType {
		t.Fatalf("published %v", evs)
	}
	if err := catalog.Validate(evs[0]); err != nil {
		t.Fatalf("published event invalid: %v", err)
	}
	if code, _ = a.do("DELETE", "/instances/checkout/i-1", ""); code != 200 {
		t.Fatalf("deregister: %d", code)
	}
	if code, body = a.do("DELETE", "/instances/checkout/i-1", ""); code != 422 {
		t.Fatalf("deregister again: %d %v", code, body)
	}
}

func TestBadEnvironment(t *testing.T) {
	_, err := discoveryfn.CheckerSettings(func(k string) string {
		return map[string]string{discoveryfn.EnvFailThreshold: "three", discoveryfn.EnvPassThreshold: "0", discoveryfn.EnvProbeTimeout: "-1s"}[k]
	})
	for _, v := range []string{discoveryfn.EnvFailThreshold, discoveryfn.EnvPassThreshold, discoveryfn.EnvProbeTimeout} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("%v does not name %s", err, v)
		}
	}
}
