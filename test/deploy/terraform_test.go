package deploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

// terraformInstall says how to get Terraform when it is missing.
const terraformInstall = "Terraform >= 1.9 (https://developer.hashicorp.com/terraform/install) with the hashicorp/aws provider 5.x in " + pluginMirror

// pluginMirror is the filesystem mirror holding the AWS provider; the
// machine has no registry access.
const pluginMirror = "/opt/tf-plugins"

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// functionNames lists functions/<name> directories holding a main.go.
func functionNames(t *testing.T, root string) []string {
	t.Helper()
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(names)
	return names
}

// terraform runs Terraform commands in one working directory with a CLI
// configuration using the plugin mirror only.
type terraform struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newTerraform(t *testing.T, dir string) *terraform {
	t.Helper()
	bin := testenv.RequireTool(t, "terraform", terraformInstall)
	if _, err := os.Stat(filepath.Join(pluginMirror, "registry.terraform.io", "hashicorp", "aws")); err != nil {
		t.Fatalf("the AWS provider is not in the plugin mirror (%v): install %s", err, terraformInstall)
	}
	rc := filepath.Join(t.TempDir(), "terraform.rc")
	cfg := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`, pluginMirror)
	if err := os.WriteFile(rc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+rc,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"TF_LOG=",
	)
	return &terraform{t: t, bin: bin, dir: dir, env: env}
}

// run runs one command and returns its stdout; a failure fails the test
// with both outputs. The duration is logged.
func (tf *terraform) run(args ...string) string {
	tf.t.Helper()
	out, err := tf.try(args...)
	if err != nil {
		tf.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// try runs one command and returns its stdout, or an error holding stderr.
func (tf *terraform) try(args ...string) (string, error) {
	tf.t.Helper()
	ctx := context.Background()
	if d, ok := tf.t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		defer cancel()
	}
	// terraform -chdir=DIR SUBCOMMAND -no-color ARGS...
	argv := []string{"-chdir=" + tf.dir, args[0], "-no-color"}
	cmd := exec.CommandContext(ctx, tf.bin, append(argv, args[1:]...)...)
	cmd.Env = tf.env
	var stderr bytes.Buffer
	start := time.Now()
	stdout := &timedLines{start: start}
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	err := cmd.Run()
	tf.t.Logf("terraform %s: %v", args[0], time.Since(start).Round(100*time.Millisecond))
	for _, line := range stdout.slow {
		tf.t.Logf("  slow: %s", line)
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%w\nstderr:\n%s\nstdout (tail):\n%s", err, stderr.String(), tail(stdout.String(), 4000))
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// slowResource matches the lines of resources that took 10 s or more.
var slowResource = regexp.MustCompile(`^\S+: (Creation|Destruction|Modifications) complete after (\d+m)?[1-9]\d+s`)

// timedLines keeps a command's output and notes, with the time since start
// they were printed, the lines of slow resources.
type timedLines struct {
	start   time.Time
	buf     bytes.Buffer
	partial []byte
	slow    []string
}

func (w *timedLines) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if slowResource.MatchString(line) {
			if j := strings.Index(line, " [id="); j > 0 {
				line = line[:j]
			}
			w.slow = append(w.slow, fmt.Sprintf("[at %v] %s", time.Since(w.start).Round(time.Second), line))
		}
	}
}

func (w *timedLines) String() string { return w.buf.String() }

// copyTree copies the Terraform sources of src into dst, leaving out local
// state, lock files and .terraform directories.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(name, ".tfstate") || strings.HasSuffix(name, ".tfstate.backup") ||
			name == ".terraform.lock.hcl" || strings.HasSuffix(name, "_override.tf") {
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// zipFunctions zips each function of testenv's shared release build as
// <dir>/<name>.zip. It may run in its own goroutine, so it returns its
// error.
func zipFunctions(dir string, names []string) error {
	bins, err := testenv.SharedFunctionBinaries()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range names {
		code, err := os.ReadFile(filepath.Join(bins, name))
		if err != nil {
			return err
		}
		if err := zipBootstrap(filepath.Join(dir, name+".zip"), code); err != nil {
			return err
		}
	}
	return nil
}

// writeZip writes a deployment package or fails the test.
func writeZip(t *testing.T, path string, bootstrap []byte) {
	t.Helper()
	if err := zipBootstrap(path, bootstrap); err != nil {
		t.Fatal(err)
	}
}

// zipBootstrap writes a deployment package holding one executable
// bootstrap, with a fixed time so equal code gives an equal zip.
func zipBootstrap(path string, bootstrap []byte) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(bootstrap)
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		return fmt.Errorf("zip %s: %w", path, err)
	}
	return nil
}

// plan is the part of `terraform show -json` output the checks read.
type plan struct {
	PlannedValues struct {
		RootModule planModule `json:"root_module"`
	} `json:"planned_values"`
	ResourceChanges []resourceChange `json:"resource_changes"`
}

type planModule struct {
	Address      string       `json:"address"`
	Resources    []resource   `json:"resources"`
	ChildModules []planModule `json:"child_modules"`
}

type resource struct {
	Address string         `json:"address"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Values  map[string]any `json:"values"`
}

type resourceChange struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Change  struct {
		Actions      []string       `json:"actions"`
		Before       map[string]any `json:"before"`
		After        map[string]any `json:"after"`
		AfterUnknown map[string]any `json:"after_unknown"`
	} `json:"change"`
}

// resources returns every planned resource of every module.
func (p *plan) resources() []resource {
	var out []resource
	var walk func(m planModule)
	walk = func(m planModule) {
		out = append(out, m.Resources...)
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(p.PlannedValues.RootModule)
	return out
}

// ofType returns the planned resources of one type.
func (p *plan) ofType(typ string) []resource {
	var out []resource
	for _, r := range p.resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (tf *terraform) showPlan(file string) *plan {
	tf.t.Helper()
	raw := tf.run("show", "-json", file)
	var p plan
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		tf.t.Fatalf("decode plan JSON: %v", err)
	}
	return &p
}

// str reads a string attribute ("" when absent or not a string).
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// block reads the first element of a nested block attribute.
func block(m map[string]any, key string) map[string]any {
	if l, ok := m[key].([]any); ok && len(l) > 0 {
		b, _ := l[0].(map[string]any)
		return b
	}
	return nil
}
