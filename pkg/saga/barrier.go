package saga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Phases of a step, named as the event catalog names them.
const (
	PhaseForward      = events.PhaseForward      // the action
	PhaseCompensation = events.PhaseCompensation // its undo
)

// States of a barrier record.
const (
	// StatePending: an attempt began and has not finished; it may have
	// crashed half-way, so its effect may be partly applied.
	StatePending = "pending"
	// StateSucceeded: the phase finished; Result is its answer.
	StateSucceeded = "succeeded"
	// StateFailed (forward only): the action refused with a business error
	// (Error) and left no effect.
	StateFailed = "failed"
	// StateBlocked (forward only): the compensation came first; the action
	// never ran and never will.
	StateBlocked = "blocked"
	// StateAborted (forward only): the compensation came while an action
	// attempt was pending; the action is refused from then on and the
	// compensation undoes whatever the attempt did.
	StateAborted = "aborted"
)

// PartitionPrefix starts the store partition of a saga's barrier records:
// "saga#<sagaId>", one item per step and phase ("step#<step>#<phase>").
const PartitionPrefix = "saga#"

// ID names one step of one saga instance.
type ID struct {
	// SagaID is the saga instance (the order id, or the execution name).
	SagaID string
	// Saga is the name of the saga definition; informative.
	Saga string
	// Step is the step's name in the definition.
	Step string
	// InputHash, when set, is the hash of the saga input (InputHash): an
	// action whose record was written for another input is refused with
	// ErrConflict instead of answering the other input's result.
	InputHash string
}

// Validate reports what is missing; the error is named ErrInvalidInput.
func (id ID) Validate() error {
	var missing []string
	if id.SagaID == "" {
		missing = append(missing, "sagaId")
	}
	if id.Step == "" {
		missing = append(missing, "step")
	}
	if len(missing) > 0 {
		return InvalidInput("saga task payload: missing %s", strings.Join(missing, " and "))
	}
	if len(id.SagaID) > 256 || strings.ContainsAny(id.Step, "#") {
		return InvalidInput("saga task payload: sagaId longer than 256 bytes or step name with '#'")
	}
	return nil
}

// Key is where the barrier record of phase lives.
func (id ID) Key(phase string) store.Key {
	return store.Key{Partition: PartitionPrefix + id.SagaID, Sort: "step#" + id.Step + "#" + phase}
}

// Record is the stored barrier of one phase of one step.
type Record struct {
	SagaID   string            `json:"sagaId"`
	Saga     string            `json:"saga,omitempty"`
	Step     string            `json:"step"`
	Phase    string            `json:"phase"`
	State    string            `json:"state"`
	Attempts int               `json:"attempts"`
	Result   json.RawMessage   `json:"result,omitempty"`
	Error    *events.ErrorInfo `json:"error,omitempty"`
	// Null marks a compensation that found nothing to undo (null
	// compensation); Origin "compensation" marks a forward record written
	// by the compensation (StateBlocked).
	Null   bool   `json:"null,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Fenced (forward only) marks a succeeded action whose compensation
	// began: a repeat of the action is refused as hanging.
	Fenced bool `json:"fenced,omitempty"`
	// InputHash is the hash of the saga input the action ran for (forward
	// records written by an action with ID.InputHash set).
	InputHash string    `json:"inputHash,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Effect is a phase's work; its result is stored as the phase's answer.
type Effect func(ctx context.Context) (json.RawMessage, error)

// Outcome is what a phase answered.
type Outcome struct {
	Result json.RawMessage
	// Attempt is how many attempts the phase has seen, this one included.
	Attempt int
	// Duplicate: the phase had already finished; nothing ran and Result
	// (or the error) is the first answer.
	Duplicate bool
	// Null (compensation only): the action never ran, or refused, so
	// there was nothing to undo and nothing was done.
	Null bool
}

// BarrierConfig configures a Barrier.
type BarrierConfig struct {
	// Store keeps the barrier records. Required; it must be shared by
	// every instance of the function (DynamoDB on AWS).
	Store store.Store
	// Now is the clock of the records' timestamps. Nil means time.Now.
	Now func() time.Time
}

// Validate reports every problem with c.
func (c BarrierConfig) Validate() error {
	if c.Store == nil {
		return errors.New("saga: BarrierConfig.Store is required")
	}
	return nil
}

// Barrier makes the phases of a step idempotent and ordered with
// conditional writes on one record per step and phase; see the package
// documentation for the protocol. Safe for concurrent use.
type Barrier struct {
	store store.Store
	now   func() time.Time
}

// NewBarrier builds a Barrier.
func NewBarrier(cfg BarrierConfig) (*Barrier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Barrier{store: cfg.Store, now: now}, nil
}

// maxRaces bounds the re-reads after a lost conditional write: each loss
// means another writer made progress, so a handful always suffices.
const maxRaces = 8

var errRaced = errors.New("saga: barrier record kept changing under concurrent writers")

func (b *Barrier) put(ctx context.Context, key store.Key, r *Record, cond store.Condition) (int64, error) {
	r.UpdatedAt = b.now().UTC()
	v, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("saga: encode barrier: %w", err)
	}
	it, err := b.store.Put(ctx, store.Item{Key: key, Value: v}, cond)
	if err != nil {
		return 0, err
	}
	return it.Version, nil
}

