// Package durable_test checks that Step Functions executions of the local
// runtime survive the runtime: `cogniforge run` (the CLI built once for the
// package) is killed with SIGKILL in the middle of an execution started
// through the local Step Functions API, restarted on the same --data-dir,
// and the execution resumes and ends as it would have.
package durable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

// waitDef prepares, waits 3 seconds and finishes: the machine of issue 9's
// proof contract.
const waitDef = `{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","Result":"prepared","ResultPath":"$.step","Next":"Wait"},
  "Wait":{"Type":"Wait","Seconds":3,"Next":"Done"},
  "Done":{"Type":"Pass","Parameters":{"order.$":"$.order","step.$":"$.step","done":true},"End":true}}}`

// runtime is one `cogniforge run` process.
type runtime struct {
	cmd    *exec.Cmd
	client *sfn.Client
	stderr *syncBuffer
	exited chan struct{}
}

// syncBuffer is a bytes.Buffer the process writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs `cogniforge run` on dataDir with the machines in machines and
// waits until its Step Functions API answers; env is added to the
// process environment.
func start(t *testing.T, dataDir, machines string, env ...string) *runtime {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cmd := exec.Command(cli, "run", "--addr", addr, "--data-dir", dataDir, "--statemachines", machines)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	r := &runtime{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() { r.kill(t) })
	// The SDK's retries stay on: against `cogniforge run`, a response body
	// is now and then cut by "use of closed network connection" on the
	// client side (seen with the CLI before this change too), and every
	// call here is safe to repeat.
	r.client = sfn.NewFromConfig(testenv.AWSConfig(t, "http://"+addr))
	r.until(t, "the Step Functions API answers", func() (bool, error) {
		_, err := r.client.ListStateMachines(context.Background(), &sfn.ListStateMachinesInput{})
		return err == nil, nil
	})
	return r
}

// kill ends the process with SIGKILL, as a crash would: nothing it had
// not written survives.
func (r *runtime) kill(t *testing.T) {
	t.Helper()
	select {
	case <-r.exited:
		return
	default:
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-r.exited
}

// stop ends the process as Ctrl-C does and waits for it.
func (r *runtime) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("cogniforge run did not stop on SIGINT:\n%s", r.stderr.String())
	}
}

// until polls cond until it holds, failing the test after 20 seconds or
// when the process exits.
func (r *runtime) until(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting until %s: %v\nruntime log:\n%s", what, err, r.stderr.String())
		}
		if ok {
			return
		}
		select {
		case <-r.exited:
			t.Fatalf("cogniforge run exited while waiting until %s:\n%s", what, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s\nruntime log:\n%s", what, r.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// history reads the whole history of an execution, seven events a page.
func (r *runtime) history(arn string) ([]types.HistoryEvent, error) {
	var evs []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(r.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 7})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			return nil, fmt.Errorf("GetExecutionHistory: %w", err)
		}
		evs = append(evs, page.Events...)
	}
	return evs, nil
}

func (r *runtime) mustHistory(t *testing.T, arn string) []types.HistoryEvent {
	t.Helper()
	evs, err := r.history(arn)
	if err != nil {
		t.Fatalf("%v\nruntime log:\n%s", err, r.stderr.String())
	}
	return evs
}

func count(evs []types.HistoryEvent, typ types.HistoryEventType) (n int, last types.HistoryEvent) {
	for _, e := range evs {
		if e.Type == typ {
			n++
			last = e
		}
	}
	return n, last
}

