// Package release_test drives releases through the real CLI and a local
// runtime: the release state machine run by the local Step Functions
// engine, the alias's weights kept in the runtime's store, and its
// weighted routing of /functions/NAME:live.
package release_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

type runtime struct {
	t       *testing.T
	addr    string
	dataDir string
	done    chan struct{}
	seq     atomic.Int64
}

func start(t *testing.T) *runtime {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rt := &runtime{t: t, dataDir: t.TempDir(), addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), done: make(chan struct{})}
	cmd := exec.Command(cli, "run", "--addr", rt.addr, "--data-dir", rt.dataDir, "--config", filepath.Join(repo, "config"),
		"--statemachines", filepath.Join(repo, "statemachines"))
	cmd.Dir = t.TempDir()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(rt.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-rt.done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-rt.done
		}
		if t.Failed() {
			t.Logf("runtime logs:\n%s", tail(logs.String(), 4000))
		}
	})
	rt.until("the runtime answers", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + rt.addr + "/functions")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return rt
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (rt *runtime) until(what string, d time.Duration, cond func() bool) {
	rt.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		select {
		case <-rt.done:
			rt.t.Fatalf("cogniforge run exited while waiting until %s", what)
		default:
		}
		if time.Now().After(deadline) {
			rt.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cli runs a cogniforge release command against the runtime.
func (rt *runtime) cli(args ...string) (stdout, stderr string, code int) {
	rt.t.Helper()
	cmd := exec.Command(cli, append(append([]string{"release"}, args...), "--data-dir", rt.dataDir)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		rt.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (rt *runtime) ok(args ...string) string {
	rt.t.Helper()
	out, errOut, code := rt.cli(args...)
	if code != 0 {
		rt.t.Fatalf("release %v: exit %d\n%s", args, code, errOut)
	}
	return out
}

type decision struct {
	Kind    string `json:"kind"`
	Weight  float64
	Reason  string `json:"reason"`
	Metrics *struct {
		Requests int64   `json:"requests"`
		Errors   int64   `json:"errors"`
		Rate     float64 `json:"errorRate"`
	} `json:"metrics"`
}

type releaseRecord struct {
	ID      string     `json:"id"`
	State   string     `json:"state"`
	Weight  float64    `json:"weight"`
	Reason  string     `json:"reason"`
	History []decision `json:"history"`
}

func (rt *runtime) status(id string) releaseRecord {
	rt.t.Helper()
	var r releaseRecord
	if err := json.Unmarshal([]byte(rt.ok("status", id, "--json")), &r); err != nil {
		rt.t.Fatal(err)
	}
	return r
}

type routing struct {
	Routing struct {
		Version string             `json:"version"`
		Weights map[string]float64 `json:"weights"`
	} `json:"routing"`
	Versions []string `json:"versions"`
}

func (rt *runtime) routing(fn string) routing {
	rt.t.Helper()
	var r routing
	if err := json.Unmarshal([]byte(rt.ok("aliases", fn)), &r); err != nil {
		rt.t.Fatal(err)
	}
	return r
}

// calls posts request.completed events of a version through event-gateway,
// as the function's callers report them.
func (rt *runtime) calls(fn, version string, n, failed int) {
	rt.t.Helper()
	for i := range n {
		status := "ok"
		if i < failed {
			status = "error"
		}
		id := fmt.Sprintf("call-%d", rt.seq.Add(1))
		body := fmt.Sprintf(`{"service":%q,"operation":"invoke","status":%q,"durationMs":30,"version":%q}`, fn, status, version)
		req, _ := http.NewRequest("POST", "http://"+rt.addr+"/functions/event-gateway", strings.NewReader(body))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "//callers")
		req.Header.Set("ce-type", "dev.cogniforge.request.completed.v1")
		req.Header.Set("content-type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			rt.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			rt.t.Fatalf("gateway answered %s to %s", resp.Status, id)
		}
	}
}

func kinds(r releaseRecord) string {
	var out []string
	for _, d := range r.History {
		out = append(out, d.Kind)
	}
	return strings.Join(out, ",")
}

// The proof in the local runtime: a canary whose new version fails
// a fifth of its calls is rolled back at its first check by the release
// state machine; a healthy release reaches all of the traffic; bad input
// changes nothing; and the runtime routes an alias's invocations by its
// weights.
func TestReleasesInTheLocalRuntime(t *testing.T) {
	rt := start(t)
	const fn = "slo-evaluator"
	for _, want := range []string{"2", "3"} {
		var v struct{ Version string }
		if err := json.Unmarshal([]byte(rt.ok("publish", fn, "--description", "v"+want)), &v); err != nil || v.Version != want {
			t.Fatalf("publish: %+v %v", v, err)
		}
	}

	t.Run("a canary failing 20% is rolled back at its first check", func(t *testing.T) {
		rt.ok("start", fn, "--version", "2", "--weight", "10", "--interval", "3s", "--min-requests", "20", "--id", "bad", "--by", "alice")
		if r := rt.routing(fn).Routing; r.Version != "1" || r.Weights["2"] != 0.1 {
			t.Fatalf("canary routing %+v", r)
		}
		rt.calls(fn, "2", 100, 20)
		rt.until("the release ends", 60*time.Second, func() bool { return rt.status("bad").State != "running" })
		r := rt.status("bad")
		if r.State != "rolledback" || kinds(r) != "started,rolledback" {
			t.Fatalf("release %s after %s: %s", r.State, kinds(r), r.Reason)
		}
		m := r.History[1].Metrics
		if m == nil || m.Requests != 100 || m.Errors != 20 || !strings.Contains(r.Reason, "error rate 0.2 over the maximum 0.05") {
			t.Fatalf("rollback %q metrics %+v", r.Reason, m)
		}
		if rr := rt.routing(fn).Routing; rr.Version != "1" || len(rr.Weights) != 0 {
			t.Fatalf("after rollback the alias routes %+v", rr)
		}
	})

	t.Run("a healthy release reaches 100%", func(t *testing.T) {
		rt.ok("start", fn, "--version", "3", "--strategy", "linear", "--weights", "30,60", "--interval", "3s", "--min-requests", "20", "--id", "good")
		stop := make(chan struct{})
		traffic := make(chan struct{})
		go func() {
			defer close(traffic)
			for {
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
					rt.calls(fn, "3", 10, 0)
				}
			}
		}()
		rt.until("the release ends", 90*time.Second, func() bool { return rt.status("good").State != "running" })
		close(stop)
		<-traffic
		r := rt.status("good")
		if r.State != "promoted" || r.Weight != 100 || !strings.HasPrefix(kinds(r), "started,") || !strings.HasSuffix(kinds(r), ",promoted") ||
			!strings.Contains(kinds(r), "stepped") {
			t.Fatalf("release %s at %v after %s: %s", r.State, r.Weight, kinds(r), r.Reason)
		}
		if rr := rt.routing(fn).Routing; rr.Version != "3" || len(rr.Weights) != 0 {
			t.Fatalf("after promotion the alias routes %+v", rr)
		}
		if _, errOut, code := rt.cli("rollback", "good", "--by", "bob"); code != 1 || !strings.Contains(errOut, "release version 1 to go back") {
			t.Fatalf("rollback of a promoted release: exit %d %s", code, errOut)
		}
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"start", fn, "--version", "2", "--weights", "10,abc"}, `--weights: "abc" is not a number`},
			{[]string{"start", fn, "--version", "2", "--weight", "ten"}, `--weight: "ten" is not a number`},
			{[]string{"start", fn, "--version", "9"}, `has no version \"9\"`},
			{[]string{"start", fn, "--version", "2", "--alias", "beta"}, "no such alias: slo-evaluator:beta"},
			{[]string{"start", "nope", "--version", "2"}, `no such function: \"nope\"`},
			{[]string{"start", fn, "--version", "2", "--weights", "50,20"}, "weights[1]: 20 does not grow from 50"},
			{[]string{"start", fn, "--version", "2", "--interval", "soon"}, `--interval: "soon" is not a positive duration`},
			{[]string{"start", fn, "--version", "2", "--max-error-rate", "2"}, "maxErrorRate: 2 is not a rate in [0, 1]"},
		} {
			_, errOut, code := rt.cli(tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("release %v: exit %d, stderr %s; want exit 2 naming %q", tc.args, code, errOut, tc.want)
			}
		}
		if rr := rt.routing(fn).Routing; rr.Version != "3" || len(rr.Weights) != 0 {
			t.Fatalf("the alias moved: %+v", rr)
		}
		var list struct {
			Releases []releaseRecord `json:"releases"`
		}
		if err := json.Unmarshal([]byte(rt.ok("status", "--json")), &list); err != nil || len(list.Releases) != 2 {
			t.Fatalf("releases %+v %v", list, err)
		}
	})

	t.Run("the runtime routes the alias by its weights", func(t *testing.T) {
		rt.ok("start", fn, "--version", "2", "--weight", "30", "--interval", "1h", "--id", "routed")
		const n = 1000
		got := map[string]int{}
		for range n {
			resp, err := http.Get("http://" + rt.addr + "/functions/" + fn + ":live/slos")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s:live answered %s", fn, resp.Status)
			}
			got[resp.Header.Get("X-Cogniforge-Function-Version")]++
		}
		// Binomial(1000, 0.3): sd 14.5; 5 sd either side.
		if got["2"] < 228 || got["2"] > 372 || got["2"]+got["3"] != n {
			t.Fatalf("versions served %v, want about 300 of %d on version 2, the rest on 3", got, n)
		}
		rt.ok("rollback", "routed", "--by", "bob", "--reason", "done measuring")
		resp, err := http.Get("http://" + rt.addr + "/functions/" + fn + ":live/slos")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v := resp.Header.Get("X-Cogniforge-Function-Version"); v != "3" {
			t.Fatalf("after the rollback version %s served", v)
		}
		resp, err = http.Get("http://" + rt.addr + "/functions/" + fn + ":beta/slos")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("an unknown alias answered %s", resp.Status)
		}
		if r := rt.status("routed"); r.State != "rolledback" || r.History[len(r.History)-1].Reason != "done measuring" {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("the release API over HTTP agrees with its spec", func(t *testing.T) {
		apis, err := apispec.NewRuntime()
		if err != nil {
			t.Fatal(err)
		}
		hc := apis.Client()
		tok, err := os.ReadFile(filepath.Join(rt.dataDir, "api.token"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", "/releases", "", 200},
			{"GET", "/releases?state=rolledback", "", 200},
			{"GET", "/releases/routed", "", 200},
			{"GET", "/releases/no-such-release", "", 422},
			{"GET", "/aliases/" + fn, "", 200},
			{"GET", "/aliases/" + fn + "?alias=live", "", 200},
			{"POST", "/versions/" + fn, `{"description":"v4"}`, 200},
			{"POST", "/releases", `{"id":"api","function":"` + fn + `","version":"4","strategy":"blue-green","interval":"1h","by":"carol"}`, 200},
			{"POST", "/releases/api/rollback", `{"by":"carol","reason":"checked the API"}`, 200},
			{"POST", "/releases", `{"function":"` + fn + `","version":"4","interval":"soon"}`, 400},
		} {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req, _ := http.NewRequest(c.method, "http://"+rt.addr+"/functions/release-controller"+c.path, body)
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
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
		apis.Report(t, "release-controller")
	})
}