func (b *Barrier) get(ctx context.Context, key store.Key) (Record, int64, error) {
	it, err := b.store.Get(ctx, key)
	if err != nil {
		return Record{}, 0, err
	}
	var r Record
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return Record{}, 0, fmt.Errorf("saga: barrier %s/%s is not a record: %w", key.Partition, key.Sort, err)
	}
	return r, it.Version, nil
}

// begin creates or re-opens the pending record of a phase. done is set
// (with the record) when the phase had already finished.
func (b *Barrier) begin(ctx context.Context, id ID, phase string) (rec Record, version int64, done bool, err error) {
	key := id.Key(phase)
	now := b.now().UTC()
	rec = Record{SagaID: id.SagaID, Saga: id.Saga, Step: id.Step, Phase: phase, State: StatePending, Attempts: 1, StartedAt: now}
	if phase == PhaseForward {
		rec.InputHash = id.InputHash
	}
	for range maxRaces {
		version, err = b.put(ctx, key, &rec, store.Condition{IfAbsent: true})
		if err == nil {
			return rec, version, false, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return rec, 0, false, Transient(fmt.Errorf("saga: barrier %s: %w", phase, err))
		}
		cur, v, gerr := b.get(ctx, key)
		if errors.Is(gerr, store.ErrNotFound) {
			continue
		}
		if gerr != nil {
			return rec, 0, false, Transient(gerr)
		}
		if cur.State != StatePending {
			return cur, v, true, nil
		}
		if phase == PhaseForward && inputConflict(cur, id) {
			return cur, v, false, errStepConflict(id, cur)
		}
		cur.Attempts++
		version, err = b.put(ctx, key, &cur, store.Condition{IfVersion: v})
		if err == nil {
			return cur, version, false, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return rec, 0, false, Transient(fmt.Errorf("saga: barrier %s: %w", phase, err))
		}
	}
	return rec, 0, false, Transient(errRaced)
}

// inputConflict reports whether an action for id meets a record written
// for another input of the same saga id.
func inputConflict(r Record, id ID) bool {
	return id.InputHash != "" && r.InputHash != "" && r.InputHash != id.InputHash
}

func errStepConflict(id ID, r Record) *faas.Error {
	return &faas.Error{Name: ErrConflict, Message: fmt.Sprintf(
		"saga %s step %s already ran for another input (hash %.12s, this task's %.12s): nothing was run", id.SagaID, id.Step, r.InputHash, id.InputHash)}
}

// storedError rebuilds the error a failed phase answered first.
func storedError(r Record) error {
	if r.Error == nil {
		return &faas.Error{Name: ErrBusiness, Message: "step " + r.Step + " failed earlier"}
	}
	return &faas.Error{Name: r.Error.Name, Message: r.Error.Message}
}

