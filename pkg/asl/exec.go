package asl

import (
	"context"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/clock"
)

// Status is the state of an execution, as DescribeExecution reports it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Result is the outcome of an execution. Output is set when Status is
// SUCCEEDED; Error and Cause when it is not (Cause may be empty). Output is
// a jsonv value: objects are *jsonv.Object, which json.Marshal writes with
// their members in order (jsonv.ToAny converts to plain maps).
type Result struct {
	Status Status
	Output any
	Error  string
	Cause  string
}

// ExecutionConfig configures one execution. Only Input matters for most
// callers; every other field has a working zero value.
type ExecutionConfig struct {
	// Name of the execution. Empty means a random UUID.
	Name string
	// StateMachineName names the machine in ARNs and in the context object.
	// Empty means "StateMachine".
	StateMachineName string
	// Input is the execution input (nil is JSON null): ideally decoded by
	// jsonv.Decode, which keeps the document's key order; plain
	// encoding/json values are accepted and their object keys sorted.
	Input any
	// Clock is the time source. Nil means RealClock; use a FastClock to run
	// Wait states and retry intervals without sleeping.
	Clock Clock
	// Invoker runs Task states. Nil means every non-mocked Task fails with
	// States.TaskFailed.
	Invoker TaskInvoker
	// FunctionName maps a Lambda ARN or name to the function name passed in
	// TaskRequest.FunctionName. Nil means DefaultFunctionName.
	FunctionName func(arnOrName string) string
	// Mock answers Task states from a Step Functions Local mock test case;
	// a mocked Task never calls Invoker.
	Mock *MockTestCase
	// Tokens is where .waitForTaskToken tasks wait for their callback. Nil
	// means a registry private to the execution (see Execution.Tokens).
	Tokens *TaskTokens
	// History records the AWS-shaped event history (Execution.History).
	History bool
	// Observer, if set, is called with every history event as it happens,
	// from the goroutine that produced it.
	Observer func(HistoryEvent)
	// Region, AccountID and RoleArn fill ARNs and the context object.
	// Defaults: us-east-1, 123456789012, a role named after the machine.
	Region, AccountID, RoleArn string
	// Rand is the randomness for FULL retry jitter. Nil means a random seed.
	Rand *mrand.Rand
	// MaxConcurrency caps the goroutines of a Map whose MaxConcurrency is 0
	// (unlimited). Zero means 1000.
	MaxConcurrency int
	// MaxTransitions fails the execution with States.Runtime once it has
	// entered that many states (all branches and iterations counted), so a
	// definition that loops forever ends. Zero means no limit.
	MaxTransitions int64
	// Resume, if set, continues an execution a previous process started
	// instead of starting a new one: see ResumePoint. Nil starts afresh.
	Resume *ResumePoint
	// MaxHistoryEvents fails the execution with States.Runtime, its cause
	// naming the limit, when its history would grow past that many events
	// (every branch and Map iteration counted, the final ExecutionFailed
	// included), as AWS fails a Standard execution at 25,000
	// (MaxStandardHistoryEvents). Events are counted whether or not the
	// history is recorded, so the same definition ends the same way
	// either way; the count costs one atomic add per event. An iteration
	// of a DISTRIBUTED Map, a child execution on AWS, has a limit of the
	// same size of its own, and its events do not count against the
	// parent's; reaching it fails the iteration. A resumed execution counts
	// the events recorded before the resume (ResumePoint.LastEventID).
	// Zero means no limit.
	MaxHistoryEvents int64
	// MaxDuration times the execution out (TIMED_OUT, States.Timeout) once
	// it has run that long, like the definition's TimeoutSeconds, the
	// shorter of the two applying: AWS ends an Express execution after
	// five minutes (MaxExpressDuration). Zero means no limit beyond
	// TimeoutSeconds.
	MaxDuration time.Duration
}

