package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonv.Decode([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func compile(t testing.TB, def string) *StateMachine {
	t.Helper()
	sm, err := Compile([]byte(def))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return sm
}

func runDef(t testing.TB, def, input string, cfg ExecutionConfig) (*Execution, Result) {
	t.Helper()
	sm := compile(t, def)
	cfg.Input = mustJSON(t, input)
	if cfg.Clock == nil {
		cfg.Clock = NewFastClock(benchStart)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ex, res, err := sm.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return ex, res
}

func assertOutput(t *testing.T, res Result, want string) {
	t.Helper()
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s error %s cause %s", res.Status, res.Error, res.Cause)
	}
	if !jsonpath.Equal(res.Output, mustJSON(t, want)) {
		got, _ := json.Marshal(res.Output)
		t.Fatalf("output %s, want %s", got, want)
	}
}

func assertFailed(t *testing.T, res Result, status Status, errName string) {
	t.Helper()
	if res.Status != status || res.Error != errName {
		t.Fatalf("got %s %q (cause %q), want %s %q", res.Status, res.Error, res.Cause, status, errName)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, def, want string }{
		{"not json", `{`, "not JSON"},
		{"no StartAt", `{"States":{"A":{"Type":"Pass","End":true}}}`, "StartAt"},
		{"bad StartAt", `{"StartAt":"B","States":{"A":{"Type":"Pass","End":true}}}`, `no state named "B"`},
		{"bad Next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X"}}}`, `States.A.Next: no state named "X"`},
		{"no Next or End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "needs Next or End"},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}}`, "unknown state type"},
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Foo":1}}}`, `field "Foo" is not allowed`},
		{"bad path", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"InputPath":"$.a["}}}`, "InputPath"},
		{"wildcard ResultPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"ResultPath":"$.a[*]"}}}`, "not a reference path"},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Parameters":{"x.$":"States.Nope(1)"}}}}`, "Parameters.x.$"},
		{"bad choice op", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","StringEqualz":"a","Next":"A"}]}}}`, "unknown Choice operator"},
		{"wait two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, "exactly one"},
		{"Next leaves branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"P"}}}]}}}`, `Branches[0].States.B.Next: no state named "P"`},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"A"},{"ErrorEquals":["X"],"Next":"A"}]}}}`, "must be the last"},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "JSONata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.def))
			if err == nil {
				t.Fatal("compiled")
			}
			if !errors.Is(err, ErrInvalidDefinition) {
				t.Errorf("error does not wrap ErrInvalidDefinition: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestCompileErrorsInStateNameOrder checks that errors come in state-name
// order whatever the document order (states are compiled in document
// order), each with its full path, including paths deep in templates and
// branches, which are built only when an error needs them.
func TestCompileErrorsInStateNameOrder(t *testing.T) {
	def := `{"StartAt":"C","States":{
		"C":{"Type":"Pass","Next":"Nowhere","Parameters":{"deep":{"list":[1,{"x.$":"States.Nope(1)"}]}}},
		"B":{"Type":"Pass","End":true,"Foo":1,"ResultPath":"$.a[*]"},
		"A":{"Type":"Parallel","Next":"Gone","Branches":[{"StartAt":"Z","States":{"Z":{"Type":"Pass","Next":"Y"},"Y":{"Type":"Pass","End":true,"Parameters":{"k.$":7}}}}]}}}`
	_, err := Compile([]byte(def))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("Compile error = %v, want joined errors", err)
	}
	var got []string
	for _, e := range joined.Unwrap()[1:] {
		got = append(got, e.Error())
	}
	want := []string{
		`States.A.Branches[0].States.Y.Parameters.k.$: the value of a field ending in .$ must be a string path or intrinsic`,
		`States.B.Foo: field "Foo" is not allowed in a Pass state`,
		`States.B.ResultPath: "$.a[*]" is not a reference path`,
		`States.C.Parameters.deep.list[1].x.$: `,
		`States.A.Next: no state named "Gone"`,
		`States.C.Next: no state named "Nowhere"`,
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestContextObject(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name",
		"sm.$":"$$.StateMachine.Name","smid.$":"$$.StateMachine.Id","state.$":"$$.State.Name","entered.$":"$$.State.EnteredTime",
		"start.$":"$$.Execution.StartTime","retry.$":"$$.State.RetryCount","role.$":"$$.Execution.RoleArn"},"End":true}}}`
	_, res := runDef(t, def, `{}`, ExecutionConfig{Name: "run-1", StateMachineName: "orders"})
	assertOutput(t, res, `{"id":"arn:aws:states:us-east-1:123456789012:execution:orders:run-1","name":"run-1","sm":"orders",
		"smid":"arn:aws:states:us-east-1:123456789012:stateMachine:orders","state":"A","entered":"2024-01-02T03:04:05.000Z",
		"start":"2024-01-02T03:04:05.000Z","retry":0,"role":"arn:aws:iam::123456789012:role/service-role/StepFunctions-orders-role"}`)
}

func TestChoiceMissingVariableIsRuntime(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`
	_, res := runDef(t, def, `{}`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, ErrRuntime)
}

