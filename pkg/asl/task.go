package asl

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// TaskInvoker runs the work of a Task state: a Lambda function, a service
// integration (sqs:sendMessage, sns:publish, events:putEvents, dynamodb:...)
// or an activity. The local runtime wires real functions behind it; tests
// use fakes.
//
// An error that has a name (an *Error, a faas.Error or anything with an
// ErrorName method) fails the task with that name, so Retry and Catch can
// match it; other errors are named as aws-lambda-go names them (the Go type
// name, "errorString" for errors.New).
type TaskInvoker interface {
	Invoke(ctx context.Context, req TaskRequest) (any, error)
}

// TaskInvokerFunc adapts a function to TaskInvoker.
type TaskInvokerFunc func(ctx context.Context, req TaskRequest) (any, error)

// Invoke calls f.
func (f TaskInvokerFunc) Invoke(ctx context.Context, req TaskRequest) (any, error) {
	return f(ctx, req)
}

// Integration patterns of a service-integration resource.
const (
	PatternRequestResponse  = ""
	PatternSync             = "sync"
	PatternWaitForTaskToken = "waitForTaskToken"
)

// TaskRequest is one invocation of a Task state.
type TaskRequest struct {
	// Resource is the Resource ARN as written in the definition.
	Resource string
	// Service and Action name a service integration
	// (arn:aws:states:::sqs:sendMessage -> "sqs", "sendMessage";
	// arn:aws:states:::aws-sdk:s3:getObject -> "aws-sdk:s3", "getObject").
	// For a plain Lambda function ARN they are "lambda" and "invoke"; for an
	// activity "activity" and the activity name.
	Service, Action string
	// Pattern is "", "sync" or "waitForTaskToken".
	Pattern string
	// FunctionName is the Lambda function's name (lambda resources only),
	// mapped through ExecutionConfig.FunctionName.
	FunctionName string
	// Input is what the function or service receives: the Lambda payload
	// (Parameters.Payload for lambda:invoke, the effective input for a
	// function ARN) or the effective Parameters of other integrations.
	// Objects in it are *jsonv.Object, in AWS's order; json.Marshal writes
	// them in that order and jsonv.ToAny turns them into plain maps.
	Input any
	// Parameters are the effective Parameters (or the effective input when
	// the state has none), as jsonv values like Input.
	Parameters any
	// TaskToken is set for .waitForTaskToken tasks: the execution waits for
	// TaskTokens.SendTaskSuccess/Failure with it.
	TaskToken string
	// Timeout and Heartbeat are the state's TimeoutSeconds and
	// HeartbeatSeconds (zero when not set).
	Timeout, Heartbeat time.Duration
	// StateName, ExecutionARN and ExecutionName identify the caller.
	StateName, ExecutionARN, ExecutionName string
	// Attempt is 0 for the first attempt and counts retries.
	Attempt int
}

type resKind uint8

const (
	resUnknown resKind = iota
	resLambdaFunction
	resService
	resActivity
)

type resource struct {
	kind            resKind
	service, action string
	pattern         string
	function        string
}

// parseResource splits a Task's Resource ARN.
func parseResource(arn string) resource {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return resource{}
	}
	switch parts[2] {
	case "lambda":
		// arn:aws:lambda:region:account:function:name[:qualifier]
		rest := parts[5]
		if strings.HasPrefix(rest, "function:") {
			return resource{kind: resLambdaFunction, service: "lambda", action: "invoke", function: arn}
		}
	case "states":
		rest := parts[5]
		if strings.HasPrefix(rest, "activity:") {
			return resource{kind: resActivity, service: "activity", action: strings.TrimPrefix(rest, "activity:")}
		}
		// arn:aws:states:::service:action[.pattern]
		i := strings.LastIndex(rest, ":")
		if i <= 0 {
			return resource{}
		}
		svc, act := rest[:i], rest[i+1:]
		pattern := ""
		if j := strings.Index(act, "."); j >= 0 {
			act, pattern = act[:j], act[j+1:]
		}
		return resource{kind: resService, service: svc, action: act, pattern: pattern}
	}
	return resource{}
}