// Limits of AWS Step Functions that callers apply through ExecutionConfig.
const (
	// MaxStandardHistoryEvents is the history length at which AWS fails a
	// Standard execution.
	MaxStandardHistoryEvents = 25_000
	// MaxExpressDuration is how long an Express execution may run.
	MaxExpressDuration = 5 * time.Minute
)

// Validate reports configuration errors.
func (c *ExecutionConfig) Validate() error {
	var errs []error
	if len(c.Name) > 80 {
		errs = append(errs, errors.New("asl: execution name longer than 80 characters"))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, errors.New("asl: MaxConcurrency must not be negative"))
	}
	if c.MaxTransitions < 0 {
		errs = append(errs, errors.New("asl: MaxTransitions must not be negative"))
	}
	if c.MaxHistoryEvents < 0 {
		errs = append(errs, errors.New("asl: MaxHistoryEvents must not be negative"))
	}
	if c.MaxDuration < 0 {
		errs = append(errs, errors.New("asl: MaxDuration must not be negative"))
	}
	if c.Resume != nil {
		errs = append(errs, c.Resume.validate())
	}
	return errors.Join(errs...)
}

// Execution is one run of a state machine. Its methods are safe for
// concurrent use.
type Execution struct {
	sm     *StateMachine
	cfg    ExecutionConfig
	clock  Clock
	tokens *TaskTokens

	name, arn, roleArn, region, account string
	stateMachineName, stateMachineARN   string
	input                               any
	startTime                           time.Time
	deadline                            time.Time

	cancel   context.CancelCauseFunc
	done     chan struct{}
	result   Result
	stopTime time.Time

	histMu  sync.Mutex
	history []HistoryEvent
	nextID  int64

	randMu sync.Mutex
	rand   *mrand.Rand

	mockMu     sync.Mutex
	mockCounts map[string]int

	transitions atomic.Int64
	events      atomic.Int64 // history events so far (MaxHistoryEvents)
}

// stopError ends an execution without a state being able to catch it.
type stopError struct {
	status Status
	err    *Error
}

// Start begins an execution in its own goroutine. Cancelling ctx aborts it
// (status ABORTED), as does Stop.
func (sm *StateMachine) Start(ctx context.Context, cfg ExecutionConfig) (*Execution, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := sm.checkResume(cfg.Resume); err != nil {
		return nil, err
	}
	ex := sm.newExecution(cfg)
	ctx, cancel := context.WithCancelCause(ctx)
	ex.cancel = cancel
	if cfg.Resume != nil {
		// The previous process recorded ExecutionStarted and more: the new
		// events follow the last one it recorded, and count after them.
		ex.nextID = cfg.Resume.LastEventID
		ex.events.Store(cfg.Resume.LastEventID)
	} else if ex.admit(nil) {
		ex.record(nil, "ExecutionStarted", "executionStartedEventDetails", map[string]any{
			"input":        compactJSON(ex.input),
			"inputDetails": map[string]any{"truncated": false},
			"roleArn":      ex.roleArn,
		})
	}
	go ex.run(ctx)
	return ex, nil
}

// Run starts an execution and waits for its result.
func (sm *StateMachine) Run(ctx context.Context, cfg ExecutionConfig) (*Execution, Result, error) {
	ex, err := sm.Start(ctx, cfg)
	if err != nil {
		return nil, Result{}, err
	}
	<-ex.done
	return ex, ex.result, nil
}