func TestStringMatchesPatterns(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*.csv", "a.csv", true}, {"*", "", true}, {"a\\*b", "a*b", true}, {"a\\*b", "aXb", false},
		{"a\\\\b", "a\\b", true}, {"a*b*c", "abc", true}, {"a*b*c", "acb", false}, {"log-*-*.txt", "log-1-2.txt", true},
	}
	for _, tc := range tests {
		if got := matchPattern(compilePattern(tc.pattern), tc.s); got != tc.want {
			t.Errorf("%q matches %q = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestWaitAdvancesFastClock(t *testing.T) {
	clock := NewFastClock(benchStart)
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"T"},
		"T":{"Type":"Wait","TimestampPath":"$.until","End":true}}}`
	_, res := runDef(t, def, `{"until":"2024-01-02T06:00:00Z"}`, ExecutionConfig{Clock: clock})
	assertOutput(t, res, `{"until":"2024-01-02T06:00:00Z"}`)
	if got := clock.Now(); !got.Equal(time.Date(2024, 1, 2, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("clock at %v", got)
	}
}

func TestWaitBadSecondsPath(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`
	for _, in := range []string{`{"s":-1}`, `{"s":"3"}`, `{}`} {
		_, res := runDef(t, def, in, ExecutionConfig{})
		assertFailed(t, res, StatusFailed, ErrRuntime)
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`
	_, res := runDef(t, def, `{}`, ExecutionConfig{})
	assertFailed(t, res, StatusTimedOut, ErrTimeout)
}

func TestStopAborts(t *testing.T) {
	sm := compile(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	waiting := make(chan struct{})
	ex, err := sm.Start(context.Background(), ExecutionConfig{Input: map[string]any{}, History: true, Observer: func(e HistoryEvent) {
		if e.Type == "WaitStateEntered" {
			close(waiting)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-waiting
	ex.Stop("Operator.Stop", "no longer needed")
	res, err := ex.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertFailed(t, res, StatusAborted, "Operator.Stop")
	h := ex.History()
	if n := len(h); n < 2 || h[n-1].Type != "ExecutionAborted" || h[n-2].Type != "WaitStateAborted" {
		t.Errorf("history ends %v", h)
	}
}

// flaky fails its first n calls with a named error.
type flaky struct {
	mu    sync.Mutex
	n     int
	calls []TaskRequest
}

func (f *flaky) Invoke(_ context.Context, req TaskRequest) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	if len(f.calls) <= f.n {
		return nil, faas.Errorf("Transient.Error", "attempt %d failed", len(f.calls))
	}
	return map[string]any{"ok": true, "attempts": float64(len(f.calls))}, nil
}

func TestRetryBackoffOnFastClock(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work",
		"Retry":[{"ErrorEquals":["Other"],"MaxAttempts":5},{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,"MaxDelaySeconds":10}],
		"End":true}}}`
	clock := NewFastClock(benchStart)
	inv := &flaky{n: 3}
	_, res := runDef(t, def, `{"in":1}`, ExecutionConfig{Clock: clock, Invoker: inv})
	assertOutput(t, res, `{"ok":true,"attempts":4}`)
	// 2s, 6s, then 18s capped to 10s.
	if got := clock.Now().Sub(benchStart); got != 18*time.Second {
		t.Errorf("retries waited %v, want 18s", got)
	}
	for i, c := range inv.calls {
		if c.FunctionName != "work" || c.Attempt != i || !jsonpath.Equal(c.Input, map[string]any{"in": 1.0}) {
			t.Errorf("call %d: %+v", i, c)
		}
	}
}

func TestRetryJitterFull(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":100,"MaxAttempts":1,"JitterStrategy":"FULL"}],"End":true}}}`
	clock := NewFastClock(benchStart)
	_, res := runDef(t, def, `{}`, ExecutionConfig{Clock: clock, Invoker: &flaky{n: 1}})
	if res.Status != StatusSucceeded {
		t.Fatal(res)
	}
	if got := clock.Now().Sub(benchStart); got >= 100*time.Second {
		t.Errorf("jittered delay %v not below the 100s cap", got)
	}
}

