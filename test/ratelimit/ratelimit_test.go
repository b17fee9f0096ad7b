// Package ratelimit_test drives the rate-limit middleware through the real
// CLI and local runtime: an API key created with `cogniforge api keys
// create` identifies a premium client, the policies of a config directory
// limit the anonymous and the premium on the orders API (order-query), and
// every limited response carries the RateLimit headers.
package ratelimit_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

func TestRateLimitsOnTheLocalRuntime(t *testing.T) {
	dataDir, cfg := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfg, "ratelimits"), 0o755); err != nil {
		t.Fatal(err)
	}
	policies := `policies:
  - {class: anonymous, api: orders, rate: 1/min, burst: 3}
  - {class: premium, api: "*", rate: 100/s, burst: 100, quota: 100000}
`
	if err := os.WriteFile(filepath.Join(cfg, "ratelimits", "policies.yaml"), []byte(policies), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cli, "api", "keys", "create", "--client", "acme", "--class", "premium", "--data-dir", dataDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("api keys create: %v: %s", err, errb.String())
	}
	key := strings.TrimSpace(out.String())

	rt := testenv.StartRuntime(t, cli, "--data-dir", dataDir, "--config", cfg, "--statemachines", "")
	token, err := os.ReadFile(filepath.Join(dataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(apiKey string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+rt.Addr+"/functions/order-query/orders", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		if apiKey != "" {
			req.Header.Set("X-Api-Key", apiKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		resp := get("")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Policy") != `"anonymous/orders";q=1;w=60` {
			t.Fatalf("anonymous request %d: %s, RateLimit-Policy %q\n%s", i+1, resp.Status, resp.Header.Get("RateLimit-Policy"), rt.Logs())
		}
	}
	resp := get("")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(resp.Header.Get("RateLimit"), `"anonymous/orders";r=0;t=`) {
		t.Errorf("anonymous over the burst: %s, Retry-After %q, RateLimit %q", resp.Status, resp.Header.Get("Retry-After"), resp.Header.Get("RateLimit"))
	}
	resp = get(key)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("RateLimit-Policy"), `"premium/*";q=100;w=1, "premium/*/day";q=100000;w=86400`) {
		t.Errorf("premium key: %s, RateLimit-Policy %q", resp.Status, resp.Header.Get("RateLimit-Policy"))
	}
	if resp := get("cfk_not-a-key"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown key: %s, want 401", resp.Status)
	}
}
