package saga

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Saga-level phases of a Task: the generated definition sends them to the
// first step's function before the first step and after the last state.
const (
	// PhaseBegin records the saga (its input hash) or answers how an earlier
	// saga with the same id ended.
	PhaseBegin = "begin"
	// PhaseEnd records how the saga ended (Task.Outcome).
	PhaseEnd = "end"
)

// Overall states of a saga, as `cogniforge saga status` shows them.
const (
	// SagaRunning: begun, not ended (or an execution died and was never
	// re-run: re-running it with the same input resumes it).
	SagaRunning = "running"
	// SagaCompleted: every step succeeded; re-running answers the output.
	SagaCompleted = "completed"
	// SagaCompensating: a step failed and compensations are running.
	SagaCompensating = "compensating"
	// SagaCompensated: rolled back; re-running answers Saga.Compensated.
	SagaCompensated = "compensated"
	// SagaStuck: a compensation (or a step after the pivot) kept failing;
	// re-running it with the same input resumes it.
	SagaStuck = "stuck"
	// SagaConflict is the state of an execution refused with ErrConflict;
	// the saga record itself keeps the first saga's state and counts the
	// refused executions (SagaRecord.Conflicts).
	SagaConflict = "conflict"
)

// Decisions a begin phase answers (BeginResult.Decision).
const (
	// DecisionRun: run the steps (a new saga, or the same input again while
	// the saga is running or stuck: the barriers make it a resume).
	DecisionRun = "run"
	// DecisionCompleted: the saga already completed with this input; the
	// execution answers the recorded output.
	DecisionCompleted = "completed"
	// DecisionCompensated: the saga was already rolled back with this
	// input; the execution fails with the recorded error and cause.
	DecisionCompensated = "compensated"
)

// sagaSort is the sort key of the saga record in the saga's partition,
// next to its barrier records ("step#...").
const sagaSort = "saga"

// SagaKey is where the record of a saga lives.
func SagaKey(sagaID string) store.Key {
	return store.Key{Partition: PartitionPrefix + sagaID, Sort: sagaSort}
}

// SagaRecord is the stored saga-level state of one saga instance: the hash
// of its input (the same id with another input is a conflict), how it
// ended, and its saga-level events (the outbox: each is written here by the
// same conditional put that decides it, and published at least once by the
// step function that wrote it or, if that failed, by a Relay).
type SagaRecord struct {
	SagaID string `json:"sagaId"`
	Saga   string `json:"saga,omitempty"`
	// State is SagaRunning, SagaCompleted, SagaCompensated or SagaStuck.
	State string `json:"state"`
	// InputHash is the hex SHA-256 of the saga input in canonical JSON
	// (keys sorted), as pkg/idempotency hashes payloads.
	InputHash string `json:"inputHash"`
	// Output is the output of a completed saga.
	Output json.RawMessage `json:"output,omitempty"`
	// Error and Cause end a compensated or stuck saga.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Conflicts counts executions refused with ErrConflict (same id, other
	// input); LastConflictHash is the input hash of the latest.
	Conflicts        int    `json:"conflicts,omitempty"`
	LastConflictHash string `json:"lastConflictHash,omitempty"`
	// Events are the saga-level CloudEvents decided so far, structured
	// JSON, one per kind (started, completed, ...).
	Events    []OutboxEvent `json:"events,omitempty"`
	StartedAt time.Time     `json:"startedAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// OutboxEvent is one saga-level event as accepted into the saga record.
type OutboxEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Event is the whole CloudEvent in structured JSON.
	Event json.RawMessage `json:"event"`
}

// Ending is how a saga ended, sent by the generated definition with the
// end phase.
type Ending struct {
	// State is SagaCompleted, SagaCompensated or SagaStuck.
	State string `json:"state"`
	// Output is the completed saga's output.
	Output json.RawMessage `json:"output,omitempty"`
	// Error and Cause are the failed execution's error and cause.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// BeginResult is what the begin phase answers the state machine.
type BeginResult struct {
	Decision string          `json:"decision"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    string          `json:"error,omitempty"`
	Cause    string          `json:"cause,omitempty"`
}

// InputHash is the hex SHA-256 of raw in canonical JSON: objects with
// sorted keys, numbers as written, no insignificant space. Two inputs that
// differ only in key order or spacing have the same hash. A top-level
// "traceparent" and "baggage" (the caller's trace context, which the saga
// joins) are not part of the input: the same order sent again from another
// trace is the same saga.
func InputHash(raw json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", InvalidInput("saga task payload: input: %v", err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "traceparent")
		delete(m, "baggage")
	}
	canon, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		return "", InvalidInput("saga task payload: input: %v", err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}

