package apidiff_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
)

// FuzzCompare: any document against the base spec either diffs or is a
// *SpecError; it never panics.
func FuzzCompare(f *testing.F) {
	base, err := os.ReadFile("testdata/base.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seeds, _ := filepath.Glob("testdata/*.yaml")
	cases, _ := filepath.Glob("testdata/cases/*.yaml")
	for _, p := range append(seeds, cases...) {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, err := apidiff.Compare(context.Background(), base, doc)
		var se *apidiff.SpecError
		if err != nil && !errors.As(err, &se) && !strings.Contains(err.Error(), "apidiff: diff") {
			t.Fatalf("error %v is not a *SpecError", err)
		}
	})
}

// FuzzReadTraffic: any input is calls or an ErrTraffic; never a panic.
func FuzzReadTraffic(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"dev.cogniforge.request.completed.v1","time":"2026-12-03T11:00:00Z","datacontenttype":"application/json","data":{"service":"orders","operation":"GET /orders","status":"ok","durationMs":1,"caller":"web"}}`))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, err := apidiff.ReadTraffic(strings.NewReader(string(in))); err != nil && !errors.Is(err, apidiff.ErrTraffic) {
			t.Fatalf("error %v is not ErrTraffic", err)
		}
	})
}