// DefaultFunctionName returns the function name of a Lambda ARN
// (arn:aws:lambda:region:account:function:NAME[:qualifier]) or of a partial
// ARN (account:function:NAME, function:NAME), and a plain name unchanged.
func DefaultFunctionName(arnOrName string) string {
	if i := strings.Index(arnOrName, "function:"); i >= 0 {
		name := arnOrName[i+len("function:"):]
		if j := strings.Index(name, ":"); j >= 0 {
			name = name[:j]
		}
		return name
	}
	return arnOrName
}

func (ex *Execution) functionName(s string) string {
	if ex.cfg.FunctionName != nil {
		return ex.cfg.FunctionName(s)
	}
	return DefaultFunctionName(s)
}

// execTask runs a Task: input processing, invocation (or mock), result
// processing.
func (ex *Execution) execTask(ctx context.Context, th *thread, f *frame, st *state, raw any) (any, *state, error) {
	eff, aerr := st.flow.input(f, raw)
	if aerr != nil {
		return nil, nil, aerr
	}
	timeout, heartbeat, aerr := taskTimes(st, eff)
	if aerr != nil {
		return nil, nil, aerr
	}
	res := st.res
	// Callback tasks and activities complete through a task token.
	if res.pattern == PatternWaitForTaskToken || res.kind == resActivity {
		f.token = newUUID() + newUUID()
		defer func() { f.token = "" }()
	}
	params, aerr := st.flow.arguments(f, eff)
	if aerr != nil {
		return nil, nil, aerr
	}
	req := TaskRequest{
		Resource: st.resource, Service: res.service, Action: res.action, Pattern: res.pattern,
		Input: params, Parameters: params, TaskToken: f.token, Timeout: timeout, Heartbeat: heartbeat,
		StateName: st.name, ExecutionARN: ex.arn, ExecutionName: ex.name, Attempt: f.retryCount,
	}
	lambdaIntegration := res.kind == resService && res.service == "lambda" && res.action == "invoke"
	switch {
	case res.kind == resLambdaFunction:
		req.FunctionName = ex.functionName(res.function)
	case lambdaIntegration:
		pm, _ := params.(*jsonv.Object)
		fnv, _ := pm.Get("FunctionName")
		fn, _ := fnv.(string)
		if fn == "" {
			return nil, nil, errorf(ErrRuntime, "The lambda:invoke integration of state '%s' needs Parameters.FunctionName", st.name)
		}
		req.FunctionName = ex.functionName(fn)
		payload, ok := pm.Get("Payload")
		if !ok {
			payload = jsonv.NewObject(nil)
		}
		req.Input = payload
	}

	evPrefix, resourceType, resourceName := "Task", res.service, res.action
	if res.pattern != "" {
		resourceName += "." + res.pattern
	}
	// Lambda function ARNs and activities have their own event types, whose
	// details name the ARN instead of a resource type.
	arnEvents := res.kind == resLambdaFunction || res.kind == resActivity
	switch res.kind {
	case resLambdaFunction:
		evPrefix = "LambdaFunction"
	case resActivity:
		evPrefix = "Activity"
	}
	if ex.admit(th) {
		ex.record(th, evPrefix+"Scheduled", lowerFirst(evPrefix)+"ScheduledEventDetails", detailsFunc(func() map[string]any {
			d := map[string]any{}
			if arnEvents {
				d["resource"] = st.resource
				d["input"] = compactJSON(req.Input)
				d["inputDetails"] = map[string]any{"truncated": false}
			} else {
				d["resourceType"], d["resource"], d["region"] = resourceType, resourceName, ex.region
				d["parameters"] = compactJSON(params)
			}
			if timeout > 0 {
				d["timeoutInSeconds"] = int64(timeout / time.Second)
			}
			if heartbeat > 0 && res.kind != resLambdaFunction {
				d["heartbeatInSeconds"] = int64(heartbeat / time.Second)
			}
			return d
		}))
	}
	if arnEvents {
		ex.event(th, evPrefix+"Started", "", nil)
	} else {
		ex.eventLazy(th, "TaskStarted", "taskStartedEventDetails", func() map[string]any {
			return map[string]any{"resourceType": resourceType, "resource": resourceName}
		})
	}

	var submitted func(any)
	if ex.counting() && !arnEvents {
		submitted = func(out any) {
			ex.event(th, "TaskSubmitted", "taskSubmittedEventDetails", map[string]any{
				"resourceType": resourceType, "resource": resourceName,
				"output": compactJSON(out), "outputDetails": map[string]any{"truncated": false},
			})
		}
	}
	result, terr := ex.invoke(ctx, st, req, timeout, heartbeat, submitted)
	// Invokers and callbacks hand back plain Go values; from here on the
	// result is an ordered value (a map's keys come sorted).
	result = jsonv.FromAny(result)
	// With .waitForTaskToken the output is what SendTaskSuccess sent, as is;
	// only a request-response invoke is wrapped in the Lambda response.
	if terr == nil && lambdaIntegration && res.pattern != PatternWaitForTaskToken && !ex.mocked(st) {
		result = object(
			"ExecutedVersion", "$LATEST",
			"Payload", result,
			"SdkHttpMetadata", object(
				"AllHttpHeaders", object("Content-Type", []any{"application/json"}, "X-Amz-Executed-Version", []any{"$LATEST"}),
				"HttpHeaders", object("Content-Type", "application/json", "X-Amz-Executed-Version", "$LATEST"),
				"HttpStatusCode", float64(200),
			),
			"SdkResponseMetadata", object("RequestId", newUUID()),
			"StatusCode", float64(200),
		)
	}
	if terr != nil {
		var se *stopError
		if errors.As(terr, &se) || errors.Is(terr, errBranchCancelled) {
			return nil, nil, terr
		}
		ae := asError(terr)
		typ := "Failed"
		if ae.Name == ErrTimeout || ae.Name == ErrHeartbeatTimeout {
			typ = "TimedOut"
		}
		if ex.admit(th) {
			ex.record(th, evPrefix+typ, lowerFirst(evPrefix)+typ+"EventDetails", detailsFunc(func() map[string]any {
				d := map[string]any{"error": ae.Name}
				if ae.HasCause {
					d["cause"] = ae.Cause
				}
				if !arnEvents {
					d["resourceType"], d["resource"] = resourceType, resourceName
				}
				return d
			}))
		}
		return nil, nil, ae
	}
	if ex.admit(th) {
		ex.record(th, evPrefix+"Succeeded", lowerFirst(evPrefix)+"SucceededEventDetails", detailsFunc(func() map[string]any {
			d := map[string]any{"output": compactJSON(result), "outputDetails": map[string]any{"truncated": false}}
			if !arnEvents {
				d["resourceType"], d["resource"] = resourceType, resourceName
			}
			return d
		}))
	}
	return ex.finishWithSelector(f, st, raw, result)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func taskTimes(st *state, eff any) (timeout, heartbeat time.Duration, err *Error) {
	if st.hasTimeout {
		timeout = time.Duration(st.timeoutSeconds) * time.Second
	} else if st.timeoutPath != nil {
		n, e := nonNegInt(st.timeoutPath, eff, "TimeoutSecondsPath")
		if e != nil || n < 1 {
			return 0, 0, errorf(ErrRuntime, "TimeoutSecondsPath of state '%s' must reference a positive integer", st.name)
		}
		timeout = time.Duration(n) * time.Second
	}
	if st.hasHeartbeat {
		heartbeat = time.Duration(st.heartbeatSeconds) * time.Second
	} else if st.heartbeatPath != nil {
		n, e := nonNegInt(st.heartbeatPath, eff, "HeartbeatSecondsPath")
		if e != nil || n < 1 {
			return 0, 0, errorf(ErrRuntime, "HeartbeatSecondsPath of state '%s' must reference a positive integer", st.name)
		}
		heartbeat = time.Duration(n) * time.Second
	}
	return timeout, heartbeat, nil
}

func (ex *Execution) mocked(st *state) bool {
	return ex.cfg.Mock != nil && ex.cfg.Mock.has(st.name)
}

// invoke calls the mock or the invoker, enforcing TimeoutSeconds and, for
// callbacks, HeartbeatSeconds.
func (ex *Execution) invoke(ctx context.Context, st *state, req TaskRequest, timeout, heartbeat time.Duration, submitted func(any)) (any, error) {
	if ex.mocked(st) {
		ex.mockMu.Lock()
		if ex.mockCounts == nil {
			ex.mockCounts = map[string]int{}
		}
		n := ex.mockCounts[st.name]
		ex.mockCounts[st.name] = n + 1
		ex.mockMu.Unlock()
		return ex.cfg.Mock.respond(st.name, n)
	}
	if ex.cfg.Invoker == nil {
		return nil, errorf(ErrTaskFailed, "no task invoker is configured for resource %s", req.Resource)
	}
	start := ex.now(ctx)
	ictx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timedOut := &Error{Name: ErrTimeout}
	if timeout > 0 {
		// On a FastClock the virtual time jumps with other branches' waits
		// while this task runs in real time, so its timer is a wall-time one;
		// virtual time spent by the task itself is checked when it returns.
		var timeoutC <-chan time.Time
		if _, fast := ex.clock.(*FastClock); fast {
			t := time.NewTimer(timeout)
			defer t.Stop()
			timeoutC = t.C
		} else {
			timeoutC = ex.clock.After(timeout)
		}
		go func() {
			select {
			case <-timeoutC:
				cancel(timedOut)
			case <-ictx.Done():
			}
		}()
	}
	var waiter *tokenWait
	if req.TaskToken != "" {
		waiter = ex.tokens.register(req.TaskToken)
		defer ex.tokens.remove(req.TaskToken)
	}
	if ctx.Err() != nil {
		return nil, ex.interrupted(ctx)
	}
	out, err := safeInvoke(ictx, ex.cfg.Invoker, req)
	if err == nil && waiter != nil {
		if submitted != nil {
			submitted(out)
		}
		out, err = ex.waitToken(ictx, waiter, heartbeat)
	}
	if ctx.Err() != nil {
		return nil, ex.interrupted(ctx)
	}
	if stop := ex.stopped(ctx); stop != nil {
		return nil, stop
	}
	if errors.Is(context.Cause(ictx), timedOut) || (timeout > 0 && ex.now(ctx).Sub(start) > timeout) {
		return nil, timedOut
	}
	if err != nil {
		return nil, taskError(req, err)
	}
	return out, nil
}

// safeInvoke turns a panicking invoker into a failed task.
func safeInvoke(ctx context.Context, inv TaskInvoker, req TaskRequest) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errorf(ErrTaskFailed, "the task panicked: %v", r)
		}
	}()
	return inv.Invoke(ctx, req)
}

