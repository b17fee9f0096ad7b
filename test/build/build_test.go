// Package build checks the release build: `make build` turns each function
// into a provided.al2023 bootstrap in a zip whose bytes depend only on the
// code, so Terraform's source_code_hash changes only when the code does.
//
// It builds for this machine's architecture (make's ARCH), not the release
// arm64: the same compile as testenv.FunctionBinaries, which test/coldstart
// and test/deploy use, so a cold `go test ./test/...` compiles the
// functions once instead of once per architecture.
package build

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

func makeZip(t *testing.T, dir, name string) []byte {
	t.Helper()
	testenv.RequireTool(t, "zip", "apt-get install zip")
	cmd := exec.Command("make", "--no-print-directory", "BUILD="+dir, "ARCH="+runtime.GOARCH, filepath.Join(dir, name+".zip"))
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s.zip: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestZipIsReproducible(t *testing.T) {
	const name = "event-gateway"
	// First the shared build: make's go build then finds every package
	// compiled in the build cache instead of compiling it alongside.
	shared := filepath.Join(testenv.FunctionBinaries(t), name)
	first := makeZip(t, t.TempDir(), name)
	second := makeZip(t, t.TempDir(), name)
	if !bytes.Equal(first, second) {
		t.Fatalf("two builds of %s.zip differ (%d and %d bytes): the zip must depend only on the code", name, len(first), len(second))
	}
	r, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 || r.File[0].Name != "bootstrap" {
		t.Fatalf("zip holds %v, want just bootstrap", r.File)
	}
	f := r.File[0]
	if f.Mode()&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable", f.Mode())
	}
	if !f.Modified.Before(time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("bootstrap time %v is not the fixed 1980 one", f.Modified)
	}
	// The tests' release build must be the Makefile's, byte for byte, or
	// what test/coldstart measures is not what ships. make builds for
	// linux, the shared build for this machine: comparable on linux only.
	if runtime.GOOS == "linux" {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		made, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(shared)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(made, want) {
			t.Errorf("make's bootstrap (%d bytes) differs from testenv.FunctionBinaries' %s (%d bytes): keep testenv.ReleaseFlags in step with the Makefile's build rule",
				len(made), name, len(want))
		}
	}
	if len(first) > 10<<20 {
		t.Errorf("%s.zip is %d bytes, over the 10 MB aim", name, len(first))
	}
	t.Logf("%s.zip: %d bytes", name, len(first))
}