// errConflict refuses an execution that reuses a saga id with another
// input.
func errConflict(sagaID string, rec SagaRecord, hash string) *faas.Error {
	return &faas.Error{Name: ErrConflict, Message: fmt.Sprintf(
		"saga %s already exists (%s) with another input (hash %.12s, this execution's %.12s): use a new saga id; nothing was run or compensated",
		sagaID, rec.State, rec.InputHash, hash)}
}

// sagaLog keeps the saga records: the begin and end phases.
type sagaLog struct {
	store  store.Store
	bus    bus.Publisher
	now    func() time.Time
	logger *slog.Logger
}

func (l *sagaLog) get(ctx context.Context, id string) (SagaRecord, int64, error) {
	it, err := l.store.Get(ctx, SagaKey(id))
	if err != nil {
		return SagaRecord{}, 0, err
	}
	var r SagaRecord
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return SagaRecord{}, 0, fmt.Errorf("saga: record of %s is not a saga record: %w", id, err)
	}
	return r, it.Version, nil
}

func (l *sagaLog) put(ctx context.Context, r *SagaRecord, cond store.Condition) error {
	r.UpdatedAt = l.now().UTC()
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("saga: encode saga record: %w", err)
	}
	_, err = l.store.Put(ctx, store.Item{Key: SagaKey(r.SagaID), Value: v}, cond)
	return err
}

// sagaEvent builds a saga-level CloudEvent with a stable id (one per saga
// and kind), so the outbox's at-least-once delivery repeats the same event.
func (l *sagaLog) sagaEvent(ctx context.Context, t Task, typ, kind string) (OutboxEvent, error) {
	source := t.EventSource
	if source == "" {
		source = "cogniforge/saga/" + t.Saga
	}
	data := t.Event
	if len(bytes.TrimSpace(data)) == 0 {
		data = json.RawMessage(fmt.Sprintf(`{"sagaId":%q,"saga":%q}`, t.SagaID, t.Saga))
	}
	e, err := events.New(ctx, typ, source, data, events.ID(t.SagaID+"/saga/"+kind), events.Subject(t.SagaID), events.Time(l.now()))
	if err != nil {
		return OutboxEvent{}, InvalidInput("saga %s: %s event: %v", t.SagaID, kind, err)
	}
	e.SetExtension(events.ExtCorrelationID, t.SagaID)
	if events.TraceParent(ctx) == "" && t.TraceParent != "" {
		e.SetExtension(events.ExtTraceParent, t.TraceParent)
	}
	if _, ok := e.Extensions()[events.ExtBaggage]; !ok && t.Baggage != "" {
		e.SetExtension(events.ExtBaggage, t.Baggage)
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return OutboxEvent{}, fmt.Errorf("saga: encode %s event: %w", kind, err)
	}
	return OutboxEvent{ID: e.ID(), Type: typ, Event: raw}, nil
}

// withEvent returns events with ev added, replacing one with the same id
// (a stuck saga that is resumed and sticks again).
func withEvent(evs []OutboxEvent, ev OutboxEvent) []OutboxEvent {
	out := make([]OutboxEvent, 0, len(evs)+1)
	for _, e := range evs {
		if e.ID != ev.ID {
			out = append(out, e)
		}
	}
	return append(out, ev)
}

// begin records a new saga, or answers how the saga with this id went.
func (l *sagaLog) begin(ctx context.Context, t Task) (BeginResult, error) {
	hash, err := InputHash(t.Input)
	if err != nil {
		return BeginResult{}, err
	}
	for range maxRaces {
		cur, v, err := l.get(ctx, t.SagaID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			ev, err := l.sagaEvent(ctx, t, events.TypeSagaStarted, "started")
			if err != nil {
				return BeginResult{}, err
			}
			now := l.now().UTC()
			rec := SagaRecord{SagaID: t.SagaID, Saga: t.Saga, State: SagaRunning, InputHash: hash, Events: []OutboxEvent{ev}, StartedAt: now}
			err = l.decide(ctx, &rec, store.Condition{IfAbsent: true}, ev)
			if errors.Is(err, store.ErrConditionFailed) {
				continue // another execution began it first: look again
			}
			if err != nil {
				return BeginResult{}, err
			}
			return BeginResult{Decision: DecisionRun}, nil
		case err != nil:
			return BeginResult{}, Transient(err)
		}
		if cur.InputHash != hash {
			cur.Conflicts++
			cur.LastConflictHash = hash
			if err := l.put(ctx, &cur, store.Condition{IfVersion: v}); errors.Is(err, store.ErrConditionFailed) {
				continue
			} else if err != nil {
				return BeginResult{}, Transient(fmt.Errorf("saga: record conflict: %w", err))
			}
			return BeginResult{}, errConflict(t.SagaID, cur, hash)
		}
		switch cur.State {
		case SagaCompleted:
			return BeginResult{Decision: DecisionCompleted, Output: cur.Output}, nil
		case SagaCompensated:
			return BeginResult{Decision: DecisionCompensated, Error: cur.Error, Cause: cur.Cause}, nil
		}
		return BeginResult{Decision: DecisionRun}, nil
	}
	return BeginResult{}, Transient(errRaced)
}