func (ex *Execution) waitToken(ctx context.Context, w *tokenWait, heartbeat time.Duration) (any, error) {
	for {
		var hb, wall <-chan time.Time
		stopWall := func() {}
		if heartbeat > 0 {
			hb = ex.clock.After(heartbeat)
			wall, stopWall = ex.wallBackstop(heartbeat)
		}
		r, beat, err := ex.waitTokenOnce(ctx, w, hb, wall)
		stopWall()
		if beat {
			continue
		}
		return r, err
	}
}

func (ex *Execution) waitTokenOnce(ctx context.Context, w *tokenWait, hb, wall <-chan time.Time) (out any, beat bool, err error) {
	select {
	case r := <-w.done:
		return r.output, false, r.err
	case <-w.beat:
		return nil, true, nil
	case <-hb:
		return nil, false, &Error{Name: ErrHeartbeatTimeout}
	case <-wall:
		return nil, false, &Error{Name: ErrHeartbeatTimeout}
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// wallBackstop makes task timeouts and heartbeats real time even on a
// FastClock: the virtual clock only moves with Wait states and retries, so
// without it a hung function would never time out. On the real clock it is
// not needed and returns a nil channel.
func (ex *Execution) wallBackstop(d time.Duration) (<-chan time.Time, func()) {
	if _, ok := ex.clock.(RealClock); ok {
		return nil, func() {}
	}
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// taskError names an invoker's error the way Step Functions reports a
// Lambda failure: Error is the error type, Cause the Lambda error payload.
func taskError(req TaskRequest, err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	name := errorName(err)
	if name == "" {
		name = ErrTaskFailed
	}
	if req.Service == "lambda" {
		return NewError(name, compactJSON(map[string]any{"errorMessage": err.Error(), "errorType": name, "stackTrace": []any{}}))
	}
	return NewError(name, err.Error())
}

// errorName is the name an invoker's error is reported under: the name of
// the first error in the chain with an ErrorName method (a faas.Error, say),
// else the Go type name, as aws-lambda-go reports it ("errorString" for
// errors.New). It is faas.ErrorName's rule, kept here so the engine links no
// platform adapter.
func errorName(err error) string {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) {
		if n := named.ErrorName(); n != "" {
			return n
		}
	}
	t := reflect.TypeOf(err)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.Name()
}

// TaskTokens is the registry where .waitForTaskToken tasks wait for their
// callback. One registry may be shared by many executions, so an API can
// route SendTaskSuccess by token alone. Safe for concurrent use.
type TaskTokens struct {
	mu    sync.Mutex
	waits map[string]*tokenWait
}

type tokenResult struct {
	output any
	err    error
}

type tokenWait struct {
	done chan tokenResult
	beat chan struct{}
}

// NewTaskTokens returns an empty registry.
func NewTaskTokens() *TaskTokens { return &TaskTokens{waits: map[string]*tokenWait{}} }

func (t *TaskTokens) register(token string) *tokenWait {
	w := &tokenWait{done: make(chan tokenResult, 1), beat: make(chan struct{}, 1)}
	t.mu.Lock()
	t.waits[token] = w
	t.mu.Unlock()
	return w
}

func (t *TaskTokens) remove(token string) {
	t.mu.Lock()
	delete(t.waits, token)
	t.mu.Unlock()
}

func (t *TaskTokens) take(token string) (*tokenWait, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.waits[token]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrTaskTokenNotFound, token)
	}
	delete(t.waits, token)
	return w, nil
}

// Pending returns the tokens currently waited for.
func (t *TaskTokens) Pending() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.waits))
	for k := range t.waits {
		out = append(out, k)
	}
	return out
}

// SendTaskSuccess completes the task waiting for token with output.
func (t *TaskTokens) SendTaskSuccess(token string, output any) error {
	w, err := t.take(token)
	if err != nil {
		return err
	}
	w.done <- tokenResult{output: output}
	return nil
}

// SendTaskFailure fails the task waiting for token.
func (t *TaskTokens) SendTaskFailure(token, errName, cause string) error {
	w, err := t.take(token)
	if err != nil {
		return err
	}
	w.done <- tokenResult{err: &Error{Name: errName, Cause: cause, HasCause: cause != ""}}
	return nil
}

// SendTaskHeartbeat resets the heartbeat timer of the task waiting for token.
func (t *TaskTokens) SendTaskHeartbeat(token string) error {
	t.mu.Lock()
	w, ok := t.waits[token]
	t.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrTaskTokenNotFound, token)
	}
	select {
	case w.beat <- struct{}{}:
	default:
	}
	return nil
}
