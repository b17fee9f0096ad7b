package registry

import (
	"os"
	"slices"
	"testing"
)

// TestEveryFunctionIsRegistered keeps functions/ and the registry in step:
// a function directory the local runtime would not host fails here.
func TestEveryFunctionIsRegistered(t *testing.T) {
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		if d.IsDir() {
			want = append(want, d.Name())
		}
	}
	got := Names()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("functions/%s has no entry in pkg/registry", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("registry entry %s has no directory functions/%s", g, g)
		}
	}
}
