package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSLOValidate(t *testing.T) {
	examples := filepath.Join("..", "..", "config", "slos")
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sli := write("sli.yaml", "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: ok}\nspec: {ratioMetric: {good: {metricSource: {type: cogniforge, spec: {status: ok}}}, total: {metricSource: {type: cogniforge, spec: {service: cart}}}}}\n")
	byRef := write("byref.yaml", `apiVersion: openslo/v1
kind: SLO
metadata: {name: cart}
spec:
  service: cart
  indicatorRef: ok
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`)
	bad := write("bad.yaml", `apiVersion: openslo/v1
kind: SLO
metadata: {name: bad}
spec:
  service: cart
  indicator:
    spec:
      ratioMetric:
        good: {metricSource: {type: cogniforge, spec: {latency: "<300"}}}
        total: {metricSource: {type: cogniforge, spec: {service: cart}}}
  timeWindow: [{duration: 1M, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 1.5}]
`)
	empty := t.TempDir()

	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings of stdout
		stderr    []string // substrings of stderr
		lines     int      // stdout lines when > 0
		emptyOut  bool
		jsonCount int // when > 0, stdout is a JSON list this long
	}{
		{name: "the examples", args: []string{"validate", examples}, code: 0, lines: 3, stdout: []string{
			"checkout-availability: target 0.999, window 30d rolling, Occurrences, alerts: page >14.4x 1h/5m; page >6x 6h/30m; ticket >3x 1d/2h; ticket >1x 3d/6h, min events 20 (" + filepath.Join(examples, "availability.yaml") + "#2)",
			"checkout-latency: target 0.99, window 28d rolling, Occurrences, alerts: page >14.4x 1h/5m; ticket >3x 1d/2h, min events 10",
			"checkout-monthly: target 0.99, window calendar month in Europe/Paris, Timeslices (5m slices good at 0.95), alerts: page >2% of budget 1h/5m",
		}},
		{name: "examples as JSON", args: []string{"validate", "--json", examples}, code: 0, jsonCount: 3, stdout: []string{`"name": "checkout-latency"`, `"durationMs": "<=300"`, `"calendar": "month"`, `"timeZone": "Europe/Paris"`, `"budgetFraction": 0.02`, `"factor": 14.4`}},
		{name: "flags after the files", args: []string{"validate", sli, byRef, "--json"}, code: 0, jsonCount: 1, stdout: []string{`"rolling": "7d"`}},
		{name: "references across files", args: []string{"validate", byRef, sli}, code: 0, lines: 1, stdout: []string{"cart: target 0.99, window 7d rolling"}},
		{name: "a reference not given", args: []string{"validate", byRef}, code: 1, emptyOut: true, stderr: []string{`byref.yaml: document 1 (SLO cart): spec.indicatorRef: no SLI named "ok" in the definitions given (line 6)`}},
		{name: "every problem, one per line", args: []string{"validate", bad, sli}, code: 1, emptyOut: true, stderr: []string{
			`bad.yaml: document 1 (SLO bad): spec.indicator.spec.ratioMetric.good.metricSource.spec.latency: dev.cogniforge.request.completed.v1 events have no field "latency" to select on`,
			`bad.yaml: document 1 (SLO bad): spec.timeWindow[0].duration: "1M": months, quarters and years are calendar windows only`,
			`bad.yaml: document 1 (SLO bad): spec.objectives[0].target: 1.5 is outside (0, 1)`,
		}},
		{name: "only SLIs", args: []string{"validate", sli}, code: 0, emptyOut: true, stderr: []string{"no kind: SLO"}},
		{name: "missing file", args: []string{"validate", filepath.Join(dir, "nope.yaml")}, code: 2, stderr: []string{"nope.yaml", "no such file"}},
		{name: "directory without definitions", args: []string{"validate", empty}, code: 2, stderr: []string{"no *.yaml or *.yml files"}},
		{name: "no files", args: []string{"validate"}, code: 2, stderr: []string{"at least one FILE or DIR"}},
		{name: "unknown flag", args: []string{"validate", "--strict", sli}, code: 2, stderr: []string{"-strict"}},
		{name: "validate --help", args: []string{"validate", "--help"}, code: 0},
		{name: "help", args: []string{"--help"}, code: 0, stdout: []string{"cogniforge slo validate [--json] FILE|DIR..."}},
		{name: "no subcommand", args: nil, code: 2, stderr: []string{"usage:"}},
		{name: "unknown subcommand", args: []string{"check"}, code: 2, stderr: []string{`unknown subcommand "check"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), append([]string{"slo"}, tt.args...), nil, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, c := range tt.stdout {
				if !strings.Contains(stdout.String(), c) {
					t.Errorf("stdout lacks %q:\n%s", c, stdout.String())
				}
			}
			for _, c := range tt.stderr {
				if !strings.Contains(stderr.String(), c) {
					t.Errorf("stderr lacks %q:\n%s", c, stderr.String())
				}
			}
			if tt.lines > 0 && strings.Count(stdout.String(), "\n") != tt.lines {
				t.Errorf("%d lines, want %d:\n%s", strings.Count(stdout.String(), "\n"), tt.lines, stdout.String())
			}
			if tt.emptyOut && stdout.Len() != 0 {
				t.Errorf("stdout not empty: %s", stdout.String())
			}
			if tt.code == 1 && strings.Count(stderr.String(), "\n") != len(tt.stderr) {
				t.Errorf("%d problems on stderr, want %d:\n%s", strings.Count(stderr.String(), "\n"), len(tt.stderr), stderr.String())
			}
			if tt.jsonCount > 0 {
				var list []map[string]any
				if err := json.Unmarshal(stdout.Bytes(), &list); err != nil || len(list) != tt.jsonCount {
					t.Errorf("JSON list of %d (%v):\n%s", len(list), err, stdout.String())
				}
			}
		})
	}
}