func TestRetriesExhaustedThenCatch(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work",
		"Retry":[{"ErrorEquals":["Transient.Error"],"MaxAttempts":2}],
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`
	inv := &flaky{n: 10}
	_, res := runDef(t, def, `{"a":1}`, ExecutionConfig{Invoker: inv})
	if res.Status != StatusSucceeded {
		t.Fatal(res)
	}
	out := jsonv.ToAny(res.Output).(map[string]any)
	e := out["err"].(map[string]any)
	if e["Error"] != "Transient.Error" || len(inv.calls) != 3 {
		t.Fatalf("err %v after %d calls", e, len(inv.calls))
	}
	var cause map[string]any
	if err := json.Unmarshal([]byte(e["Cause"].(string)), &cause); err != nil || cause["errorMessage"] != "attempt 3 failed" || cause["errorType"] != "Transient.Error" {
		t.Errorf("Lambda-shaped cause: %v (%v)", e["Cause"], err)
	}
}

func TestLambdaInvokeIntegrationShape(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"arn:aws:lambda:eu-west-1:111122223333:function:cogniforge-pricing:live","Payload":{"sku.$":"$.sku"}},
		"ResultSelector":{"price.$":"$.Payload.price","status.$":"$.StatusCode"},"ResultPath":"$.r","End":true}}}`
	var got TaskRequest
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		got = req
		return map[string]any{"price": 9.5}, nil
	})
	_, res := runDef(t, def, `{"sku":"a"}`, ExecutionConfig{Invoker: inv})
	assertOutput(t, res, `{"sku":"a","r":{"price":9.5,"status":200}}`)
	if got.FunctionName != "cogniforge-pricing" || got.Service != "lambda" || got.Action != "invoke" {
		t.Errorf("request %+v", got)
	}
	if !jsonpath.Equal(got.Input, map[string]any{"sku": "a"}) {
		t.Errorf("payload %v", got.Input)
	}
	// A pluggable resolver maps names.
	_, res = runDef(t, def, `{"sku":"a"}`, ExecutionConfig{Invoker: inv, FunctionName: func(s string) string {
		return strings.TrimPrefix(DefaultFunctionName(s), "cogniforge-")
	}})
	if res.Status != StatusSucceeded || got.FunctionName != "pricing" {
		t.Errorf("resolver: %v %q", res, got.FunctionName)
	}
}

func TestServiceIntegrationRequest(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
		"Parameters":{"QueueUrl":"q","MessageBody.$":"$"},"TimeoutSeconds":30,"End":true}}}`
	var got TaskRequest
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		got = req
		return map[string]any{"MessageId": "m-1"}, nil
	})
	_, res := runDef(t, def, `{"x":1}`, ExecutionConfig{Invoker: inv})
	assertOutput(t, res, `{"MessageId":"m-1"}`)
	if got.Service != "sqs" || got.Action != "sendMessage" || got.Timeout != 30*time.Second ||
		!jsonpath.Equal(got.Input, mustJSON(t, `{"QueueUrl":"q","MessageBody":{"x":1}}`)) {
		t.Errorf("request %+v", got)
	}
}

func TestTaskTimeout(t *testing.T) {
	clock := NewFastClock(benchStart)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"slow"},
		"TimeoutSeconds":5,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`
	inv := TaskInvokerFunc(func(ctx context.Context, req TaskRequest) (any, error) {
		_ = clock.Sleep(ctx, time.Minute) // the function takes a minute of virtual time
		return "late", nil
	})
	_, res := runDef(t, def, `{}`, ExecutionConfig{Clock: clock, Invoker: inv})
	assertOutput(t, res, `{"Error":"States.Timeout"}`)
}

