package apidiff_test

import (
	"context"
	"os"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
)

// BenchmarkCompare diffs the orders test spec (4 operations) against a
// version with one operation removed: load both, run every oasdiff check.
func BenchmarkCompare(b *testing.B) {
	old, _ := os.ReadFile("testdata/base.yaml")
	rev, _ := os.ReadFile("testdata/cases/breaking-removed-operation.yaml")
	ctx := context.Background()
	for b.Loop() {
		if _, err := apidiff.Compare(ctx, old, rev); err != nil {
			b.Fatal(err)
		}
	}
}
