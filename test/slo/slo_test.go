// Package slo_test drives the SLO capability through the real CLI: the
// whole local path (event-gateway → bus → queue → slo-aggregator, read by
// `cogniforge slo status`), and `cogniforge slo replay`'s output contract on
// recorded streams whose answers follow from the SRE Workbook's arithmetic.
package slo_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

// repo is the repository root (the package runs in test/slo).
func repo(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.Run(t, cli, args...)
}

type status struct {
	SLO   string `json:"slo"`
	Good  int64  `json:"good"`
	Total int64  `json:"total"`
}

func statuses(t *testing.T, args ...string) map[string]status {
	t.Helper()
	out, errOut, code := run(t, append([]string{"slo", "status", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("slo status %v: exit %d\n%s", args, code, errOut)
	}
	var v struct {
		SLOs []status `json:"slos"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("slo status --json: %v\n%s", err, out)
	}
	m := map[string]status{}
	for _, s := range v.SLOs {
		m[s.SLO] = s
	}
	return m
}

// TestGatewayToStatus is issue 10's `make run` proof: an event posted to
// event-gateway shows up in `slo status`, while the runtime runs (asked
// through it) and after it stopped (read from the data directory).
func TestGatewayToStatus(t *testing.T) {
	dataDir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cmd := exec.Command(cli, "run", "--addr", addr, "--data-dir", dataDir, "--config", filepath.Join(repo(t), "config"), "--statemachines", "")
	cmd.Dir = t.TempDir()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	until(t, done, "the runtime answers", func() bool {
		resp, err := http.Get("http://" + addr + "/functions")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	// Every call to the gateway and the SLO API is checked against their
	// specs (api/*.yaml).
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	defer apis.Report(t, "slo-evaluator", "event-gateway")
	post := func(id, data string) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/functions/event-gateway", strings.NewReader(data))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "//checkout")
		req.Header.Set("ce-type", "dev.cogniforge.request.completed.v1")
		req.Header.Set("content-type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway answered %s to event %s", resp.Status, id)
		}
	}
	post("ok-1", `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`)
	post("err-1", `{"service":"checkout","operation":"POST /orders","status":"error","httpStatus":503,"durationMs":900}`)
	post("ok-1", `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`) // sent again
	until(t, done, "slo status counts both events", func() bool {
		s := statuses(t, "--data-dir", dataDir)["checkout-availability"]
		return s.Total == 2
	})
	s := statuses(t, "--data-dir", dataDir)["checkout-availability"]
	if s.Good != 1 || s.Total != 2 {
		t.Errorf("while running: %+v, want 1 good of 2 (the resent event counted once)", s)
	}
	// The SLO API over HTTP, as its spec says.
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/slos", 200},
		{"GET", "/slos?time=" + time.Now().UTC().Format(time.RFC3339), 200},
		{"GET", "/slos/checkout-availability", 200},
		{"GET", "/slos/checkout-availability/history?step=1h", 200},
		{"POST", "/evaluate", 200},
		{"GET", "/slos/no-such-slo", 422},
		{"GET", "/slos/checkout-availability/history?step=sideways", 400},
	} {
		req, _ := http.NewRequest(c.method, "http://"+addr+"/functions/slo-evaluator"+c.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %s %s, want %d", c.method, c.path, resp.Status, b, c.want)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("cogniforge run did not stop:\n%s", logs.String())
	}
	got := statuses(t, "--data-dir", dataDir, "--config", filepath.Join(repo(t), "config"))
	if got["checkout-availability"] != s {
		t.Errorf("read from the stopped runtime's data dir: %+v, want %+v", got["checkout-availability"], s)
	}
	if _, ok := got["checkout-latency"]; !ok {
		t.Errorf("slo status lists %v, want every SLO of config/slos", keys(got))
	}
}

func keys(m map[string]status) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func until(t *testing.T, done chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case <-done:
			t.Fatalf("cogniforge run exited while waiting until %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// availability is a 99.9% SLO with the default alert table.
const availability = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata: {name: api-ok}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: cogniforge, spec: {service: api, status: ok}}}
        total: {metricSource: {type: cogniforge, spec: {service: api}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
`

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// stream writes one request-completed CloudEvent every gap; bad(i) says
// which fail; dup(i) sends event i twice (an SQS redelivery).
func stream(t *testing.T, gap, d time.Duration, bad, dup func(time.Time) bool) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "events.ndjson")
	var b bytes.Buffer
	i := 0
	for tm := t0; tm.Before(t0.Add(d)); tm = tm.Add(gap) {
		st := "ok"
		if bad(tm) {
			st = "error"
		}
		line := fmt.Sprintf(`{"specversion":"1.0","id":"e-%d","source":"//api","type":"dev.cogniforge.request.completed.v1","time":%q,"datacontenttype":"application/json","correlationid":"e-%d","data":{"service":"api","operation":"GET /x","status":%q,"durationMs":12}}`+"\n",
			i, tm.Format(time.RFC3339), i, st)
		b.WriteString(line)
		if dup != nil && dup(tm) {
			b.WriteString(line)
		}
		i++
	}
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

type line struct {
	Time     time.Time          `json:"time"`
	SLO      string             `json:"slo"`
	Severity string             `json:"severity"`
	State    string             `json:"state"`
	BurnRate map[string]float64 `json:"burnRate"`
	Windows  []string           `json:"windows"`
}

func replay(t *testing.T, events string) (raw string, lines []line) {
	t.Helper()
	def := filepath.Join(t.TempDir(), "slo.yaml")
	if err := os.WriteFile(def, []byte(availability), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "slo", "replay", "--slo", def, "--events", events, "--step", "1m")
	if code != 0 {
		t.Fatalf("slo replay: exit %d\n%s", code, errOut)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("replay line %q: %v", sc.Text(), err)
		}
		var names []string
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		if want := []string{"burnRate", "severity", "slo", "state", "time", "windows"}; !reflect.DeepEqual(names, want) {
			t.Errorf("replay line has fields %v, want %v", names, want)
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return out, lines
}

func TestReplayOutageContract(t *testing.T) {
	start, end := t0.Add(2*time.Hour), t0.Add(2*time.Hour+20*time.Minute)
	outage := func(tm time.Time) bool { return !tm.Before(start) && tm.Before(end) }
	raw, lines := replay(t, stream(t, time.Second, 4*time.Hour, outage, nil))
	var fired, resolved *line
	for i := range lines {
		l := &lines[i]
		if l.SLO != "api-availability" || len(l.Windows) != 2 || l.BurnRate["long"] < 0 {
			t.Errorf("bad line %+v", l)
		}
		if l.Severity == "page" && l.State == "firing" && fired == nil {
			fired = l
		}
		if l.Severity == "page" && l.State == "resolved" {
			resolved = l
		}
	}
	if fired == nil || resolved == nil {
		t.Fatalf("a total outage must page and resolve:\n%s", raw)
	}
	if d := fired.Time.Sub(start); d <= 0 || d > 3*time.Minute {
		t.Errorf("paged %s after the outage began, want within 3m", d)
	}
	if d := resolved.Time.Sub(end); d <= 0 || d > 40*time.Minute {
		t.Errorf("resolved %s after recovery, want within 40m", d)
	}
	if fired.BurnRate["long"] <= 14.4 || fired.BurnRate["short"] <= 14.4 || fired.Windows[0] != "1h" || fired.Windows[1] != "5m" {
		t.Errorf("the page fired on %+v, want 1h/5m over 14.4", fired)
	}
	// Every event delivered twice: the same transitions.
	again, _ := replay(t, stream(t, time.Second, 4*time.Hour, outage, func(time.Time) bool { return true }))
	if again != raw {
		t.Errorf("redelivered events changed the replay:\n%s\nwant\n%s", again, raw)
	}
}

func TestReplayQuietAndBadInput(t *testing.T) {
	// 0.05% errors: a quarter of the budget rate raises nothing.
	n := 0
	quiet := stream(t, 2*time.Second, 12*time.Hour, func(time.Time) bool { n++; return n%2000 == 0 }, nil)
	if raw, _ := replay(t, quiet); raw != "" {
		t.Errorf("a 0.05%% error rate raised:\n%s", raw)
	}
	if _, errOut, code := run(t, "slo", "replay", "--events", quiet); code != 2 || !strings.Contains(errOut, "--slo") {
		t.Errorf("replay without --slo: exit %d, %q; want 2 naming --slo", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(availability, "target: 0.999", "target: 1.5", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "slo", "validate", bad); code != 1 || !strings.Contains(errOut, "objectives[0].target") {
		t.Errorf("validate of a target of 1.5: exit %d, %q; want 1 naming the field", code, errOut)
	}
}
