// Package discovery_test drives service discovery through the real CLI and
// the local runtime: instances registered, probed, renewed and removed
// with `cogniforge discovery` against `cogniforge run --data-dir`, then
// read from the data directory's store after the runtime stopped.
package discovery_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.RunEnv(t, cli, []string{"COGNIFORGE_API_TOKEN="}, args...)
}

type instance struct {
	ID       string `json:"id"`
	Weight   int    `json:"weight"`
	Zone     string `json:"zone"`
	Health   string `json:"health"`
	Routable bool   `json:"routable"`
	Failures int    `json:"consecutiveFailures"`
	Changes  int    `json:"changes"`
	Pending  []any  `json:"pending"`
}

func list(t *testing.T, args ...string) map[string]instance {
	t.Helper()
	out, errOut, code := run(t, append([]string{"discovery", "list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("discovery list %v: exit %d\n%s", args, code, errOut)
	}
	var v struct {
		Instances []instance `json:"instances"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("discovery list --json: %v\n%s", err, out)
	}
	m := map[string]instance{}
	for _, in := range v.Instances {
		m[in.ID] = in
	}
	return m
}

func TestDiscoveryThroughTheRuntime(t *testing.T) {
	rt := testenv.StartRuntime(t, cli, "--statemachines", "")
	dataDir, addr := rt.DataDir, rt.Addr

	var sick atomic.Bool
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sick.Load() && r.URL.Path == "/b" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer health.Close()

	dd := []string{"--data-dir", dataDir}
	for _, a := range [][]string{
		{"a", "--weight", "3", "--zone", "z1", "--meta", "version=1.2.0"},
		{"b", "--zone", "z2", "--ttl", "10m"},
	} {
		out, errOut, code := run(t, append(append([]string{"discovery", "register", "checkout", a[0], "http://" + a[0] + ".internal:8080",
			"--health-url", health.URL + "/" + a[0]}, a[1:]...), dd...)...)
		if code != 0 || !strings.Contains(out, "registered checkout/"+a[0]) {
			t.Fatalf("register %s: exit %d\n%s%s", a[0], code, out, errOut)
		}
	}
	// Bad input: exit 2 naming the field, nothing written.
	for _, bad := range [][]string{
		{"c", "http://c", "--weight", "heavy"},
		{"c", "http://c", "--weight", "-3"},
		{"c", ""},
		{"c", "http://c", "--ttl", "1s"},
	} {
		_, errOut, code := run(t, append(append([]string{"discovery", "register", "checkout"}, bad...), dd...)...)
		field := map[bool]string{true: "weight", false: "url"}[len(bad) > 2 && bad[2] == "--weight"]
		if len(bad) > 2 && bad[2] == "--ttl" {
			field = "ttl"
		}
		if code != 2 || !strings.Contains(errOut, field) {
			t.Errorf("register %v: exit %d, %q; want 2 naming %s", bad, code, errOut, field)
		}
	}
	if got := list(t, dd...); len(got) != 2 || got["a"].Weight != 3 || got["b"].Weight != 1 || got["a"].Health != "unknown" {
		t.Fatalf("listed %+v", got)
	}
	// b's endpoint fails: three checks make it unhealthy, and out of rotation.
	sick.Store(true)
	for range 3 {
		if out, errOut, code := run(t, append([]string{"discovery", "check"}, dd...)...); code != 0 {
			t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
		}
	}
	got := list(t, append([]string{"checkout"}, dd...)...)
	if got["a"].Health != "healthy" || !got["a"].Routable || got["b"].Health != "unhealthy" || got["b"].Routable || got["b"].Failures != 3 {
		t.Fatalf("after three checks: %+v", got)
	}
	if got := list(t, append([]string{"--health", "unhealthy"}, dd...)...); len(got) != 1 || got["b"].ID != "b" {
		t.Fatalf("unhealthy ones: %+v", got)
	}
	// What the runtime's rate(1 minute) schedule delivers runs a check too:
	// b's endpoint answers again, and two scheduled runs bring it back.
	sick.Store(false)
	token, err := os.ReadFile(filepath.Join(dataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		req, _ := http.NewRequest("POST", "http://"+addr+"/functions/health-checker", strings.NewReader(
			`{"schedule":"rate(1 minute)","scheduledTime":"2026-11-23T14:05:00Z","executionId":"x"}`))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", fmt.Sprintf("tick-%d", i))
		req.Header.Set("ce-source", "cogniforge://runtime/schedules/health-checker")
		req.Header.Set("ce-type", "dev.cogniforge.schedule.fired.v1")
		req.Header.Set("content-type", "application/json")
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("scheduled run %d: %s", i, resp.Status)
		}
	}
	// Each transition was published on the runtime's bus: none is pending.
	if got := list(t, append([]string{"checkout"}, dd...)...); got["b"].Health != "healthy" || !got["b"].Routable || got["b"].Changes != 2 || len(got["b"].Pending) != 0 {
		t.Fatalf("after two scheduled runs: %+v", got)
	}
	sick.Store(true)
	for range 3 {
		if _, errOut, code := run(t, append([]string{"discovery", "check"}, dd...)...); code != 0 {
			t.Fatalf("check: exit %d %s", code, errOut)
		}
	}
	if out, errOut, code := run(t, append([]string{"discovery", "heartbeat", "checkout", "a", "--json"}, dd...)...); code != 0 || !strings.Contains(out, `"renewedAt"`) {
		t.Fatalf("heartbeat: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, append([]string{"discovery", "heartbeat", "checkout", "zz"}, dd...)...); code != 1 || !strings.Contains(errOut, "no such instance") {
		t.Fatalf("heartbeat of nothing: exit %d %s", code, errOut)
	}
	if out, _, code := run(t, append([]string{"discovery", "deregister", "checkout", "a"}, dd...)...); code != 0 || !strings.Contains(out, "deregistered checkout/a") {
		t.Fatalf("deregister: exit %d %s", code, out)
	}
	// The discovery API over HTTP, validated against its spec (the
	// scheduled runs above go to the events path, which it does not
	// document). Instance c comes and goes.
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	testenv.CheckRoutes(t, hc, "http://"+addr+"/functions/health-checker", string(token), []testenv.Route{
		testenv.R("POST", "/instances", `{"service":"cart","id":"c","url":"https://c.internal:8443","weight":2,"zone":"z1","metadata":{"version":"2.0.0"},"ttl":"5m"}`, 200),
		testenv.R("GET", "/instances", "", 200),
		testenv.R("GET", "/instances?service=cart&health=unknown", "", 200),
		testenv.R("GET", "/instances/checkout?health=unhealthy", "", 200),
		testenv.R("POST", "/instances/cart/c/heartbeat", "", 200),
		testenv.R("POST", "/check", "", 200),
		testenv.R("DELETE", "/instances/cart/c", "", 200),
		testenv.R("DELETE", "/instances/cart/c", "", 422),
		testenv.R("POST", "/instances", `{"service":"cart","id":"d","url":"https://d.internal","weight":-1}`, 400),
	})
	apis.Report(t, "health-checker")
	// Stopped, the data directory's store answers directly.
	rt.Stop(t)
	if got := list(t, dd...); len(got) != 1 || got["b"].Health != "unhealthy" {
		t.Fatalf("from the store after the runtime stopped: %+v", got)
	}
	if _, _, code := run(t, append([]string{"discovery", "deregister", "checkout", "a"}, dd...)...); code != 1 {
		t.Fatalf("second deregister: exit %d, want 1", code)
	}
}