func (sm *StateMachine) newExecution(cfg ExecutionConfig) *Execution {
	ex := &Execution{sm: sm, cfg: cfg, clock: cfg.Clock, tokens: cfg.Tokens, done: make(chan struct{}), rand: cfg.Rand}
	if ex.clock == nil {
		ex.clock = RealClock{}
	}
	if ex.tokens == nil {
		ex.tokens = NewTaskTokens()
	}
	if ex.rand == nil {
		ex.rand = mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64()))
	}
	ex.name = cfg.Name
	if ex.name == "" {
		ex.name = newUUID()
	}
	ex.stateMachineName = cfg.StateMachineName
	if ex.stateMachineName == "" {
		ex.stateMachineName = "StateMachine"
	}
	ex.region, ex.account = cfg.Region, cfg.AccountID
	if ex.region == "" {
		ex.region = "us-east-1"
	}
	if ex.account == "" {
		ex.account = "123456789012"
	}
	ex.roleArn = cfg.RoleArn
	if ex.roleArn == "" {
		ex.roleArn = fmt.Sprintf("arn:aws:iam::%s:role/service-role/StepFunctions-%s-role", ex.account, ex.stateMachineName)
	}
	ex.stateMachineARN = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", ex.region, ex.account, ex.stateMachineName)
	ex.arn = fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", ex.region, ex.account, ex.stateMachineName, ex.name)
	// Plain maps from callers become ordered objects (keys sorted, their
	// order being lost); input decoded by jsonv keeps its document order.
	ex.input = jsonv.FromAny(cfg.Input)
	ex.startTime = ex.clock.Now()
	if cfg.Resume != nil {
		// $$.Execution.StartTime and TimeoutSeconds count from the
		// original start, not from the resume.
		ex.startTime = cfg.Resume.StartTime
	}
	if sm.timeoutSeconds > 0 {
		ex.deadline = ex.startTime.Add(time.Duration(sm.timeoutSeconds) * time.Second)
	}
	if d := cfg.MaxDuration; d > 0 {
		if limit := ex.startTime.Add(d); ex.deadline.IsZero() || limit.Before(ex.deadline) {
			ex.deadline = limit
		}
	}
	return ex
}

// Name returns the execution name.
func (ex *Execution) Name() string { return ex.name }

// ARN returns the execution ARN.
func (ex *Execution) ARN() string { return ex.arn }

// StartTime returns when the execution started, by its clock.
func (ex *Execution) StartTime() time.Time { return ex.startTime }

// StopTime returns when the execution ended, by its clock (zero while it
// runs).
func (ex *Execution) StopTime() time.Time {
	select {
	case <-ex.done:
		return ex.stopTime
	default:
		return time.Time{}
	}
}

// Input returns the execution input.
func (ex *Execution) Input() any { return ex.input }

// Tokens returns the registry the execution's callback tasks wait in.
func (ex *Execution) Tokens() *TaskTokens { return ex.tokens }

// Done is closed when the execution has finished.
func (ex *Execution) Done() <-chan struct{} { return ex.done }

// Result returns the outcome; ok is false while the execution runs.
func (ex *Execution) Result() (Result, bool) {
	select {
	case <-ex.done:
		return ex.result, true
	default:
		return Result{Status: StatusRunning}, false
	}
}

// Wait blocks until the execution finishes or ctx is done.
func (ex *Execution) Wait(ctx context.Context) (Result, error) {
	select {
	case <-ex.done:
		return ex.result, nil
	case <-ctx.Done():
		return Result{Status: StatusRunning}, ctx.Err()
	}
}

// Stop aborts a running execution (StopExecution): it ends ABORTED with the
// given error and cause.
func (ex *Execution) Stop(errName, cause string) {
	ex.cancel(&stopError{status: StatusAborted, err: &Error{Name: errName, Cause: cause, HasCause: cause != ""}})
}

// History returns a copy of the events recorded so far (ExecutionConfig.History).
func (ex *Execution) History() []HistoryEvent {
	ex.histMu.Lock()
	defer ex.histMu.Unlock()
	return append([]HistoryEvent(nil), ex.history...)
}

// HistoryLen returns how many events have been recorded so far.
func (ex *Execution) HistoryLen() int {
	ex.histMu.Lock()
	defer ex.histMu.Unlock()
	return len(ex.history)
}

// HistoryRange returns a copy of the recorded events from index from up to,
// not including, to (clamped to those recorded so far): a page of a long
// history costs the page, not the history. Events are in id order, the
// event of id n at index n-1.
func (ex *Execution) HistoryRange(from, to int) []HistoryEvent {
	ex.histMu.Lock()
	defer ex.histMu.Unlock()
	from, to = max(from, 0), min(to, len(ex.history))
	if from >= to {
		return nil
	}
	return append([]HistoryEvent(nil), ex.history[from:to]...)
}

