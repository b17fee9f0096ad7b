package testenv

import (
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
