package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

const (
	// cycleASL has no terminal state: AWS refuses it (MISSING_END_STATE).
	cycleASL = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`
	// choiceLoopASL is valid, its Default leading out, but loops forever
	// on an input without "stop".
	choiceLoopASL = `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"payload":"some data carried round the loop"},"ResultPath":"$.d","Next":"C"},
	  "C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"Done"},
	  "Done":{"Type":"Succeed"}}}`
)

// TestSFNRefusesDefinitionsThatCannotEnd: validate and run refuse the
// same definitions with the same words; run exits 2 (bad input), validate 1.
func TestSFNRefusesDefinitionsThatCannotEnd(t *testing.T) {
	dir := t.TempDir()
	big := `{"Comment":"` + strings.Repeat("x", validate.MaxDefinitionBytes) + `","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	cases := []struct{ name, def, want string }{
		{"cycle", cycleASL, "States: " + validate.MsgNoTerminalState},
		{"branch cycle", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"Next":"A"}}}],"End":true}}}`,
			"States.P.Branches[0].States: " + validate.MsgNoTerminalState},
		{"no StartAt", `{"States":{"P":{"Type":"Pass","End":true}}}`, "StartAt: is required"},
		{"over 1 MiB", big, "more than the 1048576-byte (1 MiB) limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "-")+".asl.json", c.def)
			_, code, text := runCLI(t, "sfn", "validate", f)
			if code != 1 || !strings.Contains(text, c.want) {
				t.Errorf("validate: exit %d, want 1 saying %q:\n%.300s", code, c.want, text)
			}
			_, code, text = runCLI(t, "sfn", "run", "--definition", f)
			if code != 2 || !strings.Contains(text, "InvalidDefinition") || !strings.Contains(text, c.want) {
				t.Errorf("run: exit %d, want 2 saying %q:\n%.300s", code, c.want, text)
			}
		})
	}
	// The size limit can be lifted for local runs (test/aslbench's chain).
	f := writeFile(t, dir, "big.asl.json", big)
	if out, code, text := runCLI(t, "sfn", "run", "--definition", f, "--max-definition-bytes", "0"); code != 0 || out["status"] != "SUCCEEDED" {
		t.Errorf("--max-definition-bytes 0: exit %d: %.300s", code, text)
	}
}

// TestSFNRunLoopEndsAtTheHistoryLimit: a Choice loop ends FAILED with a
// cause naming the limit, with or without --history, and --max-events
// moves or lifts it.
func TestSFNRunLoopEndsAtTheHistoryLimit(t *testing.T) {
	def := writeFile(t, t.TempDir(), "loop.asl.json", choiceLoopASL)
	cases := []struct {
		name   string
		args   []string
		cause  string
		events int
	}{
		{"default", nil, "limit of 25000 history events", 0},
		{"default with history", []string{"--history"}, "limit of 25000 history events", 25000},
		{"smaller", []string{"--max-events", "100", "--history"}, "limit of 100 history events", 100},
		{"lifted", []string{"--max-events", "0"}, "more than 1000000 states", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code, text := runCLI(t, append([]string{"sfn", "run", "--definition", def}, c.args...)...)
			if code != 1 || out["status"] != "FAILED" || out["error"] != "States.Runtime" {
				t.Fatalf("exit %d: %.500s", code, text)
			}
			if cause, _ := out["cause"].(string); !strings.Contains(cause, c.cause) {
				t.Errorf("cause %q, want it to contain %q", cause, c.cause)
			}
			h, _ := out["history"].([]any)
			if len(h) != c.events {
				t.Fatalf("%d history events, want %d", len(h), c.events)
			}
			if c.events > 0 {
				if last := h[len(h)-1].(map[string]any); last["type"] != "ExecutionFailed" {
					t.Errorf("last event %v", last)
				}
			}
		})
	}
	if _, code, _ := runCLI(t, "sfn", "run", "--definition", def, "--max-events", "-1"); code != 2 {
		t.Errorf("--max-events -1: exit %d, want 2", code)
	}
}

// TestSFNRunLoopMemoryIsBounded runs a Choice loop in a process of its own,
// as users do, and checks it ends FAILED with the clear error in bounded
// memory: before the history limit such a run grew to 5.6 GB.
func TestSFNRunLoopMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI as a process")
	}
	dir := t.TempDir()
	def := writeFile(t, dir, "loop.asl.json", choiceLoopASL)
	peakFile := filepath.Join(dir, "peak")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, history := range []bool{false, true} {
		args := []string{"sfn", "run", "--definition", def, "--input", `{"n":1}`}
		if history {
			args = append(args, "--history")
		}
		cmd := exec.Command(self, args...)
		cmd.Env = append(os.Environ(), asCLIEnv+"=1", peakFileEnv+"="+peakFile)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("history=%v: %v, want exit 1\n%s", history, err, stderr.String())
		}
		var out struct {
			Status, Error, Cause string
			History              []json.RawMessage
		}
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("history=%v: output: %v", history, err)
		}
		if out.Status != "FAILED" || out.Error != "States.Runtime" || !strings.Contains(out.Cause, "25000 history events") {
			t.Fatalf("history=%v: %s %s %q", history, out.Status, out.Error, out.Cause)
		}
		b, err := os.ReadFile(peakFile)
		if err != nil {
			t.Logf("peak RSS not available on this platform: %v", err)
			continue
		}
		rss, _ := strconv.ParseInt(string(b), 10, 64)
		t.Logf("history=%v: peak RSS %d MB, %d events printed", history, rss>>20, len(out.History))
		const limit = 300 << 20
		if rss > limit && !raceEnabled {
			t.Errorf("history=%v: peak RSS %d MB, more than %d MB", history, rss>>20, limit>>20)
		}
	}
}