// Forward runs the action do of a step at most once to success:
//
//   - a duplicate of a finished action answers the first result (or the
//     first business error) and runs nothing;
//   - an action whose compensation came first (forward record blocked or
//     aborted) is refused with ErrHanging and runs nothing;
//   - an action that finds its record pending (an earlier attempt crashed
//     or failed transiently) runs do again, so do must be idempotent per
//     saga id;
//   - if the compensation aborts the record while do runs, the action
//     undoes itself with undo (nil: nothing to undo) and answers
//     ErrHanging.
//
// A business error from do is recorded (do must leave no effect with one);
// any other error leaves the record pending and is returned as
// ErrTransient.
func (b *Barrier) Forward(ctx context.Context, id ID, do, undo Effect) (Outcome, error) {
	if err := id.Validate(); err != nil {
		return Outcome{}, err
	}
	rec, version, done, err := b.begin(ctx, id, PhaseForward)
	if err != nil {
		return Outcome{}, err
	}
	if done {
		out := Outcome{Result: rec.Result, Attempt: rec.Attempts, Duplicate: true}
		// Only a result is withheld from another input: a refusal (failed)
		// is answered as before, and a compensated step is hanging.
		if inputConflict(rec, id) && rec.State == StateSucceeded && !rec.Fenced {
			return Outcome{Attempt: rec.Attempts}, errStepConflict(id, rec)
		}
		switch {
		case rec.State == StateSucceeded && !rec.Fenced:
			return out, nil
		case rec.State == StateFailed:
			return out, storedError(rec)
		default:
			return out, errHanging(id, "its compensation already ran")
		}
	}
	result, err := do(ctx)
	if err != nil {
		ferr := classify(err)
		if IsBusiness(ferr) {
			rec.State = StateFailed
			rec.Error = &events.ErrorInfo{Name: ferr.Name, Message: ferr.Error()}
			if _, perr := b.put(ctx, id.Key(PhaseForward), &rec, store.Condition{IfVersion: version}); perr != nil && !errors.Is(perr, store.ErrConditionFailed) {
				return Outcome{Attempt: rec.Attempts}, Transient(fmt.Errorf("saga: record business failure: %w", perr))
			}
			return Outcome{Attempt: rec.Attempts}, ferr
		}
		// Still pending: keep the last error for `saga status`. A lost race
		// (the compensation aborted the record) changes nothing here.
		rec.Error = &events.ErrorInfo{Name: ferr.Name, Message: ferr.Error()}
		if _, perr := b.put(ctx, id.Key(PhaseForward), &rec, store.Condition{IfVersion: version}); perr != nil && !errors.Is(perr, store.ErrConditionFailed) {
			return Outcome{Attempt: rec.Attempts}, errors.Join(ferr, Transient(perr))
		}
		return Outcome{Attempt: rec.Attempts}, ferr
	}
	if len(result) == 0 {
		result = json.RawMessage("null")
	}
	rec.State, rec.Result, rec.Error = StateSucceeded, result, nil
	key := id.Key(PhaseForward)
	for range maxRaces {
		_, err = b.put(ctx, key, &rec, store.Condition{IfVersion: version})
		if err == nil {
			return Outcome{Result: result, Attempt: rec.Attempts}, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return Outcome{Attempt: rec.Attempts}, Transient(fmt.Errorf("saga: record success: %w", err))
		}
		cur, v, gerr := b.get(ctx, key)
		if gerr != nil {
			return Outcome{Attempt: rec.Attempts}, Transient(gerr)
		}
		switch cur.State {
		case StateSucceeded:
			// A concurrent duplicate finished first; its answer stands.
			return Outcome{Result: cur.Result, Attempt: cur.Attempts, Duplicate: true}, nil
		case StateFailed:
			return Outcome{Attempt: cur.Attempts, Duplicate: true}, storedError(cur)
		case StateAborted, StateBlocked:
			// The compensation ran while we worked: what we did may have
			// landed after its undo, so undo it again ourselves. A nil undo
			// means the step has nothing to undo.
			if undo == nil {
				return Outcome{Attempt: cur.Attempts}, errHanging(id, "its compensation ran while it was working; nothing to undo")
			}
			if _, uerr := undo(ctx); uerr != nil {
				return Outcome{Attempt: cur.Attempts}, Transient(fmt.Errorf("saga: undo of a hanging action: %w", uerr))
			}
			return Outcome{Attempt: cur.Attempts}, errHanging(id, "its compensation ran while it was working; undone")
		}
		// Still pending: a concurrent duplicate bumped the attempts.
		rec.Attempts, version = cur.Attempts, v
	}
	return Outcome{Attempt: rec.Attempts}, Transient(errRaced)
}

