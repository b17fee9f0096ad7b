// Package coldstart takes every function binary built with the release
// flags (testenv.FunctionBinaries, shared with test/build and test/deploy)
// and starts it as a process: as a plain CloudEvents HTTP service, proving each
// one serves and stops cleanly, and under a fake AWS Lambda Runtime API,
// measuring the time from exec to its first poll for an invocation against
// a bare aws-lambda-go binary (testdata/bare) started alternately in the
// same run. The benchmarks report medians for `make bench`.
package coldstart

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

func functionNames(tb testing.TB) []string {
	tb.Helper()
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		tb.Fatal("no functions in functions/")
	}
	return names
}

// binDir holds the bare yardstick, which TestMain's process builds once
// and removes afterwards; the functions come from testenv.FunctionBinaries,
// the build test/build and test/deploy share.
var binDir string

// TestMain makes binDir and removes it afterwards.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "coldstart-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		return m.Run()
	}())
}

var (
	bareOnce sync.Once
	bareErr  error
)

// build returns the path of functions/<name>, or of bareName (the
// yardstick, built here with the same release flags the first time it is
// asked for, after the functions so that its dependencies come from the
// build cache).
func build(tb testing.TB, name string) string {
	tb.Helper()
	functions := testenv.FunctionBinaries(tb)
	if name != bareName {
		return filepath.Join(functions, name)
	}
	bareOnce.Do(func() {
		bin := filepath.Join(binDir, bareName)
		cmd, err := testenv.ReleaseBuild(bin, "./test/coldstart/testdata/bare")
		if err != nil {
			bareErr = err
			return
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			bareErr = fmt.Errorf("go build %s: %v\n%s", bareName, err, out)
		}
	})
	if bareErr != nil {
		tb.Fatal(bareErr)
	}
	return filepath.Join(binDir, bareName)
}

// cleanEnv is the environment of a function outside any cloud: no AWS or
// Functions Framework variables, so wiring.Start serves CloudEvents HTTP.
func cleanEnv(port int) []string {
	env := []string{"PORT=" + fmt.Sprint(port), "PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	return env
}

// start runs bin and returns once it answered an HTTP request, with the
// time that took from just before exec.
func start(tb testing.TB, bin string) (*exec.Cmd, time.Duration) {
	tb.Helper()
	port := testenv.FreePort(tb)
	cmd := exec.Command(bin)
	cmd.Env = cleanEnv(port)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	deadline := begin.Add(5 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond); err == nil {
			c.Close()
			resp, err := client.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
				return cmd, time.Since(begin)
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			tb.Fatalf("%s did not answer on %s within 5s; stderr:\n%s", filepath.Base(bin), addr, stderr.String())
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func stop(tb testing.TB, cmd *exec.Cmd) {
	tb.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("%s exited with %v after SIGTERM, want a clean stop", cmd.Path, err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		tb.Errorf("%s did not stop within 5s of SIGTERM", cmd.Path)
	}
}

// TestEveryFunctionServesAndStops: each binary, unchanged, serves
// CloudEvents HTTP on $PORT outside any cloud and stops on SIGTERM.
func TestEveryFunctionServesAndStops(t *testing.T) {
	for _, name := range functionNames(t) {
		t.Run(name, func(t *testing.T) {
			bin := build(t, name)
			cmd, took := start(t, bin)
			t.Logf("%s answered %s after exec", name, took)
			// A CloudEvent that is not of the function's types gets a
			// problem answer, not a crash.
			resp, err := http.Post(fmt.Sprintf("http://%s/", addrOf(cmd)), "application/json", strings.NewReader(`{"not":"a cloudevent"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain JSON posted to %s: status %d, want 400", name, resp.StatusCode)
			}
			stop(t, cmd)
		})
	}
}

func addrOf(cmd *exec.Cmd) string {
	for _, kv := range cmd.Env {
		if p, ok := strings.CutPrefix(kv, "PORT="); ok {
			return "127.0.0.1:" + p
		}
	}
	return ""
}

// BenchmarkColdStart reports, per function, the time from exec to the first
// answered HTTP request (target: under 30 ms).
func BenchmarkColdStart(b *testing.B) {
	for _, name := range functionNames(b) {
		bin := build(b, name)
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				cmd, took := start(b, bin)
				total += took
				b.StopTimer()
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/start")
		})
	}
}