func TestTaskTimeoutRealClockCancelsInvoke(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
		"TimeoutSecondsPath":"$.t","End":true}}}`
	sm := compile(t, def)
	inv := TaskInvokerFunc(func(ctx context.Context, req TaskRequest) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	// TimeoutSecondsPath must be positive: the smallest is 1s of real time.
	start := time.Now()
	_, res, err := sm.Run(context.Background(), ExecutionConfig{Input: map[string]any{"t": 1.0}, Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	assertFailed(t, res, StatusFailed, ErrTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestWaitForTaskToken(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
		"Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":60,"ResultPath":"$.approval","End":true}}}`
	tokens := NewTaskTokens()
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		body := jsonv.ToAny(req.Input).(map[string]any)["MessageBody"].(map[string]any)
		if body["token"] != req.TaskToken || req.Pattern != PatternWaitForTaskToken {
			return nil, errors.New("token not passed")
		}
		go func() {
			if err := tokens.SendTaskHeartbeat(req.TaskToken); err != nil {
				t.Error(err)
			}
			if err := tokens.SendTaskSuccess(req.TaskToken, map[string]any{"approved": true}); err != nil {
				t.Error(err)
			}
		}()
		return map[string]any{"MessageId": "ignored"}, nil
	})
	ex, res := runDef(t, def, `{"order":1}`, ExecutionConfig{Invoker: inv, Tokens: tokens, History: true})
	assertOutput(t, res, `{"order":1,"approval":{"approved":true}}`)
	var types []string
	for _, e := range ex.History() {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, " "); !strings.Contains(got, "TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited") {
		t.Errorf("callback history: %s", got)
	}
	if err := tokens.SendTaskSuccess("nope", nil); !errors.Is(err, ErrTaskTokenNotFound) {
		t.Errorf("unknown token: %v", err)
	}

	// A failure callback fails the task with its error name.
	inv = func(_ context.Context, req TaskRequest) (any, error) {
		go func() { _ = tokens.SendTaskFailure(req.TaskToken, "Rejected", "by a human") }()
		return nil, nil
	}
	_, res = runDef(t, def, `{}`, ExecutionConfig{Invoker: inv, Tokens: tokens})
	assertFailed(t, res, StatusFailed, "Rejected")
	if res.Cause != "by a human" {
		t.Errorf("cause %q", res.Cause)
	}
}

// A lambda:invoke.waitForTaskToken task's output is the SendTaskSuccess
// output as sent, not wrapped in a Lambda response (Payload, StatusCode).
func TestLambdaWaitForTaskTokenOutputIsNotWrapped(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`
	tokens := NewTaskTokens()
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		go func() {
			if err := tokens.SendTaskSuccess(req.TaskToken, map[string]any{"approved": true}); err != nil {
				t.Error(err)
			}
		}()
		return map[string]any{"ignored": true}, nil
	})
	_, res := runDef(t, def, `{}`, ExecutionConfig{Invoker: inv, Tokens: tokens})
	assertOutput(t, res, `{"approved":true}`)
}

func TestHeartbeatTimeout(t *testing.T) {
	clock := NewFastClock(benchStart)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"f","Payload":{"t.$":"$$.Task.Token"}},"HeartbeatSeconds":30,"End":true}}}`
	sm := compile(t, def)
	ex, err := sm.Start(context.Background(), ExecutionConfig{Input: map[string]any{}, Clock: clock,
		Invoker: TaskInvokerFunc(func(context.Context, TaskRequest) (any, error) { return nil, nil })})
	if err != nil {
		t.Fatal(err)
	}
	for len(ex.Tokens().Pending()) == 0 {
		time.Sleep(time.Millisecond)
	}
	// The waiter arms its heartbeat timer right after registering; advance
	// until it fires.
	deadline := time.Now().Add(5 * time.Second)
	for {
		clock.Advance(31 * time.Second)
		select {
		case <-ex.Done():
		case <-time.After(5 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			t.Fatal("no heartbeat timeout")
		}
		break
	}
	res, _ := ex.Result()
	assertFailed(t, res, StatusFailed, ErrHeartbeatTimeout)
}

func TestNoInvokerFailsTask(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}}}`
	_, res := runDef(t, def, `{}`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, ErrTaskFailed)
}

func TestMockConfig(t *testing.T) {
	mock := `{"StateMachines":{"orders":{"TestCases":{"HappyPath":{"Charge":"ChargeOK"},"Flaky":{"Charge":"ChargeFlaky"}}}},
	"MockedResponses":{"ChargeOK":{"0":{"Return":{"StatusCode":200,"Payload":{"charged":true}}}},
	"ChargeFlaky":{"0-1":{"Throw":{"Error":"Payment.Transient","Cause":"try again"}},"2":{"Return":{"Payload":{"charged":"late"}}}}}}`
	mc, err := ParseMockConfig([]byte(mock))
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"charge","Payload.$":"$"},"OutputPath":"$.Payload",
		"Retry":[{"ErrorEquals":["Payment.Transient"],"MaxAttempts":3}],"End":true}}}`
	called := false
	inv := TaskInvokerFunc(func(context.Context, TaskRequest) (any, error) { called = true; return nil, nil })
	for name, want := range map[string]string{"HappyPath": `{"charged":true}`, "Flaky": `{"charged":"late"}`} {
		tc, err := mc.TestCase("orders", name)
		if err != nil {
			t.Fatal(err)
		}
		_, res := runDef(t, def, `{}`, ExecutionConfig{Mock: tc, Invoker: inv})
		assertOutput(t, res, want)
	}
	if called {
		t.Error("a mocked task called the invoker")
	}
	if _, err := mc.TestCase("orders", "Missing"); !errors.Is(err, ErrMockConfig) {
		t.Errorf("missing test case: %v", err)
	}
	if _, err := ParseMockConfig([]byte(`{"StateMachines":{"m":{"TestCases":{"c":{"S":"nope"}}}}}`)); !errors.Is(err, ErrMockConfig) {
		t.Errorf("dangling response: %v", err)
	}
}