func (ex *Execution) run(ctx context.Context) {
	defer close(ex.done)
	defer func() { ex.stopTime = ex.clock.Now() }()
	if !ex.deadline.IsZero() {
		// Wall time bounds the execution on any clock; a FastClock also
		// times it out when Wait states pass the deadline (see stopped).
		// From now, not from the start: a resumed execution has spent part
		// of its time already.
		t := time.AfterFunc(ex.deadline.Sub(ex.clock.Now()), func() {
			ex.cancel(&stopError{status: StatusTimedOut, err: NewError(ErrTimeout, "The execution timed out")})
		})
		defer t.Stop()
	}
	if fc, ok := ex.clock.(*FastClock); ok {
		ctx = fc.WithLane(ctx)
	}
	th := &thread{prev: 1}
	var out any
	var err error
	if rp := ex.cfg.Resume; rp != nil {
		th.prev = rp.LastEventID
		out, err = ex.safeResume(ctx, th, rp)
	} else {
		out, err = ex.safeRun(ctx, th, ex.sm.top, ex.input)
	}
	if err == nil && ex.reachedHistoryLimit() {
		// The last state's exit was one event too many: no state was left
		// to notice the cancellation.
		err = ex.historyFull()
	}
	if err == nil {
		ex.result = Result{Status: StatusSucceeded, Output: out}
		if ex.recording() {
			ex.finalEvent(th, "ExecutionSucceeded", "executionSucceededEventDetails", map[string]any{
				"output": compactJSON(out), "outputDetails": map[string]any{"truncated": false},
			})
		}
		return
	}
	status := StatusFailed
	var se *stopError
	if errors.As(err, &se) {
		status = se.status
		err = se.err
	} else if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		status, err = stopStatus(cause)
	}
	ae := asError(err)
	ex.result = Result{Status: status, Error: ae.Name, Cause: ae.Cause}
	details := map[string]any{"error": ae.Name}
	if ae.HasCause {
		details["cause"] = ae.Cause
	}
	switch status {
	case StatusAborted:
		ex.finalEvent(th, "ExecutionAborted", "executionAbortedEventDetails", details)
	case StatusTimedOut:
		ex.finalEvent(th, "ExecutionTimedOut", "executionTimedOutEventDetails", details)
	default:
		ex.finalEvent(th, "ExecutionFailed", "executionFailedEventDetails", details)
	}
}

func stopStatus(cause error) (Status, error) {
	var se *stopError
	if errors.As(cause, &se) {
		return se.status, se.err
	}
	return StatusAborted, NewError(ErrExecutionAborted, cause.Error())
}

func (e *stopError) Error() string { return string(e.status) + ": " + e.err.Error() }

// asError turns any error into a named *Error.
func asError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return NewError(ErrRuntime, err.Error())
}

// thread tracks the previous event id of one line of events (the top level,
// a branch, an iteration), for previousEventId, and the budget its events
// count against: nil for the execution's own (MaxHistoryEvents), set
// inside a DISTRIBUTED Map iteration.
type thread struct {
	prev   int64
	budget *eventBudget
}

// lastEvent collects the last event of concurrent threads so the event that
// joins them (ParallelStateSucceeded, MapStateSucceeded...) follows the
// latest one.
type lastEvent struct {
	mu  sync.Mutex
	max int64
}

func (l *lastEvent) add(th *thread) {
	l.mu.Lock()
	if th.prev > l.max {
		l.max = th.prev
	}
	l.mu.Unlock()
}

func (l *lastEvent) follow(th *thread) {
	l.mu.Lock()
	if l.max > th.prev {
		th.prev = l.max
	}
	l.mu.Unlock()
}

