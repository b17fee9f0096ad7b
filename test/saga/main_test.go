// Package saga_test runs the order fulfilment saga end to end: the real
// definition in statemachines/ through `cogniforge sfn run --data-dir` (the
// CLI built once for the package), the real functions on a bolt store, and
// the store read back afterwards; the barrier scenarios against DynamoDB
// through moto; and the throughput benchmarks.
package saga_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/test/testenv"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

var cli string // the cogniforge binary, built by TestMain

const definition = "../../statemachines/order-fulfillment.asl.json"

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

// runResult is `sfn run`'s one JSON object plus the events the functions
// and the state machine published (printed on stderr).
type runResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  *string         `json:"error"`
	Cause  *string         `json:"cause"`
	Events []event         `json:"-"`
	// Code is the exit code: 0 SUCCEEDED, 1 otherwise.
	Code int `json:"-"`
}

type event struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Source        string          `json:"source"`
	Subject       string          `json:"subject"`
	CorrelationID string          `json:"correlationid"`
	TraceParent   string          `json:"traceparent"`
	Data          json.RawMessage `json:"data"`
}

// rollback is the cause of a Saga.Compensated failure.
type rollback struct {
	FailedStep  string   `json:"failedStep"`
	Error       string   `json:"error"`
	Message     string   `json:"message"`
	Compensated []string `json:"compensated"`
}

func (r runResult) rollback(t *testing.T) rollback {
	t.Helper()
	if r.Status != "FAILED" || r.Error == nil || *r.Error != saga.ErrCompensated || r.Cause == nil {
		t.Fatalf("want FAILED %s, got %s %v %v", saga.ErrCompensated, r.Status, deref(r.Error), deref(r.Cause))
	}
	var rb rollback
	if err := json.Unmarshal([]byte(*r.Cause), &rb); err != nil {
		t.Fatalf("cause %q is not JSON: %v", *r.Cause, err)
	}
	return rb
}

func (r runResult) eventsOf(typ string) []event {
	var out []event
	for _, e := range r.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// sfnRun runs a definition through the CLI with the fault hook on.
func sfnRun(t *testing.T, def, dataDir string, input any, extra ...string) runResult {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"sfn", "run", "--definition", def, "--input", string(in), "--fast-clock", "--data-dir", dataDir}, extra...)
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(), saga.EnvFaults+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		t.Fatalf("sfn run exited %d (%v): %s\n%s", code, err, stdout.String(), stderr.String())
	}
	var r runResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("sfn run output %q: %v\nstderr: %s", stdout.String(), err, stderr.String())
	}
	r.Code = cmd.ProcessState.ExitCode()
	for _, line := range strings.Split(stderr.String(), "\n") {
		if j, ok := strings.CutPrefix(line, "published: "); ok {
			var e event
			if err := json.Unmarshal([]byte(j), &e); err != nil {
				t.Fatalf("published event %q: %v", j, err)
			}
			r.Events = append(r.Events, e)
		}
	}
	return r
}

// sagaStatus is `cogniforge saga status ID --data-dir DIR`.
func sagaStatus(t *testing.T, dataDir, id string) saga.Status {
	t.Helper()
	out, err := exec.Command(cli, "saga", "status", id, "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("saga status %s: %v", id, err)
	}
	var st saga.Status
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("saga status output %q: %v", out, err)
	}
	return st
}

// phases summarises a status as step -> "forward-state/compensation-state".
func phases(st saga.Status) map[string]string {
	out := map[string]string{}
	for _, s := range st.Steps {
		f, c := "-", "-"
		if s.Forward != nil {
			f = s.Forward.State
		}
		if s.Compensation != nil {
			c = s.Compensation.State
			if s.Compensation.Null {
				c += "(null)"
			}
		}
		out[s.Step] = f + "/" + c
	}
	return out
}

// state opens the data directory's store (the CLI has exited) and returns
// the services over it, to read stock and records.
func state(t *testing.T, dataDir string) (*orders.Services, *bolt.Store) {
	t.Helper()
	s, err := bolt.Open(bolt.Config{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	svc, err := orders.New(orders.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	return svc, s
}

func stock(t *testing.T, dataDir string, skus ...string) map[string]int64 {
	t.Helper()
	svc, s := state(t, dataDir)
	defer s.Close()
	out := map[string]int64{}
	for _, sku := range skus {
		n, err := svc.Stock(context.Background(), sku)
		if err != nil {
			t.Fatal(err)
		}
		out[sku] = n
	}
	return out
}

func paymentState(t *testing.T, dataDir, sagaID string) string {
	t.Helper()
	_, s := state(t, dataDir)
	defer s.Close()
	c, ok, err := orders.Record[orders.Charge](context.Background(), s, orders.PaymentKey(sagaID))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "none"
	}
	return c.State
}

// order builds a valid order input.
func order(id string, mutate ...func(m map[string]any)) map[string]any {
	m := map[string]any{
		"orderId":    id,
		"customerId": "c-42",
		"items":      []any{map[string]any{"sku": "sku-1", "quantity": 2}, map[string]any{"sku": "sku-3", "quantity": 1}},
		"payment":    map[string]any{"token": "tok_visa"},
		"shipping":   map[string]any{"address": map[string]any{"country": "DE", "city": "Berlin"}},
	}
	for _, f := range mutate {
		f(m)
	}
	return m
}

func withFaults(faults ...saga.Fault) func(map[string]any) {
	return func(m map[string]any) { m["faults"] = faults }
}