func TestMapToleratedFailures(t *testing.T) {
	def := func(tol string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + tol + `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericLessThan":0,"Next":"Bad"}],"Default":"Good"},
			"Bad":{"Type":"Fail","Error":"Negative"},"Good":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	_, res := runDef(t, def(`"ToleratedFailureCount":1,`), `[1,-1,2]`, ExecutionConfig{})
	assertOutput(t, res, `[1,{"Error":"Negative"},2]`)
	_, res = runDef(t, def(`"ToleratedFailureCount":1,`), `[1,-1,-2]`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, ErrExceedToleratedFailure)
	_, res = runDef(t, def(`"ToleratedFailurePercentage":50,`), `[1,-1,-2,3]`, ExecutionConfig{})
	if res.Status != StatusSucceeded {
		t.Errorf("50%% of 4 tolerates 2: %v", res)
	}
	_, res = runDef(t, def(``), `[1,-1]`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, "Negative")
}

func TestMapItemsNotArray(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.x","Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	_, res := runDef(t, def, `{"x":{"a":1}}`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, ErrRuntime)
}

func TestMapConcurrencyLimit(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":3,"ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true}}},"End":true}}}`
	var mu sync.Mutex
	active, peak := 0, 0
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		mu.Lock()
		active++
		peak = max(peak, active)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		active--
		mu.Unlock()
		return req.Input, nil
	})
	_, res := runDef(t, def, `[1,2,3,4,5,6,7,8,9,10]`, ExecutionConfig{Invoker: inv})
	assertOutput(t, res, `[1,2,3,4,5,6,7,8,9,10]`)
	if peak > 3 {
		t.Errorf("peak concurrency %d > 3", peak)
	}
}

func TestResultPathIntoScalar(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","Catch":[{"ErrorEquals":["States.ResultPathMatchFailure"],"Next":"B"}],"End":true},"B":{"Type":"Pass","End":true}}}`
	// Pass has no Catch in the spec; the compiler rejects it.
	if _, err := Compile([]byte(def)); err == nil {
		t.Fatal("Catch on Pass compiled")
	}
	_, res := runDef(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}}}`, `{"a":"s"}`, ExecutionConfig{})
	assertFailed(t, res, StatusFailed, ErrResultPathMatchFailure)
}

func TestHistory(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.Payload.items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"F"},
		"F":{"Type":"Fail","Error":"Done","Cause":"end"}}}`
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) { return req.Input, nil })
	ex, res := runDef(t, def, `{"items":[1]}`, ExecutionConfig{Invoker: inv, History: true})
	assertFailed(t, res, StatusFailed, "Done")
	var types []string
	for i, e := range ex.History() {
		types = append(types, e.Type)
		if e.ID != int64(i+1) {
			t.Errorf("event %d has id %d", i, e.ID)
		}
		if i > 0 && (e.PreviousEventID < 1 || e.PreviousEventID >= e.ID) {
			t.Errorf("event %d (%s) previous %d", e.ID, e.Type, e.PreviousEventID)
		}
	}
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited " +
		"MapStateEntered MapStateStarted MapIterationStarted PassStateEntered PassStateExited MapIterationSucceeded MapStateSucceeded MapStateExited " +
		"FailStateEntered ExecutionFailed"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
	b, err := json.Marshal(ex.History()[4])
	if err != nil {
		t.Fatal(err)
	}
	var sched map[string]any
	_ = json.Unmarshal(b, &sched)
	d, _ := sched["taskScheduledEventDetails"].(map[string]any)
	if d["resourceType"] != "lambda" || d["resource"] != "invoke" || d["parameters"] != `{"FunctionName":"f","Payload":{"items":[1]}}` {
		t.Errorf("TaskScheduled: %s", b)
	}
}