// stopped returns the error that ends the execution when ctx is done or the
// execution deadline passed, or nil.
func (ex *Execution) stopped(ctx context.Context) error {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		var se *stopError
		if errors.As(cause, &se) {
			return se
		}
		if errors.Is(cause, errBranchCancelled) {
			return cause
		}
		if errors.Is(cause, errSoftCancelled) {
			// A sibling with a higher index failed: finish the states that
			// do not block, so a failure of this lower index still counts.
			goto deadline
		}
		return &stopError{status: StatusAborted, err: NewError(ErrExecutionAborted, cause.Error())}
	}
deadline:
	if !ex.deadline.IsZero() && !ex.clock.Now().Before(ex.deadline) {
		return &stopError{status: StatusTimedOut, err: NewError(ErrTimeout, "The execution timed out")}
	}
	return nil
}

// interrupted is stopped for code that was blocked (a wait, a task) when
// ctx ended: there a soft cancellation ends the branch too.
func (ex *Execution) interrupted(ctx context.Context) error {
	if err := ex.stopped(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errBranchCancelled
	}
	return nil
}

// pickFailure chooses the error a Parallel or Map reports: an execution
// stop first, else the failure of the lowest branch or item index, so that
// concurrent failures give the same result on every run.
func pickFailure(stop error, errs []error) error {
	if stop != nil {
		return stop
	}
	var se *stopError
	for _, e := range errs {
		if e != nil && errors.As(e, &se) {
			return e
		}
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, errBranchCancelled) {
			return e
		}
	}
	// Children cancelled because a sibling of an enclosing branch failed:
	// never succeed with partial results.
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// errBranchCancelled stops the other branches or iterations after one failed.
var errBranchCancelled = errors.New("asl: cancelled because a sibling failed")

// errSoftCancelled marks branches or iterations with a lower index than a
// failed sibling: they run on until they block, then stop.
var errSoftCancelled = errors.New("asl: a sibling with a higher index failed")

// maxSoftTransitions bounds how long a softly cancelled branch may go on.
const maxSoftTransitions = 1000

// siblings cancels the branches or iterations of one Parallel or Map when
// one of them fails: higher indexes at once, lower ones softly.
type siblings struct {
	mu        sync.Mutex
	cancels   map[int]context.CancelCauseFunc
	hasFailed bool
	lowest    int // lowest failed index when hasFailed
}

func (s *siblings) start(ctx context.Context, i int) (context.Context, func()) {
	c, cancel := context.WithCancelCause(ctx)
	s.mu.Lock()
	if s.cancels == nil {
		s.cancels = map[int]context.CancelCauseFunc{}
	}
	s.cancels[i] = cancel
	if s.hasFailed {
		// Started after a sibling failed (a Map worker picked it up late).
		if i > s.lowest {
			cancel(errBranchCancelled)
		} else if i < s.lowest {
			cancel(errSoftCancelled)
		}
	}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.cancels, i)
		s.mu.Unlock()
		cancel(nil)
	}
}

func (s *siblings) failed(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasFailed || i < s.lowest {
		s.hasFailed, s.lowest = true, i
	}
	for j, cancel := range s.cancels {
		switch {
		case j > i:
			cancel(errBranchCancelled)
		case j < i:
			cancel(errSoftCancelled)
		}
	}
}

// safeRun is runMachine in a goroutine of its own: a panic (a bug, never an
// input) fails the execution with States.Runtime instead of the process.
func (ex *Execution) safeRun(ctx context.Context, th *thread, m *machine, input any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errorf(ErrRuntime, "internal error: %v", r)
		}
	}()
	return ex.runMachine(ctx, th, m, input)
}

// runMachine runs a state graph from its StartAt to an end.
func (ex *Execution) runMachine(ctx context.Context, th *thread, m *machine, input any) (any, error) {
	return ex.runFrom(ctx, th, m.startAt, input, nil)
}

