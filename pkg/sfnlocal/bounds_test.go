package sfnlocal

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/validate"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

const (
	// cycleDef has no terminal state: AWS refuses it (MISSING_END_STATE).
	cycleDef = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`
	// choiceLoopDef is valid (its Default leaves the loop) but loops
	// forever on an input without "stop".
	choiceLoopDef = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},
	  "C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"Done"},
	  "Done":{"Type":"Succeed"}}}`
)

// bigDef is a valid definition of n bytes (n large).
func bigDef(n int) string {
	def := `{"Comment":"","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	return strings.Replace(def, `"Comment":""`, `"Comment":"`+strings.Repeat("x", n-len(def))+`"`, 1)
}

func TestDefinitionsThatCannotEndAreRefused(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("cycle"), Definition: aws.String(cycleDef), RoleArn: aws.String(role)})
	wantAPIError[*types.InvalidDefinition](t, err)
	if !strings.Contains(err.Error(), "MISSING_END_STATE") {
		t.Errorf("CreateStateMachine error %v does not say MISSING_END_STATE", err)
	}
	arn := h.create(t, "ok", passDef, "")
	_, err = h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(cycleDef)})
	wantAPIError[*types.InvalidDefinition](t, err)

	out, err := h.client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(cycleDef)})
	if err != nil || out.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(out.Diagnostics) != 1 ||
		aws.ToString(out.Diagnostics[0].Code) != validate.CodeMissingEndState || aws.ToString(out.Diagnostics[0].Location) != "States" {
		t.Fatalf("validate = %+v, %v", out, err)
	}
	// A loop with a way out is a valid machine.
	h.create(t, "loop", choiceLoopDef, "")
}

func TestDefinitionSizeLimit(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	h.create(t, "largest", bigDef(validate.MaxDefinitionBytes), "")
	tooBig := bigDef(validate.MaxDefinitionBytes + 1)
	_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("big"), Definition: aws.String(tooBig), RoleArn: aws.String(role)})
	wantAPIError[*types.ValidationException](t, err)
	if !strings.Contains(err.Error(), "1048576") {
		t.Errorf("error %v does not name the limit", err)
	}
	arn := h.create(t, "small", passDef, "")
	_, err = h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(tooBig)})
	wantAPIError[*types.ValidationException](t, err)
	_, err = h.client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tooBig)})
	wantAPIError[*types.ValidationException](t, err)
}

// TestStandardLoopEndsAtHistoryLimit: a STANDARD execution looping through
// a Choice fails with States.Runtime at 25,000 events, as on AWS, and its
// history reads stay paged.
func TestStandardLoopEndsAtHistoryLimit(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	arn := h.start(t, h.create(t, "loop", choiceLoopDef, ""), "forever", `{}`)
	d := waitDone(t, h.client, arn)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != asl.ErrRuntime || !strings.Contains(aws.ToString(d.Cause), "25000 history events") {
		t.Fatalf("describe = %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	page, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 2, ReverseOrder: true})
	if err != nil || len(page.Events) != 2 || page.Events[0].Type != types.HistoryEventTypeExecutionFailed || page.Events[0].Id != asl.MaxStandardHistoryEvents {
		t.Fatalf("last events = %+v, %v", page, err)
	}
}

// TestExpressLoopIsBounded: an EXPRESS execution has no event limit, as on
// AWS, but a transition limit and five minutes.
func TestExpressLoopIsBounded(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), func(c *ServiceConfig) { c.MaxExpressTransitions = 5000 })
	ctx := context.Background()
	machine := h.create(t, "quick-loop", choiceLoopDef, types.StateMachineTypeExpress)
	out, err := h.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{}`)})
	if err != nil || out.Status != types.SyncExecutionStatusFailed || aws.ToString(out.Error) != asl.ErrRuntime || !strings.Contains(aws.ToString(out.Cause), "5000 states") {
		t.Fatalf("sync = %+v, %v", out, err)
	}
	arn := h.start(t, machine, "async", `{}`)
	if d := waitDone(t, h.client, arn); d.Status != types.ExecutionStatusFailed {
		t.Fatalf("async express: %s", d.Status)
	}
	waitLoop := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"C"},
	  "C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"W"}],"Default":"Done"},"Done":{"Type":"Succeed"}}}`
	slow := h.create(t, "slow-loop", waitLoop, types.StateMachineTypeExpress)
	out, err = h.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(slow), Input: aws.String(`{}`)})
	if err != nil || out.Status != types.SyncExecutionStatusTimedOut || out.StopDate.Sub(*out.StartDate) != asl.MaxExpressDuration {
		t.Fatalf("sync wait loop = %+v, %v", out, err)
	}
}

func TestServiceLimitsConfigurable(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), func(c *ServiceConfig) { c.MaxHistoryEvents = 50 })
	arn := h.start(t, h.create(t, "loop", choiceLoopDef, ""), "short", `{}`)
	d := waitDone(t, h.client, arn)
	if d.Status != types.ExecutionStatusFailed || !strings.Contains(aws.ToString(d.Cause), "50 history events") {
		t.Fatalf("describe = %s %s", d.Status, aws.ToString(d.Cause))
	}
	if n := len(historyTypes(t, h.client, arn)); n != 50 {
		t.Fatalf("%d events, want 50", n)
	}
}

func TestListExecutionsMaxResultsBounds(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	machine := h.create(t, "m", passDef, "")
	for _, c := range []struct {
		max  int32
		want string
	}{{-5, "greater than or equal to 0"}, {1001, "less than or equal to 1000"}} {
		_, err := h.client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), MaxResults: c.max})
		wantAPIError[*types.ValidationException](t, err)
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "'maxResults'") {
			t.Errorf("maxResults %d: %v, want it to say %q", c.max, err, c.want)
		}
	}
}

// gatedStore holds every write of a history until the gate opens.
type gatedStore struct {
	store.Store
	gate chan struct{}
	once sync.Once
	held chan struct{} // closed when a history write is first held
}

func (s *gatedStore) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if strings.HasPrefix(it.Key.Partition, partHistoryPrefix) {
		s.once.Do(func() { close(s.held) })
		select {
		case <-s.gate:
		case <-ctx.Done():
			return store.Item{}, errors.New("gated store: cancelled")
		}
	}
	return s.Store.Put(ctx, it, cond)
}

// TestStopDoesNotWaitForTheHistoryWrite: StopExecution answers once the
// execution has ended, while its history is still being written (a long
// history takes long to write), and Describe agrees with it meanwhile.
func TestStopDoesNotWaitForTheHistoryWrite(t *testing.T) {
	st := &gatedStore{Store: memory.New(memory.Config{}), gate: make(chan struct{}), held: make(chan struct{})}
	h := newHarness(t, st, nil)
	t.Cleanup(func() { close(st.gate) }) // before Close, which waits for the writes
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	arn := h.start(t, h.create(t, "approval", callbackDef, ""), "stop-me", `{"order":1}`)
	h.inv.token(t)
	<-st.held // the history is being written, and stays so
	out, err := h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Ops.Cancelled")})
	if err != nil || out.StopDate == nil {
		t.Fatalf("stop = %+v, %v", out, err)
	}
	d, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || d.Status != types.ExecutionStatusAborted || !d.StopDate.Equal(*out.StopDate) {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	list, err := h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: d.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || list.Executions[0].Status != types.ExecutionStatusAborted {
		t.Fatalf("list = %+v, %v", list, err)
	}
}
