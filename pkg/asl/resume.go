package asl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// ResumePoint continues an execution that an earlier process started and
// did not finish (ExecutionConfig.Resume), from a top-level state: the
// last one that process recorded entering, or the one after the last it
// recorded leaving. Whatever ran inside that state and was not recorded
// runs again: a Task is invoked again (Step Functions' Task semantics are
// at least once), a Parallel or Map starts its branches or items again.
// ExecutionConfig.Input stays the execution input ($$.Execution.Input);
// Name, StateMachineName, Region, AccountID and RoleArn must be those of
// the first run, so the context object is the same.
type ResumePoint struct {
	// State is the top-level state to continue at. Empty means the
	// StartAt state, not entered yet (the earlier process recorded nothing
	// after ExecutionStarted).
	State string
	// Input is the state's input (its StateEntered event shows it, or the
	// output of the state before it).
	Input any
	// Entered reports that the earlier process recorded entering State:
	// the StateEntered event is not recorded again, $$.State.EnteredTime is
	// EnteredAt, and a Wait state with Seconds or SecondsPath waits only
	// for what remains from EnteredAt (a Timestamp wait ends when it
	// would have anyway). When false State is entered now, as after the
	// transition that the earlier process recorded leaving its previous
	// state for.
	Entered   bool
	EnteredAt time.Time
	// StartTime is when the execution first started: $$.Execution.StartTime
	// and the machine's TimeoutSeconds count from it. Required.
	StartTime time.Time
	// LastEventID is the id of the last history event recorded before the
	// resume: new events are numbered after it, and ExecutionStarted is not
	// recorded again. At least 1 (ExecutionStarted).
	LastEventID int64
}

func (rp *ResumePoint) validate() error {
	var errs []error
	if rp.State == "" && rp.Entered {
		errs = append(errs, errors.New("asl: ResumePoint.State is required when Entered is set"))
	}
	if rp.StartTime.IsZero() {
		errs = append(errs, errors.New("asl: ResumePoint.StartTime is required"))
	}
	if rp.Entered && rp.EnteredAt.IsZero() {
		errs = append(errs, errors.New("asl: ResumePoint.EnteredAt is required when Entered is set"))
	}
	if rp.LastEventID < 1 {
		errs = append(errs, fmt.Errorf("asl: ResumePoint.LastEventID %d: the history has at least ExecutionStarted (1)", rp.LastEventID))
	}
	return errors.Join(errs...)
}

// ErrResumeState is returned by Start when a ResumePoint names a state the
// machine's top level does not have (its definition changed, say).
var ErrResumeState = errors.New("asl: cannot resume at this state")

func (sm *StateMachine) checkResume(rp *ResumePoint) error {
	if rp == nil || rp.State == "" {
		return nil
	}
	if st := sm.top.states[rp.State]; st == nil {
		return fmt.Errorf("%w: %q is not a top-level state of the machine", ErrResumeState, rp.State)
	}
	return nil
}

// safeResume is safeRun from the resume point's state.
func (ex *Execution) safeResume(ctx context.Context, th *thread, rp *ResumePoint) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errorf(ErrRuntime, "internal error: %v", r)
		}
	}()
	// jsonv values keep the document's key order; plain values are sorted.
	st := ex.sm.top.startAt
	if rp.State != "" {
		st = ex.sm.top.states[rp.State]
	}
	return ex.runFrom(ctx, th, st, jsonv.FromAny(rp.Input), rp)
}

// Checkpoint follows the history of an execution, fed in event id order,
// and keeps the last event an execution could resume from: a top-level
// StateEntered or StateExited (not one of a Parallel branch or a Map
// iteration). The zero value is ready; it is not safe for concurrent use.
// After a resume, follow the new events with a new Checkpoint: the events
// the earlier process recorded inside the resumed state (a Map started,
// say) have no end.
type Checkpoint struct {
	depth int
	last  HistoryEvent
	ok    bool
}

// Observe takes the next event of the history.
func (c *Checkpoint) Observe(e HistoryEvent) {
	switch e.Type {
	case "ParallelStateStarted", "MapStateStarted":
		// Everything up to the matching end is inside a branch or an item,
		// the events of concurrent ones interleaved.
		c.depth++
		return
	case "ParallelStateSucceeded", "ParallelStateFailed", "MapStateSucceeded", "MapStateFailed":
		c.depth--
		return
	}
	if c.depth == 0 && (strings.HasSuffix(e.Type, "StateEntered") || strings.HasSuffix(e.Type, "StateExited")) {
		c.last, c.ok = e, true
	}
}

// Last returns the last top-level StateEntered or StateExited event seen;
// ok is false when there was none.
func (c *Checkpoint) Last() (e HistoryEvent, ok bool) { return c.last, c.ok }
