package sfnlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// executionRecord is an execution as stored: enough to answer Describe,
// List and DescribeStateMachineForExecution without the machine, which may
// have changed or gone since.
type executionRecord struct {
	ARN         string    `json:"arn"`
	Name        string    `json:"name"`
	MachineARN  string    `json:"machineArn"`
	MachineName string    `json:"machineName"`
	Definition  string    `json:"definition"`
	RoleARN     string    `json:"roleArn"`
	RevisionID  string    `json:"revisionId,omitempty"`
	MachineDate time.Time `json:"machineUpdateDate"`
	// MachineType is the machine's type when the execution started (empty
	// in records of older versions: STANDARD).
	MachineType string    `json:"machineType,omitempty"`
	TestCase    string    `json:"testCase,omitempty"`
	Input       string    `json:"input"`
	Status      string    `json:"status"`
	Output      *string   `json:"output,omitempty"`
	Error       string    `json:"error,omitempty"`
	Cause       string    `json:"cause,omitempty"`
	StartDate   time.Time `json:"startDate"`
	StopDate    time.Time `json:"stopDate,omitzero"`
	// LastEventID is the id of the last event of the history, once the
	// execution ended (0 while it runs, and in records of older versions).
	LastEventID int64 `json:"lastEventId,omitempty"`
}