func TestWaitSurvivesKill9(t *testing.T) {
	dataDir, machines := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(machines, "patient.asl.json"), []byte(waitDef), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := start(t, dataDir, machines)
	started, err := first.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:patient"),
		Name:            aws.String("survivor"), Input: aws.String(`{"order":42}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := *started.ExecutionArn
	first.until(t, "the execution waits", func() (bool, error) {
		evs, err := first.history(arn)
		n, _ := count(evs, types.HistoryEventTypeWaitStateEntered)
		return n == 1, err
	})
	first.kill(t)

	restarted := time.Now()
	second := start(t, dataDir, machines)
	var d *sfn.DescribeExecutionOutput
	second.until(t, "the execution ends", func() (bool, error) {
		d, err = second.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		return err == nil && d.Status != types.ExecutionStatusRunning, err
	})
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("execution ended %s: %s: %s\nruntime log:\n%s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), second.stderr.String())
	}
	if got, want := aws.ToString(d.Output), `{"order":42,"step":"prepared","done":true}`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
	if !d.StartDate.Equal(*started.StartDate) {
		t.Errorf("start date %v after the restart, %v before", d.StartDate, started.StartDate)
	}

	// One continuous history: ids 1..n, each event after one before it,
	// one start, one end.
	evs := second.mustHistory(t, arn)
	for i, e := range evs {
		if e.Id != int64(i+1) || e.PreviousEventId >= e.Id {
			t.Fatalf("event %d (%s): id %d, previous %d", i, e.Type, e.Id, e.PreviousEventId)
		}
	}
	for typ, want := range map[types.HistoryEventType]int{
		types.HistoryEventTypeExecutionStarted: 1, types.HistoryEventTypeExecutionSucceeded: 1,
		types.HistoryEventTypeWaitStateExited: 1, types.HistoryEventTypeExecutionFailed: 0,
	} {
		if n, _ := count(evs, typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
	if evs[len(evs)-1].Type != types.HistoryEventTypeExecutionSucceeded {
		t.Errorf("history ends with %s", evs[len(evs)-1].Type)
	}
	// The history a running execution shows is stored: the Wait was entered
	// once, before the kill, and continued with what remained of it, ending
	// 3 seconds after it was entered, not 3 seconds after the restart.
	n, entered := count(evs, types.HistoryEventTypeWaitStateEntered)
	_, exited := count(evs, types.HistoryEventTypeWaitStateExited)
	if n != 1 || !entered.Timestamp.Before(restarted) {
		t.Fatalf("%d WaitStateEntered, the last at %v, want one before the restart at %v", n, entered.Timestamp, restarted)
	}
	if waited := exited.Timestamp.Sub(*entered.Timestamp); waited < 3*time.Second {
		t.Errorf("the Wait lasted %s, less than its 3s", waited)
	}
	if !exited.Timestamp.Before(restarted.Add(3 * time.Second)) {
		t.Errorf("the Wait entered at %s, before the restart (%s), ended at %s: it waited in full again",
			entered.Timestamp, restarted, exited.Timestamp)
	}
}

// TestSagaSurvivesKill9 kills the runtime while the order saga compensates
// (its payment refund failed once and waits to retry), then restarts it:
// the execution resumes, the refund is made, the reservation released,
// and the saga ends compensated, nothing half done.
func TestSagaSurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	machines, err := filepath.Abs("../../statemachines")
	if err != nil {
		t.Fatal(err)
	}
	faults := saga.EnvFaults + "=1"
	ctx := context.Background()
	input, err := json.Marshal(map[string]any{
		"orderId": "o-kill", "customerId": "c-42",
		"items":    []any{map[string]any{"sku": "sku-1", "quantity": 2}, map[string]any{"sku": "sku-3", "quantity": 1}},
		"payment":  map[string]any{"token": "tok_visa"},
		"shipping": map[string]any{"address": map[string]any{"country": "XX"}}, // undeliverable: compensate
		"faults":   []saga.Fault{{Step: "payment", Phase: saga.PhaseCompensation, Times: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	first := start(t, dataDir, machines, faults)
	started, err := first.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfillment"),
		Name:            aws.String("o-kill"), Input: aws.String(string(input))})
	if err != nil {
		t.Fatal(err)
	}
	arn := *started.ExecutionArn
	first.until(t, "the refund failed once and waits to be retried", func() (bool, error) {
		compensating := false
		evs, err := first.history(arn)
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			if e.StateEnteredEventDetails != nil && aws.ToString(e.StateEnteredEventDetails.Name) == "Compensate payment" {
				compensating = true
			}
			if compensating && e.Type == types.HistoryEventTypeTaskFailed {
				return true, nil
			}
		}
		return false, nil
	})
	first.kill(t)

	second := start(t, dataDir, machines, faults)
	var d *sfn.DescribeExecutionOutput
	second.until(t, "the saga ends", func() (bool, error) {
		d, err = second.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		return err == nil && d.Status != types.ExecutionStatusRunning, err
	})
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != saga.ErrCompensated {
		t.Fatalf("saga ended %s %s: %s\nruntime log:\n%s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), second.stderr.String())
	}
	var rb struct {
		FailedStep  string   `json:"failedStep"`
		Compensated []string `json:"compensated"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Cause)), &rb); err != nil || rb.FailedStep != "shipping" ||
		strings.Join(rb.Compensated, ",") != "payment,inventory" {
		t.Errorf("cause %s (%v), want shipping failed and payment, inventory compensated", aws.ToString(d.Cause), err)
	}
	evs := second.mustHistory(t, arn)
	for i, e := range evs {
		if e.Id != int64(i+1) || e.PreviousEventId >= e.Id {
			t.Fatalf("event %d (%s): id %d, previous %d", i, e.Type, e.Id, e.PreviousEventId)
		}
	}
	if n, _ := count(evs, types.HistoryEventTypeExecutionStarted); n != 1 {
		t.Errorf("%d ExecutionStarted events", n)
	}
	second.stop(t)

	// The store the functions wrote: the reservation released, the charge
	// refunded, every step before the failure compensated.
	st, err := bolt.Open(bolt.Config{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := orders.New(orders.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"sku-1", "sku-3"} {
		if n, err := svc.Stock(ctx, sku); err != nil || n != 100 {
			t.Errorf("stock of %s = %d (%v), want 100: the reservation was kept", sku, n, err)
		}
	}
	charge, ok, err := orders.Record[orders.Charge](ctx, st, orders.PaymentKey("o-kill"))
	if err != nil || !ok || charge.State != orders.Refunded {
		t.Errorf("payment = %+v (found %v, %v), want refunded", charge, ok, err)
	}
	status, err := saga.ReadStatus(ctx, st, "o-kill")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range status.Steps {
		if step.Step == "inventory" || step.Step == "payment" {
			if step.Compensation == nil || step.Compensation.State != saga.StateSucceeded {
				t.Errorf("%s compensation = %+v, want succeeded", step.Step, step.Compensation)
			}
		}
	}
}
