package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/validate"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// ServiceConfig configures a Service. Only Store is required.
type ServiceConfig struct {
	// Invoker runs the Task states that are not mocked. Nil means such a
	// Task fails with States.TaskFailed (the engine's behaviour).
	Invoker asl.TaskInvoker
	// FunctionName maps a Lambda ARN or name in a definition to the name
	// the Invoker knows; pass (*Invoker).FunctionName. Nil means
	// asl.DefaultFunctionName.
	FunctionName func(arnOrName string) string
	// Store keeps state machines and executions. With a durable store
	// (pkg/store/bolt) they survive a restart. Required.
	Store store.Store
	// Clock times executions, Wait states and API dates. Nil means
	// asl.RealClock; tests pass an asl.FastClock.
	Clock asl.Clock
	// Region and AccountID fill every ARN. Defaults: us-east-1 and
	// 123456789012, the values Step Functions Local uses.
	Region, AccountID string
	// MockConfig answers StartExecution on "<stateMachineArn>#<TestCase>"
	// with the test case's mocked responses, as Step Functions Local does.
	// Nil refuses such ARNs.
	MockConfig *asl.MockConfig
	// Logger reports executions that end and store failures that no
	// request can return. Nil means slog.Default().
	Logger *slog.Logger
	// MaxHistoryEvents fails a STANDARD execution whose history would grow
	// past that many events with States.Runtime, as AWS does. Zero means
	// asl.MaxStandardHistoryEvents (25,000); negative means no limit.
	MaxHistoryEvents int64
	// MaxExpressTransitions fails an EXPRESS execution that enters more
	// states than that with States.Runtime. AWS sets no such limit (only
	// five minutes, which applies here too), but the local service keeps
	// the history of an asynchronous EXPRESS execution in memory, and a
	// tight loop enters about a million states a second: this bounds the
	// memory it can take (some 2 KB a state). Zero means
	// DefaultMaxExpressTransitions; negative means no limit.
	MaxExpressTransitions int64
}

// DefaultMaxExpressTransitions is ServiceConfig.MaxExpressTransitions' default.
const DefaultMaxExpressTransitions = 100_000

// Validate reports every problem with c.
func (c ServiceConfig) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("sfnlocal: ServiceConfig.Store is required"))
	}
	if strings.Contains(c.Region, ":") {
		errs = append(errs, fmt.Errorf("sfnlocal: ServiceConfig.Region %q contains ':'", c.Region))
	}
	if strings.Contains(c.AccountID, ":") {
		errs = append(errs, fmt.Errorf("sfnlocal: ServiceConfig.AccountID %q contains ':'", c.AccountID))
	}
	return errors.Join(errs...)
}

// Service is the local Step Functions service: state machines and their
// executions, kept in a store.Store and served over the AWS JSON 1.0
// protocol by Handler. Safe for concurrent use.
//
// Executions run in goroutines of the process. An execution is written to
// the store when it starts and when it ends (record and full history), and
// its history so far whenever it starts to wait (a task, a callback, a Wait
// state). One that was still RUNNING when the process stopped (crash or
// Close) is not resumed: the next Service on the same store marks it
// FAILED with error States.Runtime and cause "local runtime restarted",
// appending an ExecutionFailed event to the history it had, because
// re-running its Task states could repeat side effects the functions
// already made.
//
// Executions are bounded as on AWS: a STANDARD one fails with
// States.Runtime at 25,000 history events (ServiceConfig.MaxHistoryEvents),
// an EXPRESS one times out after five minutes and, as its history is kept
// in memory here, fails at ServiceConfig.MaxExpressTransitions states.
// Definitions over 1 MiB, and machines that could never end
// (MISSING_END_STATE), are refused.
type Service struct {
	cfg    ServiceConfig
	st     store.Store
	clock  asl.Clock
	log    *slog.Logger
	tokens *asl.TaskTokens
	region string
	acct   string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	running  map[string]*liveExec     // by execution ARN
	starting map[string]chan struct{} // closed when the start of this ARN is decided
	compiled map[string]*asl.StateMachine
}