// runFrom runs a state graph from st to an end; resumed, if not nil, says
// st was entered by a previous process (see ResumePoint).
func (ex *Execution) runFrom(ctx context.Context, th *thread, st *state, input any, resumed *ResumePoint) (any, error) {
	soft := 0
	// One frame per line of execution, reused state after state: nothing
	// keeps a frame once its state has finished.
	f := &frame{}
	for {
		if err := ex.stopped(ctx); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			if soft++; soft > maxSoftTransitions {
				return nil, errBranchCancelled
			}
		}
		if max := ex.cfg.MaxTransitions; max > 0 && ex.transitions.Add(1) > max {
			return nil, &stopError{status: StatusFailed, err: errorf(ErrRuntime,
				"The execution entered more than %d states; the definition may loop forever", max)}
		}
		out, next, err := ex.runState(ctx, th, f, st, input, resumed)
		resumed = nil
		if err != nil {
			return nil, err
		}
		if next == nil {
			return out, nil
		}
		st, input = next, out
	}
}

// runState runs one state with its Retry and Catch, returning its output and
// the next state (nil at an end).
func (ex *Execution) runState(ctx context.Context, th *thread, f *frame, st *state, raw any, resumed *ResumePoint) (any, *state, error) {
	*f = frame{ex: ex, st: st, entered: ex.clock.Now()}
	if resumed != nil && resumed.Entered {
		// Entered by the previous process: its StateEntered is recorded,
		// and $$.State.EnteredTime and a Wait's end keep its time.
		f.entered, f.resumed = resumed.EnteredAt, true
	} else if ex.admit(th) {
		ex.record(th, st.kind.String()+"StateEntered", "stateEnteredEventDetails", map[string]any{
			"name": st.name, "input": compactJSON(raw), "inputDetails": map[string]any{"truncated": false},
		})
	}
	var counts []int
	for {
		out, next, err := ex.execOnce(ctx, th, f, st, raw)
		if err == nil {
			if st.kind != kindFail && ex.admit(th) {
				ex.stateExited(th, st, out, next)
			}
			return out, next, nil
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.terminal() {
			if ae == nil && ex.counting() {
				switch st.kind {
				case kindTask, kindWait, kindMap, kindParallel:
					ex.event(th, st.kind.String()+"StateAborted", "", nil)
				}
			}
			return nil, nil, err
		}
		if ri := matchRetrier(st.retriers(), ae.Name); ri >= 0 {
			if counts == nil {
				counts = make([]int, len(st.retriers()))
			}
			r := st.retriers()[ri]
			if counts[ri] < r.maxAttempts {
				delay := ex.retryDelay(r, counts[ri])
				counts[ri]++
				f.retryCount++
				if err := ex.sleep(ctx, delay); err != nil {
					return nil, nil, err
				}
				f.entered = ex.clock.Now()
				continue
			}
		}
		for i := range st.catchers() {
			c := &st.handlers.catch[i]
			if !matches(c.errorEquals, ae.Name) {
				continue
			}
			out, rerr := st.flow.catchOutput(f, c, raw, ae)
			if rerr != nil {
				return nil, nil, rerr
			}
			if ex.admit(th) {
				ex.stateExited(th, st, out, c.next)
			}
			return out, c.next, nil
		}
		return nil, nil, err
	}
}

// stateExited records <Type>StateExited, naming the next state; the
// caller admitted it.
func (ex *Execution) stateExited(th *thread, st *state, out any, next *state) {
	ex.recordNext(th, st.kind.String()+"StateExited", "stateExitedEventDetails", map[string]any{
		"name": st.name, "output": compactJSON(out), "outputDetails": map[string]any{"truncated": false},
	}, next)
}

func matchRetrier(rs []retrier, name string) int {
	for i := range rs {
		if matches(rs[i].errorEquals, name) {
			return i
		}
	}
	return -1
}

// retryDelay is IntervalSeconds * BackoffRate^attempt, capped by
// MaxDelaySeconds, and with FULL jitter a uniform random part of that.
func (ex *Execution) retryDelay(r retrier, attempt int) time.Duration {
	d := r.intervalSeconds * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelaySeconds > 0 && d > r.maxDelaySeconds {
		d = r.maxDelaySeconds
	}
	if r.jitterFull {
		ex.randMu.Lock()
		d *= ex.rand.Float64()
		ex.randMu.Unlock()
	}
	return time.Duration(d * float64(time.Second))
}

// now is the time of ctx's lane of virtual time, or the clock's time.
func (ex *Execution) now(ctx context.Context) time.Time {
	if l := clock.LaneOf(ctx); l != nil {
		return l.Now()
	}
	return ex.clock.Now()
}

// sleep waits on the execution clock, but never past the execution
// deadline: reaching it times the execution out.
func (ex *Execution) sleep(ctx context.Context, d time.Duration) error {
	if !ex.deadline.IsZero() {
		if left := ex.deadline.Sub(ex.now(ctx)); d >= left {
			if err := ex.clock.Sleep(ctx, left); err != nil {
				return ex.interrupted(ctx)
			}
			return &stopError{status: StatusTimedOut, err: NewError(ErrTimeout, "The execution timed out")}
		}
	}
	if err := ex.clock.Sleep(ctx, d); err != nil {
		return ex.interrupted(ctx)
	}
	return nil
}

// execOnce runs one attempt of a state.
func (ex *Execution) execOnce(ctx context.Context, th *thread, f *frame, st *state, raw any) (any, *state, error) {
	switch st.kind {
	case kindPass:
		eff, err := st.flow.input(f, raw)
		if err != nil {
			return nil, nil, err
		}
		if eff, err = st.flow.arguments(f, eff); err != nil {
			return nil, nil, err
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		out, err := st.flow.output(f, raw, result)
		return out, st.next, toErr(err)
	case kindTask:
		return ex.execTask(ctx, th, f, st, raw)
	case kindChoice:
		eff, err := st.flow.input(f, raw)
		if err != nil {
			return nil, nil, err
		}
		next := st.defaultNext
		matched := false
		for _, r := range st.choices {
			ok, err := r.eval(f, eff)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				next, matched = r.next, true
				break
			}
		}
		if !matched && next == nil {
			return nil, nil, errorf(ErrNoChoiceMatched, "No Choice rule matched and there is no Default in state '%s'", st.name)
		}
		out, err := st.flow.passOutput(f, eff)
		return out, next, toErr(err)
	case kindWait:
		eff, err := st.flow.input(f, raw)
		if err != nil {
			return nil, nil, err
		}
		d, err := ex.waitDuration(ctx, st, eff)
		if err != nil {
			return nil, nil, err
		}
		if f.resumed && (st.hasWaitSeconds || st.secondsPath != nil) {
			// Resumed: only what remains of the wait that began when the
			// previous process entered the state (a timestamp wait needs
			// nothing, its end being absolute).
			d = max(0, f.entered.Add(d).Sub(ex.now(ctx)))
		}
		if serr := ex.sleep(ctx, d); serr != nil {
			return nil, nil, serr
		}
		out, err := st.flow.passOutput(f, eff)
		return out, st.next, toErr(err)
	case kindSucceed:
		eff, err := st.flow.input(f, raw)
		if err != nil {
			return nil, nil, err
		}
		out, err := st.flow.passOutput(f, eff)
		return out, nil, toErr(err)
	case kindFail:
		return nil, nil, toErr(ex.failError(f, st, raw))
	case kindParallel:
		return ex.execParallel(ctx, th, f, st, raw)
	case kindMap:
		return ex.execMap(ctx, th, f, st, raw)
	}
	return nil, nil, errorf(ErrRuntime, "unknown state type")
}

// toErr avoids the typed-nil trap of returning a nil *Error as error.
func toErr(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

func (ex *Execution) waitDuration(ctx context.Context, st *state, eff any) (time.Duration, *Error) {
	now := ex.now(ctx)
	switch {
	case st.hasWaitSeconds:
		return time.Duration(st.waitSeconds * float64(time.Second)), nil
	case st.hasWaitTimestamp:
		return st.waitTimestamp.Sub(now), nil
	case st.secondsPath != nil:
		v, err := st.secondsPath.Get(eff)
		if err != nil {
			return 0, errorf(ErrRuntime, "Invalid path '%s': the SecondsPath could not be found in the input '%s'", st.secondsPath, compactJSON(eff))
		}
		n, ok := v.(float64)
		if !ok || n < 0 || n != math.Trunc(n) {
			return 0, errorf(ErrRuntime, "The SecondsPath parameter does not reference a valid non-negative integer: %s", compactJSON(v))
		}
		return time.Duration(n) * time.Second, nil
	case st.timestampPath != nil:
		v, err := st.timestampPath.Get(eff)
		if err != nil {
			return 0, errorf(ErrRuntime, "Invalid path '%s': the TimestampPath could not be found in the input '%s'", st.timestampPath, compactJSON(eff))
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			return 0, errorf(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", compactJSON(v))
		}
		return t.Sub(now), nil
	}
	return 0, nil
}

func (ex *Execution) failError(f *frame, st *state, raw any) *Error {
	e := &Error{Name: st.errorName, Cause: st.cause, HasCause: st.hasCause}
	if st.errorExpr != nil {
		v, err := st.errorExpr.eval(f, raw)
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return errorf(ErrRuntime, "The ErrorPath '%s' did not resolve to a string", st.errorExpr.node.src)
		}
		e.Name = s
	}
	if st.causeExpr != nil {
		v, err := st.causeExpr.eval(f, raw)
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return errorf(ErrRuntime, "The CausePath '%s' did not resolve to a string", st.causeExpr.node.src)
		}
		e.Cause, e.HasCause = s, true
	}
	return e
}

func (ex *Execution) execParallel(ctx context.Context, th *thread, f *frame, st *state, raw any) (any, *state, error) {
	eff, aerr := st.flow.input(f, raw)
	if aerr != nil {
		return nil, nil, aerr
	}
	if eff, aerr = st.flow.arguments(f, eff); aerr != nil {
		return nil, nil, aerr
	}
	started := ex.event(th, "ParallelStateStarted", "", nil)
	results := make([]any, len(st.branches))
	errs := make([]error, len(st.branches))
	var (
		wg   sync.WaitGroup
		sibs siblings
	)
	fork, join := clock.ForkLanes(ctx)
	lanes := make([]*clock.Lane, len(st.branches))
	var last lastEvent
	for i, b := range st.branches {
		lctx, l := fork()
		lanes[i] = l
		bctx, done := sibs.start(lctx, i)
		wg.Add(1)
		go func(i int, b *machine) {
			defer wg.Done()
			defer done()
			bth := &thread{prev: started, budget: th.budget}
			defer last.add(bth)
			out, err := ex.safeRun(bctx, bth, b, eff)
			if err != nil {
				errs[i] = err
				if !errors.Is(err, errBranchCancelled) {
					sibs.failed(i)
				}
				return
			}
			results[i] = out
		}(i, b)
	}
	wg.Wait()
	join(lanes)
	last.follow(th)
	if err := pickFailure(ex.stopped(ctx), errs); err != nil {
		ex.event(th, "ParallelStateFailed", "", nil)
		return nil, nil, err
	}
	ex.event(th, "ParallelStateSucceeded", "", nil)
	return ex.finishWithSelector(f, st, raw, results)
}

func (ex *Execution) finishWithSelector(f *frame, st *state, raw, result any) (any, *state, error) {
	out, err := st.flow.output(f, raw, result)
	return out, st.next, toErr(err)
}

// newUUID is a random (version 4) UUID: execution names, task tokens and
// request ids. google/uuid costs ~40 ns and one allocation more than the
// hand-written copy it replaced, nothing beside a state transition.
func newUUID() string { return uuid.NewString() }
