// Package build checks the release build: `make build` turns each function
// into a provided.al2023 bootstrap in a zip whose bytes depend only on the
// code, so Terraform's source_code_hash changes only when the code does.
package build

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

func makeZip(t *testing.T, dir, name string) []byte {
	t.Helper()
	testenv.RequireTool(t, "zip", "apt-get install zip")
	cmd := exec.Command("make", "--no-print-directory", "BUILD="+dir, filepath.Join(dir, name+".zip"))
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
	if len(first) > 10<<20 {
		t.Errorf("%s.zip is %d bytes, over the 10 MB aim", name, len(first))
	}
	t.Logf("%s.zip: %d bytes", name, len(first))
}
