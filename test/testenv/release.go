package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReleaseFlags are the `go build` flags of the Makefile's bootstrap rule:
// trimmed paths, aws-lambda-go without its net/rpc mode, no VCS stamp, no
// symbols. With CGO_ENABLED=0 the binary is static. Keep them in step with
// the Makefile: test/build checks that both give the same bytes.
var ReleaseFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-buildvcs=false", "-ldflags", "-s -w"}

// ReleaseBuild is the command that builds pkgs with ReleaseFlags into out
// (a file, or a directory when it ends in a separator) for this machine,
// from the module root.
func ReleaseBuild(out string, pkgs ...string) (*exec.Cmd, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	args := append(append([]string{"build"}, ReleaseFlags...), "-o", out)
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd, nil
}

// functionsPattern is what FunctionBinaries builds.
const functionsPattern = "./functions/..."

// binCacheDir holds FunctionBinaries' directories, one per source tree.
var binCacheDir = filepath.Join(os.TempDir(), "cogniforge-functions")

// binCacheMaxAge is how long a tree's binaries are kept unused.
const binCacheMaxAge = 24 * time.Hour

var (
	functionsOnce sync.Once
	functionsDir  string
	functionsErr  error
)

// FunctionBinaries returns a directory holding every function of
// functions/ built with ReleaseFlags for this machine (so tests can run
// them), named as the function.
//
// The build is shared: the directory is keyed by a hash of what the build
// reads (the module's Go and embedded files that functions/... depends on,
// go.mod, go.sum, the Go version and GOOS/GOARCH/GOFLAGS), and test
// processes take a file lock on the key, so when `go test ./test/...`
// runs test/build, test/coldstart and test/deploy side by side one of them
// builds and the others wait for it and reuse the result, as does any later
// run on the same tree. Go's build cache alone would not do: go builds
// started together compile the same packages each, and a cold compile of
// the functions costs minutes of CPU. Directories of other trees unused for
// a day are removed.
func FunctionBinaries(tb testing.TB) string {
	tb.Helper()
	dir, err := SharedFunctionBinaries()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// SharedFunctionBinaries is FunctionBinaries for a goroutine other than
// the test's (where t.Fatal may not be called): it returns the error.
// Within a process the work and its result are shared by every call.
func SharedFunctionBinaries() (string, error) {
	functionsOnce.Do(func() { functionsDir, functionsErr = buildFunctionBinaries() })
	return functionsDir, functionsErr
}

func buildFunctionBinaries() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	key, err := treeKey(root, functionsPattern)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(binCacheDir, 0o755); err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	dir := filepath.Join(binCacheDir, key)
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", fmt.Errorf("testenv: lock %s: %w", dir, err)
	}
	defer unlock()
	if _, err := os.Stat(dir); err == nil {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // in use: not pruned
		return dir, nil
	}
	// Built aside and renamed, so a build that dies midway never looks
	// complete to the next process.
	tmp, err := os.MkdirTemp(binCacheDir, key+".tmp-")
	if err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp's 0700 would hide it from other users
		return "", fmt.Errorf("testenv: %w", err)
	}
	cmd, err := ReleaseBuild(tmp+string(filepath.Separator), functionsPattern)
	if err != nil {
		return "", err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	pruneBinCache(key)
	return dir, nil
}

// pruneBinCache removes the directories (and temporary leftovers) of other
// trees not used for binCacheMaxAge. Lock files stay: removing one another
// process may hold would let two processes build the same key at once.
func pruneBinCache(keep string) {
	entries, err := os.ReadDir(binCacheDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), keep) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > binCacheMaxAge {
			_ = os.RemoveAll(filepath.Join(binCacheDir, e.Name()))
		}
	}
}

// treeKey hashes what building pattern in the module at root reads: the
// toolchain and target, the module's files in the packages it depends on,
// and the versions of the other modules (go.sum stands for their content).
func treeKey(root, pattern string) (string, error) {
	h := sha256.New()
	goenv := exec.Command("go", "env", "GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOFLAGS")
	goenv.Dir = root
	goenv.Env = append(os.Environ(), "CGO_ENABLED=0")
	env, err := goenv.Output()
	if err != nil {
		return "", fmt.Errorf("testenv: go env: %w", err)
	}
	fmt.Fprintf(h, "%s\n%q\n", env, ReleaseFlags)
	// The same build tags and cgo setting as the build, so the listed files
	// are the ones it compiles. Tab-separated: paths may hold spaces.
	list := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}M{{"\t"}}{{.Dir}}{{range .GoFiles}}{{"\t"}}{{.}}{{end}}{{range .EmbedFiles}}{{"\t"}}{{.}}{{end}}{{else}}D{{"\t"}}{{.Module.Path}}{{"\t"}}{{.Module.Version}}{{end}}{{end}}`,
		pattern)
	list.Dir = root
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := list.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w\n%s", err, ee.Stderr)
		}
		return "", fmt.Errorf("testenv: go list %s: %w", pattern, err)
	}
	// Paths relative to the module root: -trimpath keeps the checkout's
	// location out of the binaries, so worktrees of one tree share a key.
	files := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "D":
			fmt.Fprintln(h, line)
		case f[0] == "M" && len(f) >= 2:
			rel, err := filepath.Rel(root, f[1])
			if err != nil {
				return "", fmt.Errorf("testenv: %w", err)
			}
			for _, name := range f[2:] {
				files = append(files, filepath.Join(rel, name))
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("testenv: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// moduleRoot is the directory of the module's go.mod, found from the test's
// working directory (its package directory).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("testenv: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("testenv: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