// Compensate runs the compensation undo of a step at most once to success:
//
//   - a duplicate of a finished compensation answers the first result;
//   - if the action never ran, the compensation writes the action's record
//     as blocked (so a late action is refused) and succeeds without
//     calling undo: a null compensation; likewise when the action failed
//     with a business error (it left no effect);
//   - if an action attempt is pending (running, or crashed half-way), the
//     record is aborted first, then undo runs, so undo must be idempotent
//     and must cope with an action that was only partly applied.
//
// A nil undo means the step has nothing to undo: the compensation only
// fences the action.
//
// Errors from undo leave the compensation pending (recorded with the
// error, for `saga status`) and are returned named as undo named them, or
// ErrTransient.
func (b *Barrier) Compensate(ctx context.Context, id ID, undo Effect) (Outcome, error) {
	if err := id.Validate(); err != nil {
		return Outcome{}, err
	}
	rec, version, done, err := b.begin(ctx, id, PhaseCompensation)
	if err != nil {
		return Outcome{}, err
	}
	if done {
		return Outcome{Result: rec.Result, Attempt: rec.Attempts, Duplicate: true, Null: rec.Null}, nil
	}
	null, err := b.fence(ctx, id)
	if err != nil {
		return Outcome{Attempt: rec.Attempts}, err
	}
	var result json.RawMessage
	if !null && undo != nil { // nil: the step has nothing to undo
		if result, err = undo(ctx); err != nil {
			ferr := classify(err)
			rec.Error = &events.ErrorInfo{Name: ferr.Name, Message: ferr.Error()}
			if _, perr := b.put(ctx, id.Key(PhaseCompensation), &rec, store.Condition{IfVersion: version}); perr != nil && !errors.Is(perr, store.ErrConditionFailed) {
				return Outcome{Attempt: rec.Attempts}, errors.Join(ferr, Transient(perr))
			}
			return Outcome{Attempt: rec.Attempts}, ferr
		}
	}
	if len(result) == 0 {
		result = json.RawMessage("null")
	}
	rec.State, rec.Result, rec.Null, rec.Error = StateSucceeded, result, null, nil
	key := id.Key(PhaseCompensation)
	for range maxRaces {
		_, err = b.put(ctx, key, &rec, store.Condition{IfVersion: version})
		if err == nil {
			return Outcome{Result: result, Attempt: rec.Attempts, Null: null}, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return Outcome{Attempt: rec.Attempts}, Transient(fmt.Errorf("saga: record compensation: %w", err))
		}
		cur, v, gerr := b.get(ctx, key)
		if gerr != nil {
			return Outcome{Attempt: rec.Attempts}, Transient(gerr)
		}
		if cur.State == StateSucceeded {
			return Outcome{Result: cur.Result, Attempt: cur.Attempts, Duplicate: true, Null: cur.Null}, nil
		}
		rec.Attempts, version = cur.Attempts, v
	}
	return Outcome{Attempt: rec.Attempts}, Transient(errRaced)
}

// fence makes sure no action of the step can start from now on and says
// whether there is nothing to undo (the action never ran or refused).
func (b *Barrier) fence(ctx context.Context, id ID) (null bool, err error) {
	key := id.Key(PhaseForward)
	now := b.now().UTC()
	for range maxRaces {
		blocked := Record{SagaID: id.SagaID, Saga: id.Saga, Step: id.Step, Phase: PhaseForward, State: StateBlocked, Origin: PhaseCompensation, StartedAt: now}
		_, err := b.put(ctx, key, &blocked, store.Condition{IfAbsent: true})
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return false, Transient(fmt.Errorf("saga: block action: %w", err))
		}
		fwd, v, err := b.get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, Transient(err)
		}
		switch fwd.State {
		case StateBlocked, StateFailed:
			return true, nil
		case StateAborted:
			return false, nil
		case StateSucceeded:
			if fwd.Fenced {
				return false, nil
			}
			fwd.Fenced = true
		default:
			fwd.State = StateAborted
		}
		_, err = b.put(ctx, key, &fwd, store.Condition{IfVersion: v})
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return false, Transient(fmt.Errorf("saga: abort action: %w", err))
		}
	}
	return false, Transient(errRaced)
}