// end records how the saga ended, with its saga-level event.
func (l *sagaLog) end(ctx context.Context, t Task) error {
	hash, err := InputHash(t.Input)
	if err != nil {
		return err
	}
	o := t.Outcome
	typ := map[string]string{SagaCompleted: events.TypeSagaCompleted, SagaCompensated: events.TypeSagaCompensated, SagaStuck: events.TypeSagaStuck}[o.State]
	ev, err := l.sagaEvent(ctx, t, typ, o.State)
	if err != nil {
		return err
	}
	for range maxRaces {
		cur, v, err := l.get(ctx, t.SagaID)
		cond := store.Condition{IfVersion: v}
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Begun by a definition without a begin phase: record it now.
			cur = SagaRecord{SagaID: t.SagaID, Saga: t.Saga, InputHash: hash, StartedAt: l.now().UTC()}
			cond = store.Condition{IfAbsent: true}
		case err != nil:
			return Transient(err)
		case cur.InputHash != hash:
			return errConflict(t.SagaID, cur, hash)
		case cur.State == o.State || cur.State == SagaCompleted || cur.State == SagaCompensated:
			// A duplicate end, or an end after the saga had already ended
			// for good: the first ending stands (its event is in the
			// outbox already).
			return nil
		}
		cur.State, cur.Output, cur.Error, cur.Cause = o.State, o.Output, o.Error, o.Cause
		cur.Events = withEvent(cur.Events, ev)
		err = l.decide(ctx, &cur, cond, ev)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return err
	}
	return Transient(errRaced)
}

// decide writes the saga record that accepts ev, then publishes ev:
//
//  1. an outbox marker for ev (its shard of the outbox partition) is put
//     first, so that a crash after step 2 leaves it for the Relay;
//  2. the saga record, holding ev, is put under cond: this one conditional
//     write decides the saga's state and accepts the event together;
//  3. ev is published and its marker deleted. A failed publish leaves the
//     marker: the Relay publishes ev later, from the record.
//
// A lost race (cond fails) is returned as store.ErrConditionFailed; its
// marker stays until the Relay finds no such event in the record.
func (l *sagaLog) decide(ctx context.Context, rec *SagaRecord, cond store.Condition, ev OutboxEvent) error {
	if l.bus != nil {
		if err := putMarker(ctx, l.store, rec.SagaID, ev.ID, l.now()); err != nil {
			return Transient(fmt.Errorf("saga: outbox marker: %w", err))
		}
	}
	if err := l.put(ctx, rec, cond); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return err
		}
		return Transient(fmt.Errorf("saga: saga record: %w", err))
	}
	if l.bus == nil {
		return nil
	}
	// The event is accepted: a failure from here on is the Relay's to fix,
	// not the saga's.
	if err := publishOutboxEvent(ctx, l.bus, ev); err != nil {
		l.logger.WarnContext(ctx, "saga: saga event not published yet; the outbox relay will publish it", "sagaId", rec.SagaID, "event", ev.ID, "error", err)
		return nil
	}
	if err := deleteMarker(ctx, l.store, rec.SagaID, ev.ID); err != nil {
		l.logger.WarnContext(ctx, "saga: outbox marker not deleted; the relay will publish the event again (same id)", "sagaId", rec.SagaID, "event", ev.ID, "error", err)
	}
	return nil
}

// publishOutboxEvent publishes one stored event and returns the bus's
// refusal.
func publishOutboxEvent(ctx context.Context, b bus.Publisher, ev OutboxEvent) error {
	var e cloudevents.Event
	if err := json.Unmarshal(ev.Event, &e); err != nil {
		return fmt.Errorf("saga: outbox event %s: %w", ev.ID, err)
	}
	res, err := b.Publish(ctx, []cloudevents.Event{e})
	if err == nil && len(res) != 1 {
		err = fmt.Errorf("the bus answered %d results for 1 event", len(res))
	}
	if err == nil {
		err = res[0]
	}
	return err
}
