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
	TestCase    string    `json:"testCase,omitempty"`
	Input       string    `json:"input"`
	Status      string    `json:"status"`
	Output      *string   `json:"output,omitempty"`
	Error       string    `json:"error,omitempty"`
	Cause       string    `json:"cause,omitempty"`
	StartDate   time.Time `json:"startDate"`
	StopDate    time.Time `json:"stopDate,omitzero"`
}

// storedEvent is a history event as stored.
type storedEvent struct {
	Timestamp  time.Time      `json:"t"`
	Type       string         `json:"type"`
	ID         int64          `json:"id"`
	Previous   int64          `json:"prev"`
	DetailsKey string         `json:"key,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

func toStored(evs []asl.HistoryEvent) []storedEvent {
	out := make([]storedEvent, len(evs))
	for i, e := range evs {
		out[i] = storedEvent{Timestamp: e.Timestamp, Type: e.Type, ID: e.ID, Previous: e.PreviousEventID, DetailsKey: e.DetailsKey, Details: e.Details}
	}
	return out
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

func historyKey(machine, name string) store.Key {
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
		Definition: m.Definition, RoleARN: m.RoleARN, RevisionID: m.RevisionID, MachineDate: m.UpdateDate,
		TestCase: testCase, Input: in, Status: string(asl.StatusRunning),
	}
	return p, nil
}

// execConfig configures an execution of p, with AWS's bounds for its
// machine type: a STANDARD execution fails at MaxHistoryEvents events, an
// EXPRESS one times out after five minutes and fails at
// MaxExpressTransitions states, so no definition runs forever or takes
// the process's memory.
func (s *Service) execConfig(p *prepared, observe func(asl.HistoryEvent)) asl.ExecutionConfig {
	cfg := asl.ExecutionConfig{Observer: observe,
		Name: p.rec.Name, StateMachineName: p.rec.MachineName, Input: p.input, Clock: s.clock,
		Invoker: s.cfg.Invoker, FunctionName: s.cfg.FunctionName, Mock: p.mock, Tokens: s.tokens,
		History: true, Region: s.region, AccountID: s.acct, RoleArn: p.rec.RoleARN,
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
	s.mu.Unlock()
	r, err := s.launch(ctx, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.starting, arn)
	close(decided)
	if err != nil {
		return nil, err
	}
	if s.closed {
		// Close won the race: the execution is aborted with the service
		// and, left RUNNING in the store, failed over by the next one.
		return nil, errClosing()
	}
	s.running[arn] = r
	s.wg.Add(2)
	go s.flushHistory(r)
	go s.watch(r)
	return &startExecutionOutput{ExecutionArn: arn, StartDate: epoch(r.rec.StartDate)}, nil
}

func errClosing() error {
	return apiErrorf(ErrCodeServiceUnavailable, "the local Step Functions service is shutting down")
}

// launch records the start of an execution, then starts it: a Task never
// runs for an execution the store does not know.
func (s *Service) launch(ctx context.Context, p *prepared) (*liveExec, error) {
	if _, err := s.getExecution(ctx, p.rec.ARN); err == nil {
		return nil, apiErrorf(ErrCodeExecutionAlreadyExists, "Execution Already Exists: '%s'", p.rec.ARN)
	} else if !isCode(err, ErrCodeExecutionDoesNotExist) {
		return nil, err
	}
	p.rec.StartDate = s.clock.Now()
	if err := s.persistStart(ctx, p.rec); err != nil {
		return nil, err
	}
	flush := make(chan struct{}, 1)
	ex, err := p.sm.Start(s.ctx, s.execConfig(p, func(e asl.HistoryEvent) {
		if blocking(e.Type) {
			select {
			case flush <- struct{}{}:
			default: // a flush is already due; it will see this event too
			}
		}
	}))
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
	return &liveExec{ex: ex, rec: p.rec, persisted: make(chan struct{}), flush: flush, flushed: make(chan struct{})}, nil
}

// persistStart writes the running index entry, then the RUNNING record:
// a crash in between leaves an entry without a record, which recover
// drops, never a RUNNING record nobody will fail over.
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
// fail over like one interrupted by a crash.
func (s *Service) watch(r *liveExec) {
	defer s.wg.Done()
	defer close(r.persisted)
	<-r.ex.Done()
	<-r.flushed
	res, _ := r.ex.Result()
	s.mu.Lock()
	closing := s.closed && !r.stopped && res.Status == asl.StatusAborted
	s.mu.Unlock()
	if closing {
		return
	}
	hist := toStored(r.ex.History())
	rec := r.rec
	applyResult(&rec, res, r.ex.StopTime())
	// Until the end is stored the record says RUNNING, and the next start
	// would fail over an execution that in fact ended: keep trying (the
	// live state answers meanwhile), with one last try when closing.
	for attempt := 0; ; attempt++ {
		err := s.persistEnd(context.Background(), rec, hist)
		if err == nil {
			s.log.Info("sfnlocal: execution ended", "execution", rec.ARN, "status", rec.Status, "error", rec.Error)
			break
		}
		if s.ctx.Err() != nil {
			s.log.Error("sfnlocal: recording the end of an execution failed; the next start fails it over", "execution", rec.ARN, "error", err)
			break
		}
		delay := min(persistRetryBase<<min(attempt, 16), persistRetryMax)
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
// function, a callback or a Wait state): the history so far is written then,
// so after a crash GetExecutionHistory still shows where it stood.
func blocking(typ string) bool {
	switch typ {
	case "TaskStarted", "TaskSubmitted", "LambdaFunctionStarted", "ActivityStarted", "WaitStateEntered":
		return true
	}
	return false
}

// flushHistory writes the history of a running execution when it blocks.
// It is the only writer of the history until the execution ends, and
// watch waits for it, so a partial history never overwrites the final one.
func (s *Service) flushHistory(r *liveExec) {
	defer s.wg.Done()
	defer close(r.flushed)
	key := historyKey(r.rec.MachineName, r.rec.Name)
	for {
		select {
		case <-r.ex.Done():
			return
		case <-r.flush:
		}
		if s.ctx.Err() != nil {
			// Closing: the events from here on are the shutdown's abort,
			// which the next Service replaces with its own failure.
			return
		}
		b, err := json.Marshal(toStored(r.ex.History()))
		if err == nil {
			_, err = s.st.Put(context.Background(), store.Item{Key: key, Value: b}, store.Condition{})
		}
		if err != nil {
			s.log.Error("sfnlocal: recording the history of a running execution failed", "execution", r.rec.ARN, "error", err)
		}
	}
}

// persistEnd writes the history, then the final record, then drops the
// running index entry: a crash in between leaves the execution to be
// failed over, never a finished record without its history.
func (s *Service) persistEnd(ctx context.Context, rec executionRecord, hist []storedEvent) error {
	b, err := json.Marshal(hist)
	if err != nil {
		return fmt.Errorf("sfnlocal: encode history of %s: %w", rec.ARN, err)
	}
	if _, err := s.st.Put(ctx, store.Item{Key: historyKey(rec.MachineName, rec.Name), Value: b}, store.Condition{}); err != nil {
		return fmt.Errorf("sfnlocal: write history of %s: %w", rec.ARN, err)
	}
	if err := s.putExecution(ctx, rec, store.Condition{}); err != nil {
		return err
	}
	if err := s.st.Delete(ctx, store.Key{Partition: partRunning, Sort: rec.ARN}, store.Condition{}); err != nil {
		return fmt.Errorf("sfnlocal: unindex execution %s: %w", rec.ARN, err)
	}
	return nil
}

// recover fails over the executions a previous process left running.
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
			// nothing to fail over.
			errs = append(errs, s.st.Delete(ctx, it.Key, store.Condition{}))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rec.Status == string(asl.StatusRunning) {
			now := s.clock.Now()
			rec.Status, rec.Error, rec.Cause, rec.StopDate = string(asl.StatusFailed), asl.ErrRuntime, RestartCause, now
			hist, err := s.storedHistory(ctx, rec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(hist) == 0 {
				hist = []storedEvent{{Timestamp: rec.StartDate, Type: "ExecutionStarted", ID: 1, DetailsKey: "executionStartedEventDetails",
					Details: map[string]any{"input": rec.Input, "inputDetails": map[string]any{"truncated": false}, "roleArn": rec.RoleARN}}}
			}
			last := hist[len(hist)-1].ID
			hist = append(hist, storedEvent{Timestamp: now, Type: "ExecutionFailed", ID: last + 1, Previous: last,
				DetailsKey: "executionFailedEventDetails", Details: map[string]any{"error": rec.Error, "cause": rec.Cause}})
			s.log.Warn("sfnlocal: execution was running when the runtime stopped; marked failed", "execution", rec.ARN)
			errs = append(errs, s.persistEnd(ctx, rec, hist))
			continue
		}
		errs = append(errs, s.st.Delete(ctx, it.Key, store.Condition{}))
	}
	return errors.Join(errs...)
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

func (s *Service) history(ctx context.Context, arn string) ([]storedEvent, error) {
	rec, r, err := s.current(ctx, arn)
	if err != nil {
		return nil, err
	}
	if r != nil {
		return toStored(r.ex.History()), nil
	}
	return s.storedHistory(ctx, rec)
}

// storedHistory reads the history written for an execution (nil if none).
func (s *Service) storedHistory(ctx context.Context, rec executionRecord) ([]storedEvent, error) {
	it, err := s.st.Get(ctx, historyKey(rec.MachineName, rec.Name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: read history of %s: %w", rec.ARN, err)
	}
	var evs []storedEvent
	if err := json.Unmarshal(it.Value, &evs); err != nil {
		return nil, fmt.Errorf("sfnlocal: decode history of %s: %w", rec.ARN, err)
	}
	return evs, nil
}

func (s *Service) getExecutionHistory(ctx context.Context, in *historyInput) (*historyOutput, error) {
	evs, err := s.history(ctx, in.ExecutionArn)
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
