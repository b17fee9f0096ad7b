package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// HistoryEvent is one event of an execution history, shaped like the
// HistoryEvent of the Step Functions API: Details holds the
// "<type>EventDetails" object under DetailsKey (for example
// "stateEnteredEventDetails"); inputs and outputs in it are JSON strings.
type HistoryEvent struct {
	Timestamp       time.Time
	Type            string
	ID              int64
	PreviousEventID int64
	DetailsKey      string
	Details         map[string]any
}

// MarshalJSON writes the event as the API does: timestamp, type, id,
// previousEventId and the details object under its own key.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"timestamp":       formatTime(e.Timestamp),
		"type":            e.Type,
		"id":              e.ID,
		"previousEventId": e.PreviousEventID,
	}
	if e.DetailsKey != "" && e.Details != nil {
		m[e.DetailsKey] = e.Details
	}
	return marshalNoEscape(m)
}

func (ex *Execution) recording() bool { return ex.cfg.History || ex.cfg.Observer != nil }

// counting reports whether events must be produced at all: to record them,
// or to count them against MaxHistoryEvents.
func (ex *Execution) counting() bool { return ex.cfg.MaxHistoryEvents > 0 || ex.recording() }

// admit counts one event (not the final one) against MaxHistoryEvents and
// reports whether to record it. The event that reaches the limit is not
// recorded: it fails the execution instead, so the history, with the
// ExecutionFailed event that ends it, holds exactly MaxHistoryEvents
// events. An atomic add is all an execution without history pays. th is
// the line of events it belongs to (nil for ExecutionStarted): one inside
// a DISTRIBUTED Map iteration counts against that iteration's own budget.
func (ex *Execution) admit(th *thread) bool {
	if max := ex.cfg.MaxHistoryEvents; max > 0 {
		if th != nil && th.budget != nil {
			if th.budget.n.Add(1) >= max {
				th.budget.cancel(&stopError{status: StatusFailed, err: th.budget.err(max)})
				return false
			}
		} else if ex.events.Add(1) >= max {
			ex.cancel(ex.historyFull())
			return false
		}
	}
	return ex.recording()
}

// eventBudget counts the events of an iteration of a DISTRIBUTED Map,
// which AWS runs as a child execution with a history, and a history limit,
// of its own: its events do not count against the parent's limit (whose
// history shows only the Map Run), so a distributed Map over many items
// runs here as it does there, and an endless loop in one iteration still
// ends.
type eventBudget struct {
	n      atomic.Int64
	cancel context.CancelCauseFunc // the iteration's
}

func (b *eventBudget) err(max int64) *Error {
	return errorf(ErrRuntime, "The Map iteration's child execution reached the limit of %d history events; the definition may loop forever", max)
}

// exhausted reports whether an event was refused by the budget.
func (b *eventBudget) exhausted(max int64) bool { return max > 0 && b.n.Load() >= max }

// historyFull is the error that ends an execution at MaxHistoryEvents.
func (ex *Execution) historyFull() *stopError {
	return &stopError{status: StatusFailed, err: errorf(ErrRuntime,
		"The execution reached the limit of %d history events; the definition may loop forever", ex.cfg.MaxHistoryEvents)}
}

// reachedHistoryLimit reports whether an event was refused by MaxHistoryEvents.
func (ex *Execution) reachedHistoryLimit() bool {
	return ex.cfg.MaxHistoryEvents > 0 && ex.events.Load() >= ex.cfg.MaxHistoryEvents
}

// detailsFunc defers building event details until they are recorded.
type detailsFunc func() map[string]any

// eventLazy is event with details built only when history is recorded, so
// executions without history pay nothing for them.
func (ex *Execution) eventLazy(th *thread, typ, key string, details func() map[string]any) int64 {
	if !ex.admit(th) {
		return 0
	}
	return ex.record(th, typ, key, details())
}

// event counts an event and, when history is recorded, records it after
// th's previous one; it returns its id (0 when nothing is recorded).
// details is a map, a detailsFunc or nil.
func (ex *Execution) event(th *thread, typ, key string, details any) int64 {
	if !ex.admit(th) {
		return 0
	}
	return ex.record(th, typ, key, details)
}

// finalEvent records the event that ends the execution. It is never
// refused: an execution that reached MaxHistoryEvents still says how it
// ended.
func (ex *Execution) finalEvent(th *thread, typ, key string, details map[string]any) {
	if ex.recording() {
		ex.record(th, typ, key, details)
	}
}

// record appends an event admitted by admit.
func (ex *Execution) record(th *thread, typ, key string, details any) int64 {
	var d map[string]any
	switch t := details.(type) {
	case map[string]any:
		d = t
	case detailsFunc:
		d = t()
	}
	ex.histMu.Lock()
	ex.nextID++
	e := HistoryEvent{Timestamp: ex.clock.Now(), Type: typ, ID: ex.nextID, DetailsKey: key, Details: d}
	if th != nil {
		e.PreviousEventID = th.prev
		th.prev = e.ID
	}
	if ex.cfg.History {
		ex.history = append(ex.history, e)
	}
	ex.histMu.Unlock()
	if ex.cfg.Observer != nil {
		ex.cfg.Observer(e)
	}
	return e.ID
}

// compactJSON renders a value as compact JSON, as history details and error
// causes show it.
// compactJSON prints a value as AWS does in histories and outputs: compact,
// object members in order, no HTML escaping.
func compactJSON(v any) string { return jsonv.Marshal(v) }

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