func TestParallelBranchFailureCancelsOthers(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000,"End":true}}},
		{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}]}}}`
	_, res := runDef(t, def, `{}`, ExecutionConfig{Clock: RealClock{}})
	assertFailed(t, res, StatusFailed, "E")
}

func TestFunctionNames(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:lambda:us-east-1:123:function:orders":      "orders",
		"arn:aws:lambda:us-east-1:123:function:orders:prod": "orders",
		"123:function:orders":                               "orders",
		"orders":                                            "orders",
	} {
		if got := DefaultFunctionName(in); got != want {
			t.Errorf("%s -> %s", in, got)
		}
	}
}

func TestPanickingInvokerFailsTask(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true}}},"End":true}}}`
	inv := TaskInvokerFunc(func(context.Context, TaskRequest) (any, error) { panic("boom") })
	_, res := runDef(t, def, `[1]`, ExecutionConfig{Invoker: inv})
	assertFailed(t, res, StatusFailed, ErrTaskFailed)
}

func TestMapItemBatcher(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.ids","ItemSelector":{"id.$":"$$.Map.Item.Value"},
		"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"tag.$":"$.tag"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)","tag.$":"$.BatchInput.tag","first.$":"$.Items[0].id"},"End":true}}},"End":true}}}`
	_, res := runDef(t, def, `{"ids":[1,2,3],"tag":"t"}`, ExecutionConfig{})
	assertOutput(t, res, `[{"n":2,"tag":"t","first":1},{"n":1,"tag":"t","first":3}]`)
}

func TestMapItemReader(t *testing.T) {
	reader := func(body any) TaskInvoker {
		return TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
			if req.Service != "s3" {
				return nil, errors.New("unexpected " + req.Service)
			}
			if req.Action == "listObjectsV2" {
				return map[string]any{"Contents": []any{map[string]any{"Key": "a"}, map[string]any{"Key": "b"}}}, nil
			}
			return body, nil
		})
	}
	def := func(reader string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":` + reader + `,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	tests := []struct {
		name, reader, want string
		body               any
	}{
		{"json", `{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key.$":"$.key"},"ReaderConfig":{"InputType":"JSON","MaxItems":2}}`, `[1,2]`, `[1,2,3]`},
		{"jsonl", `{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"}}`, `[{"a":1},{"a":2}]`, map[string]any{"Body": "{\"a\":1}\n{\"a\":2}\n"}},
		{"csv", `{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}}`, `[{"id":"1","n":"x"}]`, "id,n\n1,x\n"},
		{"list", `{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b"}}`, `[{"Key":"a"},{"Key":"b"}]`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, res := runDef(t, def(tc.reader), `{"key":"k"}`, ExecutionConfig{Invoker: reader(tc.body)})
			assertOutput(t, res, tc.want)
		})
	}
	_, res := runDef(t, def(tests[0].reader), `{"key":"k"}`, ExecutionConfig{Invoker: reader("not json")})
	assertFailed(t, res, StatusFailed, ErrItemReaderFailed)
}

func TestConcurrentFailuresPickLowestIndex(t *testing.T) {
	par := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"First"}}},
		{"StartAt":"G","States":{"G":{"Type":"Fail","Error":"Second"}}},
		{"StartAt":"H","States":{"H":{"Type":"Fail","Error":"Third"}}}]}}}`
	mp := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"F","States":{
		"F":{"Type":"Fail","ErrorPath":"States.Format('E{}', $)"}}}}}}`
	for i := 0; i < 30; i++ {
		_, res := runDef(t, par, `{}`, ExecutionConfig{})
		assertFailed(t, res, StatusFailed, "First")
		_, res = runDef(t, mp, `[1,2,3,4,5,6,7,8]`, ExecutionConfig{})
		assertFailed(t, res, StatusFailed, "E1")
	}
}

func TestRuntimeFailuresAreNotCaught(t *testing.T) {
	for name, state := range map[string]string{
		"resultpath": `"Parameters":{"a":1},"ResultPath":"$.s.x"`,
		"parameters": `"Parameters":{"a.$":"$.missing"}`,
		"outputpath": `"OutputPath":"$.missing"`,
		"selector":   `"ResultSelector":{"a.$":"$.missing"}`,
	} {
		t.Run(name, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Parallel",` + state + `,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],
				"Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`
			_, res := runDef(t, def, `{"s":"scalar"}`, ExecutionConfig{})
			if res.Status != StatusFailed || (res.Error != ErrRuntime && res.Error != ErrResultPathMatchFailure) {
				t.Fatalf("%+v", res)
			}
		})
	}
}

