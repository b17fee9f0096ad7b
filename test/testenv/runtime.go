package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Runtime is a `cogniforge run` started by StartRuntime on a free port and
// a data directory of the test's.
type Runtime struct {
	Addr    string
	DataDir string
	cmd     *exec.Cmd
	done    chan struct{}
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartRuntime runs `cli run --addr A --data-dir D args...` in a temporary
// working directory and waits until it answers GET /functions. The runtime
// is killed when the test ends unless Stop stopped it first.
func StartRuntime(t testing.TB, cli string, args ...string) *Runtime {
	t.Helper()
	rt := &Runtime{
		Addr:    fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		DataDir: t.TempDir(),
		done:    make(chan struct{}),
		logs:    &syncBuffer{},
	}
	rt.cmd = exec.Command(cli, append([]string{"run", "--addr", rt.Addr, "--data-dir", rt.DataDir}, args...)...)
	rt.cmd.Dir = t.TempDir()
	rt.cmd.Stderr = rt.logs
	if err := rt.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = rt.cmd.Wait(); close(rt.done) }()
	t.Cleanup(func() {
		_ = rt.cmd.Process.Kill()
		<-rt.done
	})
	rt.Until(t, "the runtime answers", func() bool {
		resp, err := http.Get("http://" + rt.Addr + "/functions")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return rt
}

// Done is closed when the runtime has exited.
func (rt *Runtime) Done() <-chan struct{} { return rt.done }

// Logs is what the runtime wrote on stderr so far.
func (rt *Runtime) Logs() string { return rt.logs.String() }

// Until polls cond every 50 ms for up to a minute, failing the test when
// the runtime exits or time runs out first.
func (rt *Runtime) Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-rt.done:
			t.Fatalf("cogniforge run exited while waiting until %s:\n%s", what, rt.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s:\n%s", what, rt.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop interrupts the runtime and waits up to 20 s for it to exit, as a
// user's Ctrl-C would, so what it holds is flushed to the data directory.
func (rt *Runtime) Stop(t testing.TB) {
	t.Helper()
	if err := rt.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rt.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("cogniforge run did not stop:\n%s", rt.Logs())
	}
}
