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

// run executes the chain once as a whole node process and returns its
// output JSON, the phases runner.mjs measured and the process's wall time.
func (r reference) run(def, input string) (out []byte, phases runTimings, elapsed time.Duration, err error) {
	cmd := exec.Command(r.node, r.runner, def, input)
	cmd.Dir = filepath.Dir(r.runner) // resolve the package from node_modules here
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed = time.Since(start)
	if err != nil {
		return nil, phases, elapsed, fmt.Errorf("node runner.mjs: %w\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &phases); jerr != nil {
		return nil, phases, elapsed, fmt.Errorf("node runner.mjs: timings on stderr: %w\n%s", jerr, stderr.String())
	}
	return stdout.Bytes(), phases, elapsed, nil
}

// cogniforgeResult is `cogniforge sfn run`'s one JSON object.
type cogniforgeResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  *string         `json:"error"`
	Cause  *string         `json:"cause"`
}

// runCogniforge executes the chain once as the whole process
// `cogniforge sfn run --fast-clock` and returns the execution's output JSON
// and the process's wall time.
func runCogniforge(def, input string) (out []byte, elapsed time.Duration, err error) {
	cmd := exec.Command(cli, "sfn", "run", "--definition", def, "--input", "@"+input, "--fast-clock")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed = time.Since(start)
	if err != nil {
		return nil, elapsed, fmt.Errorf("cogniforge sfn run: %w\n%s%s", err, stdout.String(), stderr.String())
	}
	var res cogniforgeResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, elapsed, fmt.Errorf("cogniforge sfn run: output: %w\n%s", err, stdout.String())
	}
	if res.Status != "SUCCEEDED" {
		return nil, elapsed, fmt.Errorf("cogniforge sfn run: status %s, error %v, cause %v", res.Status, deref(res.Error), deref(res.Cause))
	}
	return res.Output, elapsed, nil
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
