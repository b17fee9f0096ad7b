package aslbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

// referenceVersion is the aws-local-stepfunctions release pinned in
// package.json and package-lock.json.
const referenceVersion = "3.0.0"

const (
	nodeInstall = "Node.js 20 or later (apt-get install nodejs, or https://nodejs.org)"
	npmInstall  = "npm, which comes with Node.js (apt-get install npm)"
	// installTimeout bounds npm ci: a cold install takes seconds to tens of
	// seconds; longer means the registry does not answer.
	installTimeout = 5 * time.Minute
)

var (
	installOnce sync.Once
	installErr  error
)

// reference is aws-local-stepfunctions run by node through runner.mjs.
type reference struct {
	node, runner string
}

// requireReference returns the reference interpreter, installing the pinned
// npm package into node_modules with npm ci first when it is missing. A
// missing tool or a failed install fails tb, saying what to do.
func requireReference(tb testing.TB) reference {
	tb.Helper()
	node := testenv.RequireTool(tb, "node", nodeInstall)
	installOnce.Do(func() { installErr = installReference() })
	if installErr != nil {
		tb.Fatalf("aslbench: aws-local-stepfunctions@%s is not installed and npm could not install it: %v\n"+
			"run `npm ci` in test/aslbench with the npm registry reachable", referenceVersion, installErr)
	}
	runner, err := filepath.Abs("runner.mjs")
	if err != nil {
		tb.Fatal(err)
	}
	return reference{node: node, runner: runner}
}

// installedVersion is the version of aws-local-stepfunctions in
// node_modules, or "" when there is none.
func installedVersion() string {
	raw, err := os.ReadFile(filepath.Join("node_modules", "aws-local-stepfunctions", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(raw, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

func installReference() error {
	if installedVersion() == referenceVersion {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not on PATH (%w); install %s", err, npmInstall)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	// npm ci installs exactly package-lock.json; the package declares
	// engines node >= 22 but runs on 20, so the engine warning is noise.
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--engine-strict=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci: %w\n%s", err, out.String())
	}
	if v := installedVersion(); v != referenceVersion {
		return fmt.Errorf("npm ci installed aws-local-stepfunctions %q, want %s", v, referenceVersion)
	}
	return nil
}

// runTimings are the phases runner.mjs reports on stderr, in milliseconds.
type runTimings struct {
	ImportMs    float64 `json:"importMs"`
	ConstructMs float64 `json:"constructMs"`
	RunMs       float64 `json:"runMs"`
}

// procRun is one whole-process execution.
type procRun struct {
	// Output is the execution's output JSON.
	Output []byte
	// Wall is the time from exec to exit; CPU is the user and system time
	// the process used, which a busy machine inflates far less.
	Wall, CPU time.Duration
	// Phases are runner.mjs's own timings (zero for cogniforge).
	Phases runTimings
}

// runProcess runs cmd to its exit and measures it.
func runProcess(cmd *exec.Cmd) (run procRun, stdout, stderr []byte, err error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	run.Wall = time.Since(start)
	if cmd.ProcessState != nil {
		run.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return run, out.Bytes(), errb.Bytes(), err
}

// run executes the chain once as a whole node process, with the package's
// definition validation when validate is set.
func (r reference) run(def, input string, validate bool) (procRun, error) {
	args := []string{r.runner, def, input}
	if validate {
		args = []string{r.runner, "--validate", def, input}
	}
	cmd := exec.Command(r.node, args...)
	cmd.Dir = filepath.Dir(r.runner) // resolve the package from node_modules here
	run, stdout, stderr, err := runProcess(cmd)
	if err != nil {
		return run, fmt.Errorf("node runner.mjs: %w\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &run.Phases); err != nil {
		return run, fmt.Errorf("node runner.mjs: timings on stderr: %w\n%s", err, stderr)
	}
	run.Output = stdout
	return run, nil
}

// cogniforgeResult is `cogniforge sfn run`'s one JSON object.
type cogniforgeResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  *string         `json:"error"`
	Cause  *string         `json:"cause"`
}

// runCogniforge executes the chain once as the whole process
// `cogniforge sfn run --fast-clock --max-events 0 --max-definition-bytes 0`,
// with env (KEY=VALUE) added to this process's environment. The 20,000-state
// chain is past two of AWS's limits that `sfn run` applies by default: its
// definition is over 1 MiB and its history over 25,000 events (two per
// state); aws-local-stepfunctions applies neither, so neither does the
// comparison.
func runCogniforge(def, input string, env ...string) (procRun, error) {
	cmd := exec.Command(cli, "sfn", "run", "--definition", def, "--input", "@"+input, "--fast-clock",
		"--max-events", "0", "--max-definition-bytes", "0")
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	run, stdout, stderr, err := runProcess(cmd)
	if err != nil {
		return run, fmt.Errorf("cogniforge sfn run: %w\n%s%s", err, stdout, stderr)
	}
	var res cogniforgeResult
	if err := json.Unmarshal(stdout, &res); err != nil {
		return run, fmt.Errorf("cogniforge sfn run: output: %w\n%s", err, stdout)
	}
	if res.Status != "SUCCEEDED" {
		return run, fmt.Errorf("cogniforge sfn run: status %s, error %v, cause %v", res.Status, deref(res.Error), deref(res.Cause))
	}
	run.Output = res.Output
	return run, nil
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
