package asl

import (
	"bytes"
	"encoding/json"
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
	// Next is, on a StateExited event, the name of the state the execution
	// goes to next (empty at an end); the API does not show it, but a
	// resume needs it (see ResumePoint). Empty on other events.
	Next string
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

// detailsFunc defers building event details until they are recorded.
type detailsFunc func() map[string]any

// eventLazy is event with details built only when history is recorded, so
// executions without history pay nothing for them.
func (ex *Execution) eventLazy(th *thread, typ, key string, details func() map[string]any) int64 {
	if !ex.recording() {
		return 0
	}
	return ex.event(th, typ, key, details())
}

// event records an event after th's previous one and returns its id (0
// when nothing is recorded). details is a map, a detailsFunc or nil.
func (ex *Execution) event(th *thread, typ, key string, details any) int64 {
	return ex.eventNext(th, typ, key, details, nil)
}

// eventNext is event for a StateExited event, naming the next state.
func (ex *Execution) eventNext(th *thread, typ, key string, details any, next *state) int64 {
	if !ex.recording() {
		return 0
	}
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
	if next != nil {
		e.Next = next.name
	}
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
