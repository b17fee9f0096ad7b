package chaos_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

// Every example in config/chaos parses and validates.
func TestExampleExperiments(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "config", "chaos", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("found %d examples", len(files))
	}
	limits := chaos.Limits{Functions: []string{"payment", "shipping", "slo-evaluator"}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := chaos.ParseExperiment(f, b, limits)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if ex.IntervalSeconds < 1 || len(ex.Method.Faults) == 0 {
			t.Errorf("%s: %+v", f, ex)
		}
	}
}

func TestParseExperimentNamesFields(t *testing.T) {
	cases := map[string]string{
		"name:":                       "name: ''\nhypothesis: {probes: [{name: p, type: http, url: u, expectedStatus: 200}]}\nmethod: {duration: 1s}\n",
		"hypothesis.probes":           "name: x\nmethod: {duration: 1s}\n",
		"hypothesis.probes[0]":        "name: x\nhypothesis: {probes: [{name: p, type: sloBurnRate}]}\nmethod: {duration: 1s}\n",
		"method.duration":             "name: x\nhypothesis: {probes: [{name: p, type: http, url: u, expectedStatus: 200}]}\nmethod: {}\n",
		"method.faults[0]":            "name: x\nhypothesis: {probes: [{name: p, type: http, url: u, expectedStatus: 200}]}\nmethod: {duration: 1s, faults: [{function: payment, fault: error, blastRadius: extensive}]}\n",
		"stopConditions[0]":           "name: x\nhypothesis: {probes: [{name: p, type: http, url: u, expectedStatus: 200}]}\nmethod: {duration: 1s}\nstopConditions: [{}]\n",
		"rollbacks[0].clear.function": "name: x\nhypothesis: {probes: [{name: p, type: http, url: u, expectedStatus: 200}]}\nmethod: {duration: 1s}\nrollbacks: [{clear: {}}]\n",
		"unknown field \"probs\"":     "name: x\nhypothesis: {probs: []}\n",
	}
	for field, body := range cases {
		_, err := chaos.ParseExperiment("e.yaml", []byte(body), chaos.Limits{Functions: []string{"payment"}})
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
