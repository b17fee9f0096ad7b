package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

func runChaosExperiment(t *testing.T, file, dir string) (int, map[string]json.RawMessage, chaosRunOutput) {
	t.Helper()
	code, out, errs := chaosCLI(t, "run", filepath.Join("..", "..", "config", "chaos", file), "--data-dir", dir)
	var keys map[string]json.RawMessage
	var res chaosRunOutput
	if json.Unmarshal([]byte(out), &keys) != nil || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("chaos run %s printed %q (exit %d): %s", file, out, code, errs)
	}
	return code, keys, res
}

func chaosReports(t *testing.T, dir string) []chaos.Report {
	t.Helper()
	code, out, errs := chaosCLI(t, "report", "--data-dir", dir, "--json")
	var reps []chaos.Report
	if code != 0 || json.Unmarshal([]byte(out), &reps) != nil {
		t.Fatalf("chaos report: %d %q %s", code, out, errs)
	}
	return reps
}

// Payment fails 100% while orders run through the order saga: every order
// of the run is compensated, the hypothesis is reported deviated, the
// fault is rolled back.
func TestChaosRunPaymentOutage(t *testing.T) {
	dir := t.TempDir()
	code, keys, res := runChaosExperiment(t, "payment-outage.yaml", dir)
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	if want := []string{"experiment", "hypothesis", "injected", "rolledBack", "status"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("printed keys %v, want exactly %v", names, want)
	}
	if code != 1 || res.Experiment != "payment-outage" || res.Status != chaos.StatusCompleted || !res.Hypothesis.Before || res.Hypothesis.After ||
		!res.RolledBack || len(res.Injected) != 1 || res.Injected[0].Function != "payment" {
		t.Fatalf("exit %d, %+v; want exit 1, completed, hypothesis before true after false, rolled back, payment injected", code, res)
	}
	if got := listFaults(t, dir); len(got) != 0 {
		t.Fatalf("faults outlived the experiment: %v", got)
	}
	reps := chaosReports(t, dir)
	if len(reps) != 1 || reps[0].Verdict != "deviated" {
		t.Fatalf("reports %+v", reps)
	}
	for _, phase := range []struct {
		name, state string
	}{{"before", "completed"}, {"after", "compensated"}} {
		for i := range 5 {
			id := fmt.Sprintf("payment-outage-%s-%s-%d", reps[0].Run, phase.name, i)
			var out, errb bytes.Buffer
			if c := dispatch(context.Background(), []string{"saga", "status", id, "--data-dir", dir}, strings.NewReader(""), &out, &errb); c != 0 {
				t.Fatalf("saga status %s: %d %s", id, c, errb.String())
			}
			var st struct {
				State string `json:"state"`
			}
			if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.State != phase.state {
				t.Fatalf("order %s is %q, want %s (%s)", id, st.State, phase.state, out.String())
			}
		}
	}
}

// A stop condition that holds at the first evaluation aborts the
// experiment and rolls its fault back in that evaluation: one evaluation,
// no fault left, status aborted, exit 1.
func TestChaosRunAbortedByStopCondition(t *testing.T) {
	dir := t.TempDir()
	code, _, res := runChaosExperiment(t, "slo-api-unavailable.yaml", dir)
	if code != 1 || res.Status != chaos.StatusAborted || !res.RolledBack || !res.Hypothesis.Before || len(res.Injected) != 1 {
		t.Fatalf("exit %d, %+v", code, res)
	}
	if got := listFaults(t, dir); len(got) != 0 {
		t.Fatalf("an aborted experiment left faults: %v", got)
	}
	reps := chaosReports(t, dir)
	if len(reps) != 1 || reps[0].Evaluations != 1 || !strings.Contains(reps[0].Reason, "stop condition") {
		t.Fatalf("reports %+v; want one aborted at its first evaluation", reps)
	}
	code, out, _ := chaosCLI(t, "report", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "| slo-api-unavailable | aborted |") {
		t.Fatalf("Markdown report: %s", out)
	}
}

func TestChaosRunHeld(t *testing.T) {
	code, _, res := runChaosExperiment(t, "shipping-latency.yaml", t.TempDir())
	if code != 0 || res.Status != chaos.StatusCompleted || !res.Hypothesis.Before || !res.Hypothesis.After || !res.RolledBack {
		t.Fatalf("exit %d, %+v", code, res)
	}
}

func TestChaosRunRefusesBadExperiments(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"no probes":        "name: x\nmethod: {duration: 1s, faults: []}\n",
		"unknown function": "name: x\nhypothesis: {probes: [{name: p, type: http, url: 'http://x', expectedStatus: 200}]}\nmethod: {duration: 1s, faults: [{function: ghost, fault: error}]}\n",
		"bad rate":         "name: x\nhypothesis: {probes: [{name: p, type: http, url: 'http://x', expectedStatus: 200}]}\nmethod: {duration: 1s, faults: [{function: payment, fault: error, rate: 2}]}\n",
		"unknown field":    "name: x\ncolour: red\n",
	} {
		f := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := chaosCLI(t, "run", f, "--data-dir", dir); code != 2 || out != "" || errs == "" {
			t.Errorf("%s: exit %d, %q, %q; want 2 and a reason", name, code, out, errs)
		}
	}
}