// Status is what the store knows of one saga instance.
type Status struct {
	SagaID string `json:"sagaId"`
	Saga   string `json:"saga,omitempty"`
	// State is the saga's overall state: SagaRunning, SagaCompleted,
	// SagaCompensating, SagaCompensated or SagaStuck, from the saga record
	// and the steps' records; empty when the store knows nothing of it.
	State string `json:"state,omitempty"`
	// InputHash, Output, Error and Cause come from the saga record (see
	// SagaRecord); Conflicts counts executions refused with ErrConflict.
	InputHash string          `json:"inputHash,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	Cause     string          `json:"cause,omitempty"`
	Conflicts int             `json:"conflicts,omitempty"`
	Steps     []StepStatus    `json:"steps"`
}

// StepStatus is one step's phases; a phase that never began is nil.
type StepStatus struct {
	Step         string  `json:"step"`
	Forward      *Record `json:"forward,omitempty"`
	Compensation *Record `json:"compensation,omitempty"`
}

// ReadStatus returns the overall state of sagaID and the barrier records of
// its steps, in the order they first began. A saga the store has never
// seen has no steps and no state.
func ReadStatus(ctx context.Context, s store.Store, sagaID string) (Status, error) {
	st := Status{SagaID: sagaID, Steps: []StepStatus{}}
	items, err := s.Query(ctx, PartitionPrefix+sagaID, "step#", 0)
	if err != nil {
		return st, fmt.Errorf("saga: status of %s: %w", sagaID, err)
	}
	byStep := map[string]*StepStatus{}
	for _, it := range items {
		var r Record
		if err := json.Unmarshal(it.Value, &r); err != nil {
			return st, fmt.Errorf("saga: status of %s: %s: %w", sagaID, it.Key.Sort, err)
		}
		ss := byStep[r.Step]
		if ss == nil {
			ss = &StepStatus{Step: r.Step}
			byStep[r.Step] = ss
		}
		if st.Saga == "" {
			st.Saga = r.Saga
		}
		switch r.Phase {
		case PhaseForward:
			ss.Forward = &r
		case PhaseCompensation:
			ss.Compensation = &r
		}
	}
	for _, ss := range byStep {
		st.Steps = append(st.Steps, *ss)
	}
	first := func(s StepStatus) time.Time {
		t := time.Time{}
		for _, r := range []*Record{s.Forward, s.Compensation} {
			if r != nil && (t.IsZero() || r.StartedAt.Before(t)) {
				t = r.StartedAt
			}
		}
		return t
	}
	sortSteps(st.Steps, first)
	rec, err := getSagaRecord(ctx, s, sagaID)
	switch {
	case err == nil:
		st.Saga, st.InputHash, st.Output, st.Error, st.Cause, st.Conflicts = rec.Saga, rec.InputHash, rec.Output, rec.Error, rec.Cause, rec.Conflicts
		st.State = rec.State
	case !errors.Is(err, store.ErrNotFound):
		return st, fmt.Errorf("saga: status of %s: %w", sagaID, err)
	case len(st.Steps) > 0:
		st.State = SagaRunning // a saga run without a saga record
	}
	if st.State == SagaRunning {
		for _, ss := range st.Steps {
			if ss.Compensation != nil {
				st.State = SagaCompensating
			}
		}
	}
	return st, nil
}

func sortSteps(steps []StepStatus, first func(StepStatus) time.Time) {
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := first(steps[i]), first(steps[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return steps[i].Step < steps[j].Step
	})
}
