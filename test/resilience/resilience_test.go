// Package resilience_test drives the call policies through the real CLI
// and the local runtime (the event gateway's PutEvents behind the shared
// event-bus breaker, `cogniforge resilience status` and `force`), and
// proves the shared breaker across two processes over one DynamoDB table
// (moto).
package resilience_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(child())
	}
	os.Exit(testenv.MainWithCLI(m, &cli))
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.Run(t, cli, args...)
}

func status(t *testing.T, args ...string) resilience.Status {
	t.Helper()
	out, errOut, code := run(t, append([]string{"resilience", "status", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("resilience status %v: exit %d\n%s", args, code, errOut)
	}
	var st resilience.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("resilience status --json: %v\n%s", err, out)
	}
	return st
}

func breaker(st resilience.Status, name string) (resilience.BreakerStatus, bool) {
	for _, b := range st.Breakers {
		if b.Name == name {
			return b, true
		}
	}
	return resilience.BreakerStatus{}, false
}

// TestGatewayBehindTheSharedBreaker: the local runtime's event gateway
// publishes through the event-bus policy; forcing its breaker open with the
// CLI makes the gateway answer 503 without calling the bus, clearing it lets
// events through, and status shows the breaker and the gateway's bulkhead,
// through the running runtime and from the data directory after it stopped.
func TestGatewayBehindTheSharedBreaker(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	rt := testenv.StartRuntime(t, cli, "--config", filepath.Join(repo, "config"), "--statemachines", "")
	dataDir, addr := rt.DataDir, rt.Addr
	// Every call to the gateway and the resilience API is checked against
	// their specs (api/*.yaml), the gateway's 503 with the breaker open too.
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	n := 0
	post := func() int {
		n++
		req, _ := http.NewRequest("POST", "http://"+addr+"/functions/event-gateway",
			strings.NewReader(`{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", fmt.Sprintf("evt-%d", n))
		req.Header.Set("ce-source", "//checkout")
		req.Header.Set("ce-type", "dev.cogniforge.request.completed.v1")
		req.Header.Set("content-type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != 200 {
		t.Fatalf("gateway answered %d with the breaker closed", code)
	}
	if _, errOut, code := run(t, "resilience", "force", "event-bus", "--mode", "sideways", "--data-dir", dataDir); code != 2 || !strings.Contains(errOut, "mode") {
		t.Errorf("bad mode: exit %d, %s", code, errOut)
	}
	out, errOut, code := run(t, "resilience", "force", "event-bus", "--mode", "open", "--for", "10m", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("force: exit %d\n%s", code, errOut)
	}
	var forced resilience.BreakerStatus
	if err := json.Unmarshal([]byte(out), &forced); err != nil || forced.Forced != resilience.ForceOpen {
		t.Fatalf("force printed %s (%v)", out, err)
	}
	// Instances read the shared state once per cache period (1 s).
	rt.Until(t, "the gateway refuses with the breaker forced open", func() bool { return post() == 503 })
	st := status(t, "--data-dir", dataDir)
	if b, ok := breaker(st, "event-bus"); !ok || b.Forced != resilience.ForceOpen {
		t.Errorf("status while running: %+v", st)
	}
	if len(st.Bulkheads) != 1 || st.Bulkheads[0].Name != "event-bus" || st.Bulkheads[0].Limits.MaxConcurrent != 15 || st.Bulkheads[0].Instances < 1 {
		t.Errorf("bulkheads while running: %+v", st.Bulkheads)
	}
	if _, errOut, code := run(t, "resilience", "force", "event-bus", "--mode", "none", "--data-dir", dataDir); code != 0 {
		t.Fatalf("clear: exit %d\n%s", code, errOut)
	}
	rt.Until(t, "the gateway publishes again", func() bool { return post() == 200 })
	token, err := os.ReadFile(filepath.Join(dataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckRoutes(t, hc, "http://"+addr+"/functions/resilience-admin", string(token), []testenv.Route{
		testenv.R("GET", "/breakers", "", 200),
		testenv.R("POST", "/breakers/api-check/force", `{"mode":"closed","for":"1m"}`, 200),
		testenv.R("POST", "/breakers/api-check/force", `{"mode":"none"}`, 200),
		testenv.R("POST", "/breakers/api-check/force", `{"mode":"sideways"}`, 400),
	})
	apis.Report(t, "event-gateway", "resilience-admin")

	rt.Stop(t)
	st = status(t, "--data-dir", dataDir)
	if b, ok := breaker(st, "event-bus"); !ok || b.State != resilience.Closed || b.Forced != resilience.ForceNone {
		t.Errorf("status from the data directory: %+v", st)
	}
	out, _, code = run(t, "resilience", "status", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "BREAKER") || !strings.Contains(out, "event-bus") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}