// liveExec is an execution of this process that may still be running.
type liveExec struct {
	ex  *asl.Execution
	rec executionRecord // as started
	// persisted is closed once the final record is in the store.
	persisted chan struct{}
	// flush asks for the history so far to be written; flushed is closed
	// when the writer has stopped.
	flush   chan struct{}
	flushed chan struct{}
	stopped bool // stopped by StopExecution (not by Close)
}

// Store layout: one partition for machines, one per machine for execution
// records and one for their histories, and an index of the executions that
// are running so a restart finds them without scanning.
const (
	partMachines      = "sfnlocal/machines"
	partRunning       = "sfnlocal/running"
	partExecPrefix    = "sfnlocal/executions/"
	partHistoryPrefix = "sfnlocal/history/"
	maxCompiled       = 256
)

// RestartCause is the cause of the States.Runtime failure given to an
// execution that was running when the previous process stopped.
const RestartCause = "local runtime restarted"

// NewService builds a Service and fails over the executions that the last
// process on the same store left RUNNING (see Service).
func NewService(cfg ServiceConfig) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, st: cfg.Store, clock: cfg.Clock, log: cfg.Logger, tokens: asl.NewTaskTokens(),
		region: cfg.Region, acct: cfg.AccountID,
		running: map[string]*liveExec{}, starting: map[string]chan struct{}{}, compiled: map[string]*asl.StateMachine{},
	}
	if s.clock == nil {
		s.clock = asl.RealClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.acct == "" {
		s.acct = "123456789012"
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.recover(context.Background()); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// Close aborts the executions still running, without recording an end for
// them (the next Service marks them failed), and waits until their
// goroutines have returned. The Store stays open: it belongs to the caller.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// machineRecord is a state machine as stored.
type machineRecord struct {
	Name         string            `json:"name"`
	ARN          string            `json:"arn"`
	Definition   string            `json:"definition"`
	RoleARN      string            `json:"roleArn"`
	Type         string            `json:"type"`
	Description  string            `json:"description,omitempty"`
	Logging      json.RawMessage   `json:"logging,omitempty"`
	Tracing      json.RawMessage   `json:"tracing,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	CreationDate time.Time         `json:"creationDate"`
	UpdateDate   time.Time         `json:"updateDate"`
	RevisionID   string            `json:"revisionId,omitempty"`
}

// Machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

func (s *Service) machineARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.region, s.acct, name)
}

// defaultRoleARN is the role a machine loaded from a file gets.
func (s *Service) defaultRoleARN(name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/service-role/StepFunctions-%s-role", s.acct, name)
}

// parseMachineARN returns the name in a state machine ARN of this service
// and the mock test case after '#', if any.
func (s *Service) parseMachineARN(arn string) (name, testCase string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "stateMachine" || parts[6] == "" {
		return "", "", apiErrorf(ErrCodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	if len(parts) > 7 {
		// A version or alias qualifier: versions are never published here.
		return "", "", apiErrorf(ErrCodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	if parts[3] != s.region || parts[4] != s.acct {
		return "", "", apiErrorf(ErrCodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	name, testCase, _ = strings.Cut(parts[6], "#")
	if name == "" {
		return "", "", apiErrorf(ErrCodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	return name, testCase, nil
}

// validName reports whether n is a valid name for a state machine or an
// execution: 1 to 80 characters, none of them white space, brackets,
// wildcards, punctuation AWS forbids or control characters.
func validName(n string) bool {
	if n == "" || len([]rune(n)) > 80 {
		return false
	}
	for _, r := range n {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// checkDefinition refuses what AWS refuses: every diagnostic of the static
// validator counts, an unreachable state or a machine that could never end
// included (AWS rejects those too), and so does anything the engine cannot
// compile.
func checkDefinition(def string) error {
	if strings.TrimSpace(def) == "" {
		return apiErrorf(ErrCodeInvalidDefinition, "Invalid State Machine Definition: 'MISSING_DESCRIPTION: definition is empty'")
	}
	if err := checkDefinitionSize(def); err != nil {
		return err
	}
	if diags := validate.Definition([]byte(def)); len(diags) > 0 {
		msgs := make([]string, 0, len(diags))
		for _, d := range diags {
			msgs = append(msgs, diagnosticCode(d)+": "+d.Message+locationSuffix(d.Path))
		}
		return apiErrorf(ErrCodeInvalidDefinition, "Invalid State Machine Definition: '%s'", strings.Join(msgs, ", "))
	}
	if _, err := asl.Compile([]byte(def)); err != nil {
		return apiErrorf(ErrCodeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: %v'", err)
	}
	return nil
}

func locationSuffix(path string) string {
	if path == "" {
		return ""
	}
	return " at " + path
}

// checkDefinitionSize refuses a definition over AWS's 1 MiB, as AWS does:
// a ValidationException on the request's definition member, before any
// look inside.
func checkDefinitionSize(def string) error {
	if len(def) > validate.MaxDefinitionBytes {
		return apiErrorf(ErrCodeValidationException, "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to %d (the definition is %d bytes)", validate.MaxDefinitionBytes, len(def))
	}
	return nil
}

// diagnosticCode is the AWS code of a validator diagnostic.
func diagnosticCode(d validate.Diagnostic) string {
	if d.Code != "" {
		return d.Code
	}
	if d.Path == "" && strings.Contains(d.Message, "not valid JSON") {
		return validate.CodeInvalidJSON
	}
	return validate.CodeSchemaValidation
}

func (s *Service) getMachine(ctx context.Context, name string) (machineRecord, int64, error) {
	it, err := s.st.Get(ctx, store.Key{Partition: partMachines, Sort: name})
	if errors.Is(err, store.ErrNotFound) {
		return machineRecord{}, 0, apiErrorf(ErrCodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", s.machineARN(name))
	}
	if err != nil {
		return machineRecord{}, 0, fmt.Errorf("sfnlocal: read state machine %s: %w", name, err)
	}
	var m machineRecord
	if err := json.Unmarshal(it.Value, &m); err != nil {
		return machineRecord{}, 0, fmt.Errorf("sfnlocal: decode state machine %s: %w", name, err)
	}
	return m, it.Version, nil
}

func (s *Service) putMachine(ctx context.Context, m machineRecord, cond store.Condition) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("sfnlocal: encode state machine %s: %w", m.Name, err)
	}
	if _, err := s.st.Put(ctx, store.Item{Key: store.Key{Partition: partMachines, Sort: m.Name}, Value: b}, cond); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return err
		}
		return fmt.Errorf("sfnlocal: write state machine %s: %w", m.Name, err)
	}
	return nil
}

// compile returns the compiled machine of a definition, cached because
// every execution of a machine shares it.
func (s *Service) compile(def string) (*asl.StateMachine, error) {
	s.mu.Lock()
	sm, ok := s.compiled[def]
	s.mu.Unlock()
	if ok {
		return sm, nil
	}
	sm, err := asl.Compile([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: compile stored definition: %w", err)
	}
	s.mu.Lock()
	if len(s.compiled) >= maxCompiled {
		clear(s.compiled)
	}
	s.compiled[def] = sm
	s.mu.Unlock()
	return sm, nil
}

// LoadDir creates one STANDARD state machine per "*.asl.json" file in dir
// (normally the project's statemachines/ directory), named after the file
// without the suffix, or updates the machine of that name when its
// definition changed. Every file is tried; the errors of all that failed
// are returned joined.
func (s *Service) LoadDir(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.asl.json"))
	if err != nil {
		return fmt.Errorf("sfnlocal: list %s: %w", dir, err)
	}
	sort.Strings(files)
	var errs []error
	for _, f := range files {
		if err := s.loadFile(ctx, f); err != nil {
			errs = append(errs, fmt.Errorf("sfnlocal: %s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) loadFile(ctx context.Context, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(filepath.Base(file), ".asl.json")
	def := string(raw)
	m, _, err := s.getMachine(ctx, name)
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Code == ErrCodeStateMachineDoesNotExist:
		_, err := s.createStateMachine(ctx, &createStateMachineInput{Name: name, Definition: def, RoleArn: s.defaultRoleARN(name)})
		if err == nil {
			s.log.Info("sfnlocal: state machine created", "name", name, "file", file)
		}
		return err
	case err != nil:
		return err
	case m.Definition == def:
		return nil
	}
	_, err = s.updateStateMachine(ctx, &updateStateMachineInput{StateMachineArn: m.ARN, Definition: &def})
	if err == nil {
		s.log.Info("sfnlocal: state machine updated", "name", name, "file", file)
	}
	return err
}

func (s *Service) createStateMachine(ctx context.Context, in *createStateMachineInput) (*createStateMachineOutput, error) {
	if !validName(in.Name) {
		return nil, apiErrorf(ErrCodeInvalidName, "Invalid Name: '%s'", in.Name)
	}
	if in.RoleArn == "" {
		return nil, apiErrorf(ErrCodeValidationException, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(in.RoleArn, "arn:") {
		return nil, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", in.RoleArn)
	}
	typ := in.Type
	if typ == "" {
		typ = TypeStandard
	}
	if typ != TypeStandard && typ != TypeExpress {
		return nil, apiErrorf(ErrCodeValidationException, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	if err := checkDefinition(in.Definition); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	m := machineRecord{
		Name: in.Name, ARN: s.machineARN(in.Name), Definition: in.Definition, RoleARN: in.RoleArn, Type: typ,
		Logging: in.LoggingConfiguration, Tracing: in.TracingConfiguration,
		CreationDate: now, UpdateDate: now, RevisionID: uuid.NewString(), Tags: tagMap(nil, in.Tags),
	}
	err := s.putMachine(ctx, m, store.Condition{IfAbsent: true})
	if errors.Is(err, store.ErrConditionFailed) {
		// CreateStateMachine is idempotent on name, definition, type and
		// logging/tracing configuration; a different role or tags are ignored.
		old, _, gerr := s.getMachine(ctx, in.Name)
		if gerr != nil {
			return nil, gerr
		}
		if old.Definition == in.Definition && old.Type == typ && jsonEqual(old.Logging, in.LoggingConfiguration) && jsonEqual(old.Tracing, in.TracingConfiguration) {
			return &createStateMachineOutput{StateMachineArn: old.ARN, CreationDate: epoch(old.CreationDate)}, nil
		}
		return nil, apiErrorf(ErrCodeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", old.ARN)
	}
	if err != nil {
		return nil, err
	}
	return &createStateMachineOutput{StateMachineArn: m.ARN, CreationDate: epoch(m.CreationDate)}, nil
}

// jsonEqual compares two optional JSON documents by value.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return string(a) == string(b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

func tagMap(m map[string]string, tags []tag) map[string]string {
	if len(tags) == 0 {
		return m
	}
	if m == nil {
		m = map[string]string{}
	}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// updateMachine applies fn to the stored machine under an optimistic
// version check, retrying when another writer got there first.
func (s *Service) updateMachine(ctx context.Context, arn string, fn func(*machineRecord) error) (machineRecord, error) {
	name, tc, err := s.parseMachineARN(arn)
	if err != nil {
		return machineRecord{}, err
	}
	if tc != "" {
		return machineRecord{}, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: '%s'", arn)
	}
	for attempt := 0; ; attempt++ {
		m, ver, err := s.getMachine(ctx, name)
		if err != nil {
			return m, err
		}
		if err := fn(&m); err != nil {
			return m, err
		}
		err = s.putMachine(ctx, m, store.Condition{IfVersion: ver})
		if errors.Is(err, store.ErrConditionFailed) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrConditionFailed) {
			return m, apiErrorf(ErrCodeConflictException, "state machine %s is being updated concurrently", name)
		}
		return m, err
	}
}

func (s *Service) updateStateMachine(ctx context.Context, in *updateStateMachineInput) (*updateStateMachineOutput, error) {
	if in.Definition == nil && in.RoleArn == nil && len(in.LoggingConfiguration) == 0 && len(in.TracingConfiguration) == 0 {
		return nil, apiErrorf(ErrCodeMissingRequiredParameter, "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if in.Definition != nil {
		if err := checkDefinition(*in.Definition); err != nil {
			return nil, err
		}
	}
	if in.RoleArn != nil && !strings.HasPrefix(*in.RoleArn, "arn:") {
		return nil, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", *in.RoleArn)
	}
	m, err := s.updateMachine(ctx, in.StateMachineArn, func(m *machineRecord) error {
		if in.Definition != nil {
			m.Definition = *in.Definition
		}
		if in.RoleArn != nil {
			m.RoleARN = *in.RoleArn
		}
		if len(in.LoggingConfiguration) > 0 {
			m.Logging = in.LoggingConfiguration
		}
		if len(in.TracingConfiguration) > 0 {
			m.Tracing = in.TracingConfiguration
		}
		m.UpdateDate = s.clock.Now()
		m.RevisionID = uuid.NewString()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &updateStateMachineOutput{UpdateDate: epoch(m.UpdateDate), RevisionID: m.RevisionID}, nil
}

func (s *Service) describeStateMachine(ctx context.Context, in *arnInput) (*describeStateMachineOutput, error) {
	name, tc, err := s.parseMachineARN(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if tc != "" {
		return nil, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: '%s'", in.StateMachineArn)
	}
	m, _, err := s.getMachine(ctx, name)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{
		StateMachineArn: m.ARN, Name: m.Name, Status: "ACTIVE", Definition: m.Definition, RoleArn: m.RoleARN,
		Type: m.Type, CreationDate: epoch(m.CreationDate), RevisionID: m.RevisionID, Description: m.Description,
		LoggingConfiguration: orDefault(m.Logging, defaultLogging), TracingConfiguration: orDefault(m.Tracing, defaultTracing),
	}, nil
}

var (
	defaultLogging = json.RawMessage(`{"level":"OFF","includeExecutionData":false}`)
	defaultTracing = json.RawMessage(`{"enabled":false}`)
)

func orDefault(v, def json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return def
	}
	return v
}

func (s *Service) listStateMachines(ctx context.Context, in *pageInput) (*listStateMachinesOutput, error) {
	items, err := s.st.Query(ctx, partMachines, "", 0)
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: list state machines: %w", err)
	}
	all := make([]stateMachineListItem, 0, len(items))
	for _, it := range items {
		var m machineRecord
		if err := json.Unmarshal(it.Value, &m); err != nil {
			return nil, fmt.Errorf("sfnlocal: decode state machine %s: %w", it.Key.Sort, err)
		}
		all = append(all, stateMachineListItem{StateMachineArn: m.ARN, Name: m.Name, Type: m.Type, CreationDate: epoch(m.CreationDate)})
	}
	page, next, err := paginate(all, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &listStateMachinesOutput{StateMachines: page, NextToken: next}, nil
}

// deleteStateMachine removes the machine. As on AWS, deleting a machine
// that does not exist succeeds, and its executions, running or not, stay.
func (s *Service) deleteStateMachine(ctx context.Context, in *arnInput) (*struct{}, error) {
	name, tc, err := s.parseMachineARN(in.StateMachineArn)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == ErrCodeStateMachineDoesNotExist {
			return &struct{}{}, nil
		}
		return nil, err
	}
	if tc != "" {
		return nil, apiErrorf(ErrCodeInvalidArn, "Invalid Arn: '%s'", in.StateMachineArn)
	}
	if err := s.st.Delete(ctx, store.Key{Partition: partMachines, Sort: name}, store.Condition{}); err != nil {
		return nil, fmt.Errorf("sfnlocal: delete state machine %s: %w", name, err)
	}
	return &struct{}{}, nil
}

func (s *Service) validateDefinition(_ context.Context, in *validateInput) (*validateOutput, error) {
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, apiErrorf(ErrCodeValidationException, "maxResults must be between 0 and 100")
	}
	if err := checkDefinitionSize(in.Definition); err != nil {
		return nil, err
	}
	out := &validateOutput{Result: "OK", Diagnostics: []validateDiagnostic{}}
	if strings.TrimSpace(in.Definition) == "" {
		out.Result = "FAIL"
		out.Diagnostics = append(out.Diagnostics, validateDiagnostic{Severity: "ERROR", Code: "MISSING_DESCRIPTION", Message: "definition is empty"})
		return out, nil
	}
	for _, d := range validate.Definition([]byte(in.Definition)) {
		out.Diagnostics = append(out.Diagnostics, validateDiagnostic{Severity: "ERROR", Code: diagnosticCode(d), Message: d.Message, Location: d.Path})
	}
	if len(out.Diagnostics) == 0 {
		if _, err := asl.Compile([]byte(in.Definition)); err != nil {
			out.Diagnostics = append(out.Diagnostics, validateDiagnostic{Severity: "ERROR", Code: "SCHEMA_VALIDATION_FAILED", Message: err.Error()})
		}
	}
	if len(out.Diagnostics) > 0 {
		out.Result = "FAIL"
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = 100
	}
	if len(out.Diagnostics) > limit {
		out.Diagnostics, out.Truncated = out.Diagnostics[:limit], true
	}
	return out, nil
}

func (s *Service) listStateMachineVersions(ctx context.Context, in *arnInput) (*listVersionsOutput, error) {
	if _, err := s.describeStateMachine(ctx, in); err != nil {
		return nil, err
	}
	return &listVersionsOutput{StateMachineVersions: []struct{}{}}, nil
}

func (s *Service) tagResource(ctx context.Context, in *tagResourceInput) (*struct{}, error) {
	_, err := s.updateTags(ctx, in.ResourceArn, func(m *machineRecord) {
		m.Tags = tagMap(m.Tags, in.Tags)
	})
	return &struct{}{}, err
}

func (s *Service) untagResource(ctx context.Context, in *untagResourceInput) (*struct{}, error) {
	_, err := s.updateTags(ctx, in.ResourceArn, func(m *machineRecord) {
		for _, k := range in.TagKeys {
			delete(m.Tags, k)
		}
	})
	return &struct{}{}, err
}

func (s *Service) listTags(ctx context.Context, in *resourceInput) (*listTagsOutput, error) {
	m, err := s.updateTags(ctx, in.ResourceArn, nil)
	if err != nil {
		return nil, err
	}
	out := &listTagsOutput{Tags: []tag{}}
	for k, v := range m.Tags {
		out.Tags = append(out.Tags, tag{Key: k, Value: v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}

// updateTags changes (fn non-nil) or reads the tags of a state machine;
// tagging other resources answers ResourceNotFound.
func (s *Service) updateTags(ctx context.Context, arn string, fn func(*machineRecord)) (machineRecord, error) {
	if _, _, err := s.parseMachineARN(arn); err != nil {
		return machineRecord{}, apiErrorf(ErrCodeResourceNotFound, "Resource not found: '%s'", arn)
	}
	m, err := s.updateMachine(ctx, arn, func(m *machineRecord) error {
		if fn == nil {
			return errReadOnly
		}
		fn(m)
		return nil
	})
	if errors.Is(err, errReadOnly) {
		return m, nil
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == ErrCodeStateMachineDoesNotExist {
		return m, apiErrorf(ErrCodeResourceNotFound, "Resource not found: '%s'", arn)
	}
	return m, err
}

// errReadOnly ends updateMachine without writing.
var errReadOnly = errors.New("sfnlocal: read only")
