// Package testenv holds helpers for integration tests that need real tools:
// a moto_server standing in for AWS, free ports, and SDK configuration
// pointed at a local endpoint.
//
// Every helper calls t.Helper and releases what it started with t.Cleanup.
// Nothing global is changed: no environment variables, no default clients.
// A missing tool fails the test with a message saying what to install; it is
// never a silent skip.
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// MotoInstall says how to get moto_server when it is missing.
const MotoInstall = `pip install "moto[server]==5.2.1"`

// motoStartTimeout bounds how long StartMoto waits for the server to answer.
const motoStartTimeout = 20 * time.Second

// RequireTool returns the path of the executable name, or fails the test
// saying that install is how to get it.
func RequireTool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testenv: %s is required but not on PATH (%v); install it with: %s", name, err, install)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartMoto starts a moto_server on 127.0.0.1 and a free port, waits until
// it answers and returns its endpoint ("http://127.0.0.1:PORT"). The server
// (its whole process group) is killed when the test ends. Each call gets its
// own server, so tests using it do not share state.
func StartMoto(t testing.TB, opts ...MotoOption) (endpoint string) {
	t.Helper()
	bin := RequireTool(t, "moto_server", MotoInstall)
	var o motoOptions
	for _, opt := range opts {
		opt(&o)
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(t)
		endpoint, lastErr = startMoto(t, bin, port, o)
		if lastErr == nil {
			return endpoint
		}
	}
	t.Fatalf("testenv: moto_server did not start: %v", lastErr)
	return ""
}

// MotoOption tunes StartMoto.
type MotoOption func(*motoOptions)

type motoOptions struct{ serial bool }

// Serial makes moto handle one request at a time. moto_server is threaded
// and its backends take no locks, so two concurrent UpdateItem ADDs can lose
// an update that DynamoDB itself would never lose; tests of concurrent
// conditional writes use a serial moto so they test our code, not moto's
// races.
func Serial() MotoOption { return func(o *motoOptions) { o.serial = true } }

// serialMoto runs moto's WSGI app (the one moto_server serves) on a
// threaded werkzeug server, HTTP/1.1 with keep-alive, and lets one request
// at a time into the app. (werkzeug's own unthreaded mode speaks HTTP/1.0
// and closes every connection; under load the SDK then read truncated
// bodies, failed their CRC32 and retried writes moto had already applied.)
const serialMoto = `import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
inner = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def app(environ, start_response):
    with lock:
        return [b"".join(inner(environ, start_response))]
run_simple(sys.argv[1], int(sys.argv[2]), app, threaded=True)
`

// motoPython returns the interpreter moto_server runs with, from its #! line.
func motoPython(bin string) (string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	if py, ok := strings.CutPrefix(line, "#!"); ok && !strings.Contains(py, " ") {
		return py, nil
	}
	// pyenv shims and wrappers: ask the shell which python has moto.
	return exec.LookPath("python3")
}

func startMoto(t testing.TB, bin string, port int, o motoOptions) (string, error) {
	t.Helper()
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	log, err := os.CreateTemp(t.TempDir(), "moto-*.log")
	if err != nil {
		return "", fmt.Errorf("moto log file: %w", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if o.serial {
		py, err := motoPython(bin)
		if err != nil {
			return "", fmt.Errorf("python of moto_server: %w", err)
		}
		cmd = exec.Command(py, "-c", serialMoto, "127.0.0.1", strconv.Itoa(port))
	}
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			log.Close()
		})
	}
	t.Cleanup(stop)

	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/moto-api/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return endpoint, nil
			}
		}
		select {
		case werr := <-exited:
			exited <- werr // let stop() see it
			out, _ := os.ReadFile(log.Name())
			stop()
			return "", fmt.Errorf("moto_server exited early (%v): %s", werr, out)
		case <-ctx.Done():
			out, _ := os.ReadFile(log.Name())
			stop()
			return "", fmt.Errorf("moto_server not answering on %s after %s: %s", endpoint, motoStartTimeout, out)
		case <-tick.C:
		}
	}
}

// AWSConfig returns an aws-sdk-go-v2 configuration for endpoint with static
// test credentials and region us-east-1. Clients built from it talk only to
// endpoint; the process environment and shared config files are not read.
func AWSConfig(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 3,
	}
}