// storedEvent is a history event as stored.
type storedEvent struct {
	Timestamp  time.Time      `json:"t"`
	Type       string         `json:"type"`
	ID         int64          `json:"id"`
	Previous   int64          `json:"prev"`
	DetailsKey string         `json:"key,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
	// Next is asl.HistoryEvent.Next: where a resume after a StateExited
	// goes. Never shown by the API.
	Next string `json:"next,omitempty"`
}

// Limits AWS applies to execution data.
const (
	maxPayload  = 256 << 10 // input, output, task output
	maxErrorLen = 256
	maxCauseLen = 32768
)

func (s *Service) executionARN(machine, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", s.region, s.acct, machine, name)
}

// parseExecutionARN returns the machine and execution name of an
// execution ARN of this service.
func (s *Service) parseExecutionARN(arn string) (machine, name string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "execution" || parts[6] == "" || parts[7] == "" {
		return "", "", apiErrorf(ErrCodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	if parts[3] != s.region || parts[4] != s.acct {
		return "", "", apiErrorf(ErrCodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return parts[6], parts[7], nil
}

func execKey(machine, name string) store.Key {
	return store.Key{Partition: partExecPrefix + machine, Sort: name}
}

// legacyHistoryKey is where versions before the append-only history
// wrote a whole history as one item.
func legacyHistoryKey(machine, name string) store.Key {
	return store.Key{Partition: partHistoryPrefix + machine, Sort: name}
}

func (s *Service) putExecution(ctx context.Context, rec executionRecord, cond store.Condition) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("sfnlocal: encode execution %s: %w", rec.ARN, err)
	}
	if _, err := s.st.Put(ctx, store.Item{Key: execKey(rec.MachineName, rec.Name), Value: b}, cond); err != nil {
		return fmt.Errorf("sfnlocal: write execution %s: %w", rec.ARN, err)
	}
	return nil
}

// getExecution returns the stored record, or ExecutionDoesNotExist.
func (s *Service) getExecution(ctx context.Context, arn string) (executionRecord, error) {
	machine, name, err := s.parseExecutionARN(arn)
	if err != nil {
		return executionRecord{}, err
	}
	it, err := s.st.Get(ctx, execKey(machine, name))
	if errors.Is(err, store.ErrNotFound) {
		return executionRecord{}, apiErrorf(ErrCodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return executionRecord{}, fmt.Errorf("sfnlocal: read execution %s: %w", arn, err)
	}
	var rec executionRecord
	if err := json.Unmarshal(it.Value, &rec); err != nil {
		return executionRecord{}, fmt.Errorf("sfnlocal: decode execution %s: %w", arn, err)
	}
	return rec, nil
}

// current returns the execution as it is now: the live state of one this
// process runs, else the stored record.
func (s *Service) current(ctx context.Context, arn string) (executionRecord, *liveExec, error) {
	s.mu.Lock()
	r := s.running[arn]
	s.mu.Unlock()
	if r != nil {
		return liveRecord(r), r, nil
	}
	rec, err := s.getExecution(ctx, arn)
	return rec, nil, err
}

// live returns the live state of an execution this process runs.
func (s *Service) live(arn string) (executionRecord, bool) {
	s.mu.Lock()
	r := s.running[arn]
	s.mu.Unlock()
	if r == nil {
		return executionRecord{}, false
	}
	return liveRecord(r), true
}

func liveRecord(r *liveExec) executionRecord {
	rec := r.rec
	if res, done := r.ex.Result(); done {
		applyResult(&rec, res, r.ex.StopTime())
	}
	return rec
}

func applyResult(rec *executionRecord, res asl.Result, stop time.Time) {
	rec.Status = string(res.Status)
	rec.StopDate = stop
	if res.Status == asl.StatusSucceeded {
		out := compact(res.Output)
		rec.Output = &out
		return
	}
	rec.Error, rec.Cause = res.Error, res.Cause
}

// compact renders a value as compact JSON without HTML escaping, as Step
// Functions shows inputs and outputs.
func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimRight(buf.String(), "\n")
}

// decodeInput parses an execution input; empty means {}.
func decodeInput(in string) (string, any, error) {
	if in == "" {
		in = "{}"
	}
	if len(in) > maxPayload {
		return "", nil, apiErrorf(ErrCodeInvalidExecutionInput, "Input exceeds the maximum size of %d bytes", maxPayload)
	}
	v, err := decodeOrdered(in)
	if err != nil {
		return "", nil, apiErrorf(ErrCodeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	return in, v, nil
}

// prepared is what StartExecution and StartSyncExecution share.
type prepared struct {
	machine machineRecord
	sm      *asl.StateMachine
	mock    *asl.MockTestCase
	rec     executionRecord
	input   any
}

func (s *Service) prepare(ctx context.Context, machineARN, name, input string) (*prepared, error) {
	machineName, testCase, err := s.parseMachineARN(machineARN)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = uuid.NewString()
	}
	if !validName(name) {
		return nil, apiErrorf(ErrCodeInvalidName, "Invalid Name: '%s'", name)
	}
	in, v, err := decodeInput(input)
	if err != nil {
		return nil, err
	}
	m, _, err := s.getMachine(ctx, machineName)
	if err != nil {
		return nil, err
	}
	p := &prepared{machine: m, input: v}
	if testCase != "" {
		if s.cfg.MockConfig == nil {
			return nil, apiErrorf(ErrCodeValidationException, "no mock configuration is loaded, so test case %q of %s cannot run", testCase, machineName)
		}
		if p.mock, err = s.cfg.MockConfig.TestCase(machineName, testCase); err != nil {
			return nil, apiErrorf(ErrCodeValidationException, "%v", err)
		}
	}
	if p.sm, err = s.compile(m.Definition); err != nil {
		return nil, err
	}
	p.rec = executionRecord{
		ARN: s.executionARN(machineName, name), Name: name, MachineARN: m.ARN, MachineName: machineName,
		Definition: m.Definition, RoleARN: m.RoleARN, RevisionID: m.RevisionID, MachineDate: m.UpdateDate, MachineType: m.Type,
		TestCase: testCase, Input: in, Status: string(asl.StatusRunning),
	}
	return p, nil
}

// execConfig configures an execution of p, with AWS's bounds for its
// machine type: a STANDARD execution fails at MaxHistoryEvents events, an
// EXPRESS one times out after five minutes and fails at
// MaxExpressTransitions states, so no definition runs forever or takes
// the process's memory. With observe set the history goes to it only (the
// history log keeps it); without, the engine keeps it.
func (s *Service) execConfig(p *prepared, observe func(asl.HistoryEvent)) asl.ExecutionConfig {
	cfg := asl.ExecutionConfig{Observer: observe,
		Name: p.rec.Name, StateMachineName: p.rec.MachineName, Input: p.input, Clock: s.clock,
		Invoker: s.cfg.Invoker, FunctionName: s.cfg.FunctionName, Mock: p.mock, Tokens: s.tokens,
		History: observe == nil, Region: s.region, AccountID: s.acct, RoleArn: p.rec.RoleARN,
	}
	if p.machine.Type == TypeExpress {
		cfg.MaxDuration = asl.MaxExpressDuration
		cfg.MaxTransitions = limit(s.cfg.MaxExpressTransitions, DefaultMaxExpressTransitions)
	} else {
		cfg.MaxHistoryEvents = limit(s.cfg.MaxHistoryEvents, asl.MaxStandardHistoryEvents)
	}
	return cfg
}

// limit resolves a configured limit: zero is the default, negative none.
func limit(configured, def int64) int64 {
	switch {
	case configured == 0:
		return def
	case configured < 0:
		return 0
	}
	return configured
}

func (s *Service) startExecution(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
	p, err := s.prepare(ctx, in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, err
	}
	arn := p.rec.ARN
	// Reserve the name, so two requests with the same name never both start
	// an execution, without holding the lock through the store writes; a
	// second request waits for the first to decide.
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			return nil, errClosing()
		}
		if r := s.running[arn]; r != nil {
			s.mu.Unlock()
			// Idempotent while running: the same name and input is the same
			// execution; once it ended, or with another input, it is a clash.
			if _, done := r.ex.Result(); !done && r.rec.Input == p.rec.Input {
				return &startExecutionOutput{ExecutionArn: arn, StartDate: epoch(r.rec.StartDate)}, nil
			}
			return nil, apiErrorf(ErrCodeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
		}
		wait, busy := s.starting[arn]
		if !busy {
			break
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
	decided := make(chan struct{})
	s.starting[arn] = decided
	// Counted before the execution exists, while Close cannot have
	// passed its wait: Close then waits for the goroutines started below
	// even when it runs between launch and their start.
	s.wg.Add(1)
	s.mu.Unlock()
	r, err := s.launch(ctx, p, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.starting, arn)
	close(decided)
	if err != nil {
		s.wg.Done()
		return nil, err
	}
	s.track(r)
	if s.closed {
		// Close won the race: the execution is aborted with the service
		// and, left RUNNING in the store, resumed by the next one.
		return nil, errClosing()
	}
	return &startExecutionOutput{ExecutionArn: arn, StartDate: epoch(r.rec.StartDate)}, nil
}

// track registers a launched execution and starts its writers. The caller
// holds s.mu and has counted one of the two goroutines in s.wg.
func (s *Service) track(r *liveExec) {
	s.running[r.rec.ARN] = r
	s.wg.Add(1)
	go s.flushHistory(r)
	go s.watch(r)
}

func errClosing() error {
	return apiErrorf(ErrCodeServiceUnavailable, "the local Step Functions service is shutting down")
}

// launch records the start of an execution, then starts it: a Task never
// runs for an execution the store does not know. With rp set it resumes
// an execution the store knows (recover), whose history so far is stored.
func (s *Service) launch(ctx context.Context, p *prepared, rp *resumePoint) (*liveExec, error) {
	flush := make(chan struct{}, 1)
	stop := make(chan struct{}) // closed by StopExecution
	var hist *historyLog
	if rp == nil {
		if _, err := s.getExecution(ctx, p.rec.ARN); err == nil {
			return nil, apiErrorf(ErrCodeExecutionAlreadyExists, "Execution Already Exists: '%s'", p.rec.ARN)
		} else if !isCode(err, ErrCodeExecutionDoesNotExist) {
			return nil, err
		}
		p.rec.StartDate = s.clock.Now()
		if err := s.persistStart(ctx, p.rec); err != nil {
			return nil, err
		}
		hist = newHistoryLog(s.st, p.rec.MachineName, p.rec.Name, 0, 0)
	} else {
		hist = newHistoryLog(s.st, p.rec.MachineName, p.rec.Name, rp.LastEventID, rp.checkpoint)
	}
	cfg := s.execConfig(p, func(e asl.HistoryEvent) {
		if s.ctx.Err() != nil {
			// Closing: the events from here on are the shutdown's abort;
			// the next Service resumes from the history before them.
			hist.seal()
		}
		if !hist.add(fromEvent(e)) {
			return
		}
		select {
		case flush <- struct{}{}:
		default: // a flush is already due; it will write this event too
		}
		if blocking(e.Type) {
			// Written before the execution blocks: a resumed Wait waits
			// only for what remains of it, and once a function or a
			// callback has the task, the history shows it started. The
			// writer does it (a store that hangs holds the flusher, not the
			// engine), and StopExecution or Close end the wait.
			hist.waitDurable(e.ID, stop, s.ctx.Done())
		}
	})
	if rp != nil {
		cfg.Resume = &rp.ResumePoint
	}
	ex, err := p.sm.Start(s.ctx, cfg)
	if err != nil && rp != nil {
		return nil, err
	}
	if err != nil {
		// Nothing ran: forget the start.
		errs := []error{apiErrorf(ErrCodeValidationException, "%v", err)}
		for _, k := range []store.Key{execKey(p.rec.MachineName, p.rec.Name), {Partition: partRunning, Sort: p.rec.ARN}} {
			if derr := s.st.Delete(ctx, k, store.Condition{}); derr != nil {
				errs = append(errs, fmt.Errorf("sfnlocal: undo start of %s: %w", p.rec.ARN, derr))
			}
		}
		return nil, errors.Join(errs...)
	}
	if rp == nil {
		// ExecutionStarted is written before StartExecution answers, so
		// the history shows it from then on (a running execution shows
		// what is stored).
		if err := hist.flush(context.Background()); err != nil {
			s.log.Error("sfnlocal: recording the history of a running execution failed", "execution", p.rec.ARN, "error", err)
		}
	}
	return &liveExec{ex: ex, rec: p.rec, persisted: make(chan struct{}), flush: flush, flushed: make(chan struct{}), hist: hist, stop: stop}, nil
}

// persistStart writes the running index entry, then the RUNNING record:
// a crash in between leaves an entry without a record, which recover
// drops, never a RUNNING record nobody will resume.
func (s *Service) persistStart(ctx context.Context, rec executionRecord) error {
	idx := store.Key{Partition: partRunning, Sort: rec.ARN}
	if _, err := s.st.Put(ctx, store.Item{Key: idx, Value: []byte(rec.MachineName)}, store.Condition{}); err != nil {
		return fmt.Errorf("sfnlocal: index running execution %s: %w", rec.ARN, err)
	}
	err := s.putExecution(ctx, rec, store.Condition{IfAbsent: true})
	if err == nil {
		return nil
	}
	if derr := s.st.Delete(ctx, idx, store.Condition{}); derr != nil {
		err = errors.Join(err, fmt.Errorf("sfnlocal: unindex execution %s: %w", rec.ARN, derr))
	}
	if errors.Is(err, store.ErrConditionFailed) {
		return apiErrorf(ErrCodeExecutionAlreadyExists, "Execution Already Exists: '%s'", rec.ARN)
	}
	return err
}

// watch records the end of an execution. An execution aborted because the
// service is closing is left RUNNING in the store, for the next Service to
// resume like one interrupted by a crash.
func (s *Service) watch(r *liveExec) {
	defer s.wg.Done()
	defer close(r.persisted)
	<-r.ex.Done()
	<-r.flushed
	res, _ := r.ex.Result()
	s.mu.Lock()
	closing := s.closed && !r.stopped && res.Status == asl.StatusAborted
	s.mu.Unlock()
	if closing || r.hist.sealed() {
		// Sealed: events after the shutdown began are not recorded, so the
		// stored history is not the whole run; it resumes from there.
		return
	}
	hist := r.hist
	rec := r.rec
	applyResult(&rec, res, r.ex.StopTime())
	// Until the end is stored the record says RUNNING, and the next start
	// would have to find the end in the history (or run the tail again):
	// keep trying (the live state answers meanwhile), with one last try
	// when closing.
	retry := &backoff.ExponentialBackOff{InitialInterval: persistRetryBase, Multiplier: 2, MaxInterval: persistRetryMax}
	for {
		err := s.persistEnd(context.Background(), rec, hist)
		if err == nil {
			s.log.Info("sfnlocal: execution ended", "execution", rec.ARN, "status", rec.Status, "error", rec.Error)
			break
		}
		if s.ctx.Err() != nil {
			s.log.Error("sfnlocal: recording the end of an execution failed; the next start resumes it", "execution", rec.ARN, "error", err)
			break
		}
		delay := retry.NextBackOff()
		s.log.Error("sfnlocal: recording the end of an execution failed, will try again", "execution", rec.ARN,
			"retryIn", delay.String(), "error", err)
		_ = s.clock.Sleep(s.ctx, delay) // ends early when closing, for the last try
	}
	s.mu.Lock()
	delete(s.running, r.rec.ARN)
	s.mu.Unlock()
}

// The backoff between attempts to record the end of an execution.
const (
	persistRetryBase = 50 * time.Millisecond
	persistRetryMax  = 30 * time.Second
)

// blocking reports events after which an execution may wait long (for a
// function, a callback or a Wait state): the history so far is written
// before it goes on.
func blocking(typ string) bool {
	switch typ {
	case "TaskStarted", "TaskSubmitted", "LambdaFunctionStarted", "ActivityStarted", "WaitStateEntered":
		return true
	}
	return false
}

// flushHistory appends the history of a running execution to the store
// as it grows: every event is written soon after it happens, the writes
// coalescing while one is under way, so a crash loses little and a resume
// re-runs little.
func (s *Service) flushHistory(r *liveExec) {
	defer s.wg.Done()
	defer close(r.flushed)
	for {
		done := false
		select {
		case <-r.ex.Done():
			done = true
		case <-r.flush:
		}
		if err := r.hist.flush(context.Background()); err != nil {
			// watch writes what is left with the end, trying until it can.
			s.log.Error("sfnlocal: recording the history of a running execution failed", "execution", r.rec.ARN, "error", err)
		}
		if done {
			return
		}
	}
}

// persistEnd writes the rest of the history, then the final record, then
// drops the running index entry: a crash in between leaves the execution
// to be resumed (it then finds its end in the history), never a finished
// record without its history.
func (s *Service) persistEnd(ctx context.Context, rec executionRecord, hist *historyLog) error {
	if err := hist.flush(ctx); err != nil {
		return err
	}
	_, rec.LastEventID, _ = hist.snapshot(0, -1)
	if err := s.putExecution(ctx, rec, store.Condition{}); err != nil {
		return err
	}
	if err := s.st.Delete(ctx, store.Key{Partition: partRunning, Sort: rec.ARN}, store.Condition{}); err != nil {
		return fmt.Errorf("sfnlocal: unindex execution %s: %w", rec.ARN, err)
	}
	return nil
}

// recover resumes the executions a previous process left running.
func (s *Service) recover(ctx context.Context) error {
	items, err := s.st.Query(ctx, partRunning, "", 0)
	if err != nil {
		return fmt.Errorf("sfnlocal: list running executions: %w", err)
	}
	var errs []error
	for _, it := range items {
		rec, err := s.getExecution(ctx, it.Key.Sort)
		if isCode(err, ErrCodeExecutionDoesNotExist) || isCode(err, ErrCodeInvalidArn) {
			// The start was never recorded (or another region's ARN):
			// nothing to resume.
			errs = append(errs, s.st.Delete(ctx, it.Key, store.Condition{}))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rec.Status == string(asl.StatusRunning) {
			if _, live := s.live(rec.ARN); live {
				// Started by this process since (ResumeExecutions deferred).
				continue
			}
			errs = append(errs, s.resume(ctx, rec))
			continue
		}
		errs = append(errs, s.st.Delete(ctx, it.Key, store.Condition{}))
	}
	return errors.Join(errs...)
}

// resumePoint is where an execution resumes, and the id of the history
// event it was found from (its checkpoint until a new one is recorded).
type resumePoint struct {
	asl.ResumePoint
	checkpoint int64
}

// resume continues an execution left RUNNING from its stored history, or
// records its end when the history shows it ended, or fails it when it
// cannot continue.
func (s *Service) resume(ctx context.Context, rec executionRecord) error {
	c, ok, err := lastChunk(ctx, s.st, rec.MachineName, rec.Name)
	if err != nil {
		return err
	}
	if !ok {
		legacy, err := legacyHistory(ctx, s.st, rec)
		if err != nil {
			return err
		}
		if len(legacy) > 0 {
			// Written whole by an older version, without what a resume
			// needs (where a StateExited leads): fail it, as that version did.
			h := newHistoryLog(s.st, rec.MachineName, rec.Name, 0, 0)
			for _, e := range legacy {
				h.add(e)
			}
			if err := h.flush(ctx); err != nil {
				return err
			}
			if err := s.st.Delete(ctx, legacyHistoryKey(rec.MachineName, rec.Name), store.Condition{}); err != nil {
				return fmt.Errorf("sfnlocal: drop old history of %s: %w", rec.ARN, err)
			}
			return s.failOver(ctx, rec, h, "its history was recorded by an older version of the local runtime")
		}
		// Nothing was written after the start: record ExecutionStarted as
		// the engine would have, and run from the beginning.
		c = historyChunk{Events: []storedEvent{{Timestamp: rec.StartDate, Type: "ExecutionStarted", ID: 1,
			DetailsKey: "executionStartedEventDetails",
			Details:    map[string]any{"input": rec.Input, "inputDetails": map[string]any{"truncated": false}, "roleArn": rec.RoleARN}}}}
		if err := putChunk(ctx, s.st, rec.MachineName, rec.Name, c); err != nil {
			return err
		}
	}
	last := c.Events[len(c.Events)-1]
	h := newHistoryLog(s.st, rec.MachineName, rec.Name, last.ID, c.Checkpoint)
	if ended(&rec, last) {
		// The end is in the history; only the record missed it.
		s.log.Info("sfnlocal: execution had ended before the runtime stopped", "execution", rec.ARN, "status", rec.Status)
		return s.persistEnd(ctx, rec, h)
	}
	// The bounds of its machine type (execConfig) hold for the rest of it.
	p := &prepared{rec: rec, machine: machineRecord{Type: rec.MachineType}}
	if p.input, err = decodeOrdered(rec.Input); err != nil {
		return s.failOver(ctx, rec, h, fmt.Sprintf("its input does not decode: %v", err))
	}
	if p.sm, err = s.compile(rec.Definition); err != nil {
		return s.failOver(ctx, rec, h, fmt.Sprintf("its definition does not compile: %v", err))
	}
	if rec.TestCase != "" {
		if s.cfg.MockConfig == nil {
			return s.failOver(ctx, rec, h, fmt.Sprintf("it ran mock test case %q and no mock configuration is loaded", rec.TestCase))
		}
		if p.mock, err = s.cfg.MockConfig.TestCase(rec.MachineName, rec.TestCase); err != nil {
			return s.failOver(ctx, rec, h, fmt.Sprintf("its mock test case is not loaded: %v", err))
		}
	}
	rp := &resumePoint{ResumePoint: asl.ResumePoint{Input: p.input, StartTime: rec.StartDate, LastEventID: last.ID}, checkpoint: c.Checkpoint}
	if c.Checkpoint > 0 {
		evs, err := readEvents(ctx, s.st, rec.MachineName, rec.Name, c.Checkpoint, c.Checkpoint)
		if err != nil {
			return err
		}
		if len(evs) != 1 {
			return s.failOver(ctx, rec, h, fmt.Sprintf("its history lacks event %d, where it would resume", c.Checkpoint))
		}
		cp := evs[0]
		name, _ := cp.Details["name"].(string)
		switch {
		case strings.HasSuffix(cp.Type, "StateEntered"):
			in, _ := cp.Details["input"].(string)
			rp.State, rp.Entered, rp.EnteredAt = name, true, cp.Timestamp
			if rp.Input, err = decodeOrdered(in); err != nil {
				return s.failOver(ctx, rec, h, fmt.Sprintf("the input of state %q in its history does not decode: %v", name, err))
			}
		case cp.Next == "":
			// The last state ended the execution: only ExecutionSucceeded
			// is missing.
			out, _ := cp.Details["output"].(string)
			v, err := decodeOrdered(out)
			if err != nil {
				return s.failOver(ctx, rec, h, fmt.Sprintf("the output of state %q in its history does not decode: %v", name, err))
			}
			now := s.clock.Now()
			h.add(storedEvent{Timestamp: now, Type: "ExecutionSucceeded", ID: last.ID + 1, Previous: last.ID,
				DetailsKey: "executionSucceededEventDetails", Details: map[string]any{"output": out, "outputDetails": map[string]any{"truncated": false}}})
			applyResult(&rec, asl.Result{Status: asl.StatusSucceeded, Output: v}, now)
			s.log.Info("sfnlocal: execution had reached its end before the runtime stopped", "execution", rec.ARN)
			return s.persistEnd(ctx, rec, h)
		default:
			out, _ := cp.Details["output"].(string)
			rp.State = cp.Next
			if rp.Input, err = decodeOrdered(out); err != nil {
				return s.failOver(ctx, rec, h, fmt.Sprintf("the output of state %q in its history does not decode: %v", name, err))
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		// Left RUNNING for the next Service.
		return errClosing()
	}
	s.wg.Add(1)
	r, err := s.launch(ctx, p, rp)
	if err != nil {
		s.wg.Done()
		return s.failOver(ctx, rec, h, err.Error())
	}
	s.track(r)
	state := rp.State
	if state == "" {
		state = "(StartAt)"
	}
	s.log.Info("sfnlocal: execution resumed after a restart", "execution", rec.ARN, "state", state, "entered", rp.Entered)
	return nil
}

// ended reports whether e ends an execution and, if so, records the end
// in rec.
func ended(rec *executionRecord, e storedEvent) bool {
	var status asl.Status
	switch e.Type {
	case "ExecutionSucceeded":
		out, _ := e.Details["output"].(string)
		rec.Output = &out
		status = asl.StatusSucceeded
	case "ExecutionFailed":
		status = asl.StatusFailed
	case "ExecutionTimedOut":
		status = asl.StatusTimedOut
	case "ExecutionAborted":
		status = asl.StatusAborted
	default:
		return false
	}
	rec.Status, rec.StopDate = string(status), e.Timestamp
	if status != asl.StatusSucceeded {
		rec.Error, _ = e.Details["error"].(string)
		rec.Cause, _ = e.Details["cause"].(string)
	}
	return true
}

// failOver ends an execution that cannot resume: FAILED with
// States.Runtime, the cause saying why, and an ExecutionFailed event after
// the history it had.
func (s *Service) failOver(ctx context.Context, rec executionRecord, h *historyLog, why string) error {
	now := s.clock.Now()
	rec.Status, rec.Error, rec.Cause, rec.StopDate = string(asl.StatusFailed), asl.ErrRuntime, RestartCause+" and the execution cannot resume: "+why, now
	_, last, _ := h.snapshot(0, -1)
	h.add(storedEvent{Timestamp: now, Type: "ExecutionFailed", ID: last + 1, Previous: last,
		DetailsKey: "executionFailedEventDetails", Details: map[string]any{"error": rec.Error, "cause": rec.Cause}})
	s.log.Warn("sfnlocal: execution was running when the runtime stopped and cannot resume; marked failed", "execution", rec.ARN, "cause", rec.Cause)
	return s.persistEnd(ctx, rec, h)
}

func (s *Service) startSyncExecution(ctx context.Context, in *startExecutionInput) (*startSyncExecutionOutput, error) {
	p, err := s.prepare(ctx, in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, err
	}
	if p.machine.Type != TypeExpress {
		return nil, apiErrorf(ErrCodeStateMachineTypeNotSupported, "This operation is not supported by this type of state machine")
	}
	// Like an express execution on AWS, a synchronous one is not recorded:
	// Describe and GetExecutionHistory do not know it, so its history is
	// not kept either.
	cfg := s.execConfig(p, nil)
	cfg.History = false
	ex, err := p.sm.Start(s.ctx, cfg)
	if err != nil {
		return nil, apiErrorf(ErrCodeValidationException, "%v", err)
	}
	res, err := ex.Wait(ctx)
	if err != nil {
		ex.Stop("States.Aborted", "the caller went away")
		return nil, err
	}
	rec := p.rec
	rec.StartDate = ex.StartTime()
	applyResult(&rec, res, ex.StopTime())
	out := &startSyncExecutionOutput{
		ExecutionArn: rec.ARN, StateMachineArn: rec.MachineARN, Name: rec.Name, Status: rec.Status,
		StartDate: epoch(rec.StartDate), StopDate: epoch(rec.StopDate), Input: rec.Input, Output: rec.Output,
		Error: rec.Error, Cause: rec.Cause, InputDetails: &payloadDetails{Included: true},
		BillingDetails: &billingDetails{BilledDurationInMilliseconds: rec.StopDate.Sub(rec.StartDate).Milliseconds(), BilledMemoryUsedInMB: 64},
	}
	if rec.Output != nil {
		out.OutputDetails = &payloadDetails{Included: true}
	}
	return out, nil
}

func (s *Service) describeExecution(ctx context.Context, in *executionInput) (*describeExecutionOutput, error) {
	rec, _, err := s.current(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn: rec.ARN, StateMachineArn: rec.MachineARN, Name: rec.Name, Status: rec.Status,
		StartDate: epoch(rec.StartDate), Input: rec.Input, InputDetails: &payloadDetails{Included: true},
		Output: rec.Output, Error: rec.Error, Cause: rec.Cause, RedriveStatus: "NOT_REDRIVABLE",
	}
	if !rec.StopDate.IsZero() {
		d := epoch(rec.StopDate)
		out.StopDate = &d
	}
	if rec.Output != nil {
		out.OutputDetails = &payloadDetails{Included: true}
	}
	if rec.Status != string(asl.StatusRunning) && rec.Status != string(asl.StatusSucceeded) {
		// Redrive is not offered locally; say so as AWS does.
		out.RedriveStatusReason = "Execution redrive is not supported by the local runtime"
	}
	return out, nil
}

func (s *Service) listExecutions(ctx context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	if in.StateMachineArn == "" {
		return nil, apiErrorf(ErrCodeValidationException, "Must provide a StateMachine ARN or MapRun ARN")
	}
	name, tc, err := s.parseMachineARN(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if tc != "" {
		return nil, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: '%s'", in.StateMachineArn)
	}
	if _, _, err := s.getMachine(ctx, name); err != nil {
		return nil, err
	}
	switch asl.Status(in.StatusFilter) {
	case "", asl.StatusRunning, asl.StatusSucceeded, asl.StatusFailed, asl.StatusTimedOut, asl.StatusAborted, "PENDING_REDRIVE":
	default:
		return nil, apiErrorf(ErrCodeValidationException, "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]", in.StatusFilter)
	}
	items, err := s.st.Query(ctx, partExecPrefix+name, "", 0)
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: list executions of %s: %w", name, err)
	}
	recs := make([]executionRecord, 0, len(items))
	for _, it := range items {
		var rec executionRecord
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return nil, fmt.Errorf("sfnlocal: decode execution %s: %w", it.Key.Sort, err)
		}
		if live, ok := s.live(rec.ARN); ok {
			rec = live
		}
		if in.StatusFilter == "" || rec.Status == in.StatusFilter {
			recs = append(recs, rec)
		}
	}
	// Newest first, as the API lists them.
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].StartDate.Equal(recs[j].StartDate) {
			return recs[i].StartDate.After(recs[j].StartDate)
		}
		return recs[i].Name > recs[j].Name
	})
	all := make([]executionListItem, len(recs))
	for i, rec := range recs {
		all[i] = executionListItem{ExecutionArn: rec.ARN, StateMachineArn: rec.MachineARN, Name: rec.Name, Status: rec.Status, StartDate: epoch(rec.StartDate)}
		if !rec.StopDate.IsZero() {
			d := epoch(rec.StopDate)
			all[i].StopDate = &d
		}
	}
	page, next, err := paginate(all, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &listExecutionsOutput{Executions: page, NextToken: next}, nil
}

// getExecutionHistory serves a page of a history by event id, reading
// only the stored pages that hold it (and the events of a running
// execution not written yet), so a page costs the same however long the
// history is. The nextToken carries the id of the next event to return.
func (s *Service) getExecutionHistory(ctx context.Context, in *historyInput) (*historyOutput, error) {
	if in.MaxResults < 0 || in.MaxResults > maxPage {
		return nil, apiErrorf(ErrCodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", in.MaxResults, maxPage)
	}
	size := int64(in.MaxResults)
	if size == 0 {
		size = defaultPage
	}
	tok, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	rec, r, err := s.current(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	last := rec.LastEventID
	if r != nil {
		// While it runs, an execution shows the events written to the
		// store, so what a reader sees survives a crash; once it ended,
		// all of them (its end is being written).
		_, done := r.ex.Result()
		durable, all, _ := r.hist.snapshot(0, -1)
		if last = durable; done {
			last = all
		}
	} else if last == 0 {
		if last, err = lastEventID(ctx, s.st, rec.MachineName, rec.Name); err != nil {
			return nil, err
		}
		if last == 0 {
			return s.legacyHistoryPage(ctx, rec, in)
		}
	}
	// The events lo..hi, in the order asked for.
	lo, hi, next := int64(1), last, int64(0)
	if in.ReverseOrder {
		if in.NextToken != "" {
			hi = int64(tok)
		}
		if lo = hi - size + 1; lo > 1 {
			next = lo - 1
		} else {
			lo = 1
		}
	} else {
		if in.NextToken != "" {
			lo = int64(tok)
		}
		if hi = lo + size - 1; hi < last {
			next = hi + 1
		} else {
			hi = last
		}
	}
	if in.NextToken != "" && (tok < 1 || int64(tok) > last) {
		return nil, apiErrorf(ErrCodeInvalidToken, "Invalid Token: '%s' is past the end", in.NextToken)
	}
	evs, err := s.events(ctx, rec, r, lo, hi)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	}
	out := &historyOutput{Events: make([]map[string]any, len(evs))}
	if next > 0 {
		out.NextToken = encodeToken(int(next))
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	for i, e := range evs {
		out.Events[i] = eventJSON(e, withData)
	}
	return out, nil
}

// events returns the events lo..hi of a history: from the store, and for
// a running execution the ones not written yet from its log.
func (s *Service) events(ctx context.Context, rec executionRecord, r *liveExec, lo, hi int64) ([]storedEvent, error) {
	if lo > hi {
		return nil, nil
	}
	durable, tail := hi, []storedEvent(nil)
	if r != nil {
		durable, _, tail = r.hist.snapshot(lo, hi)
	}
	evs, err := readEvents(ctx, s.st, rec.MachineName, rec.Name, lo, min(hi, durable))
	if err != nil {
		return nil, err
	}
	return append(evs, tail...), nil
}

// legacyHistoryPage serves the history of an execution that an older
// version recorded whole.
func (s *Service) legacyHistoryPage(ctx context.Context, rec executionRecord, in *historyInput) (*historyOutput, error) {
	evs, err := legacyHistory(ctx, s.st, rec)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	}
	page, next, err := paginate(evs, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := &historyOutput{Events: make([]map[string]any, len(page)), NextToken: next}
	for i, e := range page {
		out.Events[i] = eventJSON(e, withData)
	}
	return out, nil
}

// eventJSON shapes an event as the API does; without execution data the
// inputs, outputs and parameters are left out of the details.
func eventJSON(e storedEvent, withData bool) map[string]any {
	m := map[string]any{"timestamp": epoch(e.Timestamp), "type": e.Type, "id": e.ID, "previousEventId": e.Previous}
	if e.DetailsKey != "" && e.Details != nil {
		d := e.Details
		if !withData {
			d = make(map[string]any, len(e.Details))
			for k, v := range e.Details {
				switch k {
				case "input", "output", "parameters":
				default:
					d[k] = v
				}
			}
		}
		m[e.DetailsKey] = d
	}
	return m
}

func (s *Service) stopExecution(ctx context.Context, in *stopExecutionInput) (*stopExecutionOutput, error) {
	if len(in.Error) > maxErrorLen || len(in.Cause) > maxCauseLen {
		return nil, apiErrorf(ErrCodeValidationException, "error must be at most %d and cause at most %d characters", maxErrorLen, maxCauseLen)
	}
	rec, r, err := s.current(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if r != nil {
		s.mu.Lock()
		if !r.stopped {
			close(r.stop)
		}
		r.stopped = true
		s.mu.Unlock()
		r.ex.Stop(in.Error, in.Cause)
		// The answer waits for the execution to end, not for its end to be
		// stored: writing a long history must not hold StopExecution up.
		// Until it is stored, Describe and List answer from the live state,
		// and Close waits for the write.
		select {
		case <-r.ex.Done():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rec = liveRecord(r)
	}
	// Stopping an execution that already ended changes nothing.
	return &stopExecutionOutput{StopDate: epoch(rec.StopDate)}, nil
}

func (s *Service) describeStateMachineForExecution(ctx context.Context, in *executionInput) (*describeStateMachineForExecutionOutput, error) {
	rec, _, err := s.current(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineForExecutionOutput{
		StateMachineArn: rec.MachineARN, Name: rec.MachineName, Definition: rec.Definition, RoleArn: rec.RoleARN,
		UpdateDate: epoch(rec.MachineDate), RevisionID: rec.RevisionID,
		LoggingConfiguration: defaultLogging, TracingConfiguration: defaultTracing,
	}, nil
}

// validToken reports whether a task token has the shape the engine gives
// tokens (two UUIDs), so a token from elsewhere is InvalidToken rather than
// TaskDoesNotExist.
func validToken(tok string) bool {
	if len(tok) != 72 {
		return false
	}
	for _, half := range []string{tok[:36], tok[36:]} {
		if _, err := uuid.Parse(half); err != nil {
			return false
		}
	}
	return true
}

func taskTokenError(tok string, err error) error {
	if errors.Is(err, asl.ErrTaskTokenNotFound) {
		return apiErrorf(ErrCodeTaskDoesNotExist, "Task Does Not Exist: the task of token '%s' is not waiting (it completed, timed out, or never existed)", tok)
	}
	return err
}

func checkToken(tok string) error {
	if !validToken(tok) {
		return apiErrorf(ErrCodeInvalidToken, "Invalid Token: '%s'", tok)
	}
	return nil
}

func (s *Service) sendTaskSuccess(_ context.Context, in *sendTaskSuccessInput) (*struct{}, error) {
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	if len(in.Output) > maxPayload {
		return nil, apiErrorf(ErrCodeInvalidOutput, "Output exceeds the maximum size of %d bytes", maxPayload)
	}
	out, err := decodeOrdered(in.Output)
	if err != nil {
		return nil, apiErrorf(ErrCodeInvalidOutput, "Invalid Output: '%v'", err)
	}
	if err := s.tokens.SendTaskSuccess(in.TaskToken, out); err != nil {
		return nil, taskTokenError(in.TaskToken, err)
	}
	return &struct{}{}, nil
}

func (s *Service) sendTaskFailure(_ context.Context, in *sendTaskFailureInput) (*struct{}, error) {
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	if len(in.Error) > maxErrorLen || len(in.Cause) > maxCauseLen {
		return nil, apiErrorf(ErrCodeValidationException, "error must be at most %d and cause at most %d characters", maxErrorLen, maxCauseLen)
	}
	if err := s.tokens.SendTaskFailure(in.TaskToken, in.Error, in.Cause); err != nil {
		return nil, taskTokenError(in.TaskToken, err)
	}
	return &struct{}{}, nil
}

func (s *Service) sendTaskHeartbeat(_ context.Context, in *taskTokenInput) (*struct{}, error) {
	if err := checkToken(in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.tokens.SendTaskHeartbeat(in.TaskToken); err != nil {
		return nil, taskTokenError(in.TaskToken, err)
	}
	return &struct{}{}, nil
}

// decodeOrdered decodes JSON text keeping object key order, as AWS does for
// execution input and task output; a rejection is worded by encoding/json,
// as before.
func decodeOrdered(s string) (any, error) {
	v, err := jsonv.Decode([]byte(s))
	if err != nil {
		var x any
		if e := json.Unmarshal([]byte(s), &x); e != nil {
			return nil, e
		}
		return nil, err
	}
	return v, nil
}

// StartExecution starts an execution of the state machine named machine
// (as LoadDir names it: the file name without .asl.json) with a name and a
// JSON input, for functions that start workflows themselves (the
// incident-escalator). Starting the same name with the same input while it
// runs is the same execution; once it ended, or with another input, it is
// ExecutionAlreadyExists, as on AWS.
func (s *Service) StartExecution(ctx context.Context, machine, name, input string) (executionARN string, err error) {
	out, err := s.startExecution(ctx, &startExecutionInput{StateMachineArn: s.machineARN(machine), Name: name, Input: input})
	if err != nil {
		return "", err
	}
	return out.ExecutionArn, nil
}
