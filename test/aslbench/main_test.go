package aslbench_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cli is the cogniforge binary, built once for the package by TestMain, as
// a user gets it from `make cli`: the benchmarks time the whole process.
var cli string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aslbench-cli-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cli = filepath.Join(dir, "cogniforge")
	build := exec.Command("go", "build", "-o", cli, "../../cmd/cogniforge")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "aslbench: build cogniforge:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
