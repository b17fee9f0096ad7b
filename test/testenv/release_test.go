package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// The key of a tree changes with what the build reads and only with that,
// so a shared build is reused exactly while it is still the tree's.
func TestTreeKeyFollowsWhatTheBuildReads(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/tree\n\ngo 1.22\n")
	write("functions/a/main.go", "package main\n\nimport _ \"example.com/tree/lib\"\n\nfunc main() {}\n")
	write("lib/lib.go", "package lib\n")
	write("other/other.go", "package other\n")
	key := func() string {
		t.Helper()
		k, err := treeKey(root, "./functions/...")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key()
	steps := []struct {
		name    string
		edit    func()
		changes bool
	}{
		{"nothing", func() {}, false},
		{"a package the build does not read", func() { write("other/other.go", "package other\n\nvar X = 1\n") }, false},
		{"a file that is not Go", func() { write("lib/README.md", "notes\n") }, false},
		{"a dependency's source", func() { write("lib/lib.go", "package lib\n\nvar Y = 2\n") }, true},
		{"a new file in a dependency", func() { write("lib/more.go", "package lib\n") }, true},
		{"a file excluded by a build tag", func() { write("lib/rpc.go", "//go:build !lambda.norpc\n\npackage lib\n") }, false},
		{"go.mod", func() { write("go.mod", "module example.com/tree\n\ngo 1.23\n") }, true},
	}
	for _, st := range steps {
		st.edit()
		got := key()
		if changed := got != base; changed != st.changes {
			t.Errorf("after editing %s: key changed = %v, want %v", st.name, changed, st.changes)
		}
		base = got
	}
	// The same tree elsewhere (another worktree) has the same key: the
	// release build trims paths.
	copyRoot := filepath.Join(t.TempDir(), "with space")
	if err := os.CopyFS(copyRoot, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	if k, err := treeKey(copyRoot, "./functions/..."); err != nil || k != base {
		t.Errorf("a copy of the tree has key %q (err %v), want %q", k, err, base)
	}
}
