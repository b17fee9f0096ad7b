package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cliPackage is the CLI's import path; `go build` finds it from any
// directory of the module.
const cliPackage = "github.com/cogniforge/cogniforge/cmd/cogniforge"

// BuildCLI builds the cogniforge binary, as `make cli` does, into dir and
// returns its path.
func BuildCLI(dir string) (string, error) {
	bin := filepath.Join(dir, "cogniforge")
	if out, err := exec.Command("go", "build", "-o", bin, cliPackage).CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: go build %s: %v\n%s", cliPackage, err, out)
	}
	return bin, nil
}

// CLI builds the cogniforge binary for one test; it is removed with the
// test's temporary directory.
func CLI(t testing.TB) string {
	t.Helper()
	bin, err := BuildCLI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// MainWithCLI is a TestMain for packages whose tests run the CLI as a
// process: it builds the binary once, points *cli at it, runs the tests
// and removes it. It returns the exit code for os.Exit.
func MainWithCLI(m *testing.M, cli *string) int {
	dir, err := os.MkdirTemp("", "cogniforge-cli-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *cli, err = BuildCLI(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// Run runs the CLI binary cli with args in a new temporary directory and
// returns its stdout, stderr and exit code; failing to start it fails t.
func Run(t testing.TB, cli string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return RunEnv(t, cli, nil, args...)
}

// RunEnv is Run with env (KEY=VALUE) added to the process environment.
func RunEnv(t testing.TB, cli string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(cli, args...)
	cmd.Dir = t.TempDir()
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}