func TestTaskTimeoutIsWallTimeOnFastClock(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"hung"},
		"TimeoutSeconds":1,"End":true}}}`
	inv := TaskInvokerFunc(func(ctx context.Context, req TaskRequest) (any, error) {
		<-ctx.Done() // a function that never answers
		return nil, ctx.Err()
	})
	start := time.Now()
	_, res := runDef(t, def, `{}`, ExecutionConfig{Invoker: inv})
	assertFailed(t, res, StatusFailed, ErrTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestErrorMatching(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "Custom", true},
		{[]string{"States.TaskFailed"}, "Custom", true},
		{[]string{"States.TaskFailed"}, ErrTimeout, false},
		{[]string{"States.TaskFailed"}, ErrHeartbeatTimeout, false},
		{[]string{"States.Timeout"}, ErrHeartbeatTimeout, true},
		{[]string{"States.HeartbeatTimeout"}, ErrTimeout, false},
		{[]string{"A", "B"}, "B", true},
		{[]string{"A"}, "a", false},
	}
	for _, tc := range tests {
		if got := matches(tc.equals, tc.name); got != tc.want {
			t.Errorf("%v matches %s = %v", tc.equals, tc.name, got)
		}
	}
}

func TestActivityWaitsForToken(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:approve","HeartbeatSeconds":60,"End":true}}}`
	tokens := NewTaskTokens()
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		if req.Service != "activity" || req.Action != "approve" || req.TaskToken == "" {
			return nil, errors.New("bad activity request")
		}
		// An activity worker picks the task up later and answers by token.
		go func() { _ = tokens.SendTaskSuccess(req.TaskToken, map[string]any{"ok": true}) }()
		return nil, nil
	})
	ex, res := runDef(t, def, `{"doc":1}`, ExecutionConfig{Invoker: inv, Tokens: tokens, History: true})
	assertOutput(t, res, `{"ok":true}`)
	var types []string
	for _, e := range ex.History() {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, " "); !strings.Contains(got, "ActivityScheduled ActivityStarted ActivitySucceeded") {
		t.Errorf("activity history: %s", got)
	}
}

// loopDef loops through a Choice for as long as the input has no "stop":
// valid (the Default could leave), but endless on {}.
const loopDef = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},
  "C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"Done"},
  "Done":{"Type":"Succeed"}}}`

func TestMaxTransitionsEndsLoops(t *testing.T) {
	def := loopDef
	_, res := runDef(t, def, `{}`, ExecutionConfig{MaxTransitions: 1000})
	assertFailed(t, res, StatusFailed, ErrRuntime)
}

func TestFieldKinds(t *testing.T) {
	want := map[string]uint16{"Type": allKinds, "Comment": allKinds, "QueryLanguage": allKinds}
	for k, fs := range allowedFields {
		for _, f := range fs {
			want[f] |= 1 << k
		}
	}
	for f, bits := range want {
		if got := fieldKinds(f); got != bits {
			t.Errorf("fieldKinds(%q) = %b, want %b", f, got, bits)
		}
	}
	for _, f := range []string{"", "next", "Foo", "Parameters.$"} {
		if got := fieldKinds(f); got != 0 {
			t.Errorf("fieldKinds(%q) = %b, want 0", f, got)
		}
	}
}

// TestDefinitionText checks that Definition returns the text compiled,
// BOM included, as a copy, with or without OwnedDefinition, and that an
// owned definition runs like a copied one.
func TestDefinitionText(t *testing.T) {
	def := "\xef\xbb\xbf" + `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"$.v","k":"lit"},"End":true}}}`
	for _, owned := range []bool{false, true} {
		var opts []CompileOption
		if owned {
			opts = append(opts, OwnedDefinition())
		}
		sm, err := Compile([]byte(def), opts...)
		if err != nil {
			t.Fatal(err)
		}
		got := sm.Definition()
		if string(got) != def {
			t.Fatalf("owned=%v: Definition() = %q", owned, got)
		}
		got[5] = 'X'
		if string(sm.Definition()) != def {
			t.Fatalf("owned=%v: changing the returned slice changed the machine", owned)
		}
		_, res, err := sm.Run(context.Background(), ExecutionConfig{Input: mustJSON(t, `{"v":[1]}`), Clock: NewFastClock(benchStart)})
		if err != nil {
			t.Fatal(err)
		}
		assertOutput(t, res, `{"v":[1],"k":"lit"}`)
	}
}

// TestCompileEdgeCases pins what Compile does with repeated keys (the last
// value at the first position, also for states and for States itself),
// values of the wrong type, syntax errors, a BOM and error order. The
// expectations were produced by the compiler that decoded the whole
// definition into a tree before compiling; the streaming one must agree.
func TestCompileEdgeCases(t *testing.T) {
	defs := []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Pass","Result":2,"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Bad"},"B":{"Type":"Pass","End":true},"A":{"Type":"Pass","Result":3,"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Nope"}}}`,
		`{"StartAt":"A","States":{"A":5}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}},"States":{"B":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}},"States":7}`,
		`{"StartAt":"A","States":7,"States":{"A":{"Type":"Pass","Result":1,"End":true}}}`,
		`{"StartAt":"A","States":{}}`,
		`{"StartAt":"A"}`,
		`{"States":{"Z":{"Type":"Pass","Foo":1},"A":{"Type":"Pass","Next":"Q"}},"QueryLanguage":"JSONata","TimeoutSeconds":-1}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[],"Default":"Nope"},"D":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"X"}],"Default":""}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Type":"Pass","Result":{"a":1,"a":2}}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}} x`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}`,
		`[1]`,
		`"x"`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":tru}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","End":true},"X":{"Type":"Pass","Next":"Y"}}}]}}}`,
		`{"StartAt":"A","States":{"B":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x[)"},"End":true},"A":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x[)"},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["X"],"Next":"Nope"}],"Retry":[{"ErrorEquals":["States.ALL"],"Foo":1,"MaxAttempts":-1}],"End":true}}}`,
		"\xef\xbb\xbf" + `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
	}
	want := []string{
		`OK [A] SUCCEEDED 2  <nil>`,
		`OK [A B] SUCCEEDED 3  <nil>`,
		`ERR asl: invalid state machine definition
