package governance

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAudit: whatever the bytes, Audit returns a report or an error and
// never panics; a report's score stays within 0..100 and every finding
// names a known rule.
func FuzzAudit(f *testing.F) {
	for _, dir := range []string{"testdata/findings/*.yaml", "testdata/clean/*", "testdata/bad/*", "testdata/fuzz-seeds/*"} {
		files, _ := filepath.Glob(dir)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("openapi: 3.1.0\npaths: {/a: {get: {parameters: [{$ref: '#/paths'}]}}}"))
	f.Add([]byte("openapi: 3.0.0\npaths: &p {/a: *p}"))
	f.Fuzz(func(t *testing.T, spec []byte) {
		rep, err := Audit(context.Background(), "fuzz", spec, Options{})
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("error that is not an InputError: %v", err)
			}
			return
		}
		if rep.Score < 0 || rep.Score > 100 {
			t.Fatalf("score %d", rep.Score)
		}
		for _, fd := range rep.Findings {
			if _, ok := RuleByID(fd.Rule); !ok {
				t.Fatalf("unknown rule %q", fd.Rule)
			}
		}
	})
}