States.A.Type: unknown state type "Nope"
StartAt: no state named "A"`,
		`ERR asl: invalid state machine definition
States.A: a state must be an object
StartAt: no state named "A"`,
		`ERR asl: invalid state machine definition
StartAt: no state named "A"`,
		`ERR asl: invalid state machine definition
States: States must be an object of states`,
		`OK [A] SUCCEEDED 1  <nil>`,
		`ERR asl: invalid state machine definition
States: States must not be empty
StartAt: no state named "A"`,
		`ERR asl: invalid state machine definition
States: States must be an object of states`,
		`ERR asl: invalid state machine definition
QueryLanguage: query language JSONata is not supported (only JSONPath)
TimeoutSeconds: must be a non-negative integer
States.Z.Foo: field "Foo" is not allowed in a Pass state
States.Z: a Pass state needs Next or End
States.A.Next: no state named "Q"
StartAt: is required`,
		`ERR asl: invalid state machine definition
States.C.Choices: Choices must be a non-empty array
States.C.Default: no state named "Nope"
States.D.Choices[0].Next: no state named "X"
States.D.Default: no state named ""`,
		`OK [A] SUCCEEDED {"a":2}  <nil>`,
		`ERR asl: invalid state machine definition: not JSON: jsonv: invalid JSON at offset 58: text after the JSON value`,
		`ERR asl: invalid state machine definition: not JSON: jsonv: invalid JSON at offset 56: unexpected end of input in an object`,
		`ERR asl: invalid state machine definition: the definition must be a JSON object`,
		`ERR asl: invalid state machine definition: the definition must be a JSON object`,
		`ERR asl: invalid state machine definition: not JSON: jsonv: invalid JSON at offset 50: invalid literal, expected true`,
		`ERR asl: invalid state machine definition
States.P.Branches[0].States.X.Next: no state named "Y"`,
		`ERR asl: invalid state machine definition
States.A.Parameters.a.$: States.Runtime: invalid intrinsic function "States.Format('{}', $.x[)" at offset 25: unclosed [ in path
States.B.Parameters.a.$: States.Runtime: invalid intrinsic function "States.Format('{}', $.x[)" at offset 25: unclosed [ in path`,
		`ERR asl: invalid state machine definition
States.A.Retry[0].Foo: field "Foo" is not allowed in a retrier
States.A.Retry[0].MaxAttempts: must be a non-negative integer
States.A.Catch[0].Next: no state named "Nope"`,
		`OK [A] SUCCEEDED {"x":1}  <nil>`,
	}
	if len(want) != len(defs) {
		t.Fatalf("%d expectations for %d definitions", len(want), len(defs))
	}
	for i, d := range defs {
		var got string
		sm, err := Compile([]byte(d))
		if err != nil {
			got = fmt.Sprintf("ERR %v", err)
		} else {
			_, res, err := sm.Run(context.Background(), ExecutionConfig{Input: map[string]any{"x": 1.0}, Clock: NewFastClock(benchStart), Name: "n"})
			got = fmt.Sprintf("OK %v %s %s %v %v", sm.StateNames(), res.Status, compactJSON(res.Output), res.Error, err)
		}
		if got != want[i] {
			t.Errorf("definition %d: %s\ngot  %s\nwant %s", i, d, got, want[i])
		}
	}
}
