package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Aggregate loads and changes one kind of event-sourced aggregate whose
// state is S (a JSON-encodable value): its state is the fold of Apply over
// its stream, starting from the latest snapshot when there is one.
type Aggregate[S any] struct {
	// Events is the event store. Required.
	Events *EventStore
	// Initial returns the state of an aggregate with no events. Nil means
	// S's zero value.
	Initial func() S
	// Apply folds one event into the state. Required. It must be
	// deterministic: a snapshot is the fold's result.
	Apply func(S, Record) (S, error)
	// SnapshotEvery writes a snapshot with the append that takes the
	// stream to (or past) a multiple of it. Zero means no snapshots.
	SnapshotEvery int64
}

func (a Aggregate[S]) initial() S {
	if a.Initial != nil {
		return a.Initial()
	}
	var s S
	return s
}

// Load returns the aggregate's state and version: the latest snapshot,
// then every event after it.
func (a Aggregate[S]) Load(ctx context.Context, stream string) (S, int64, error) {
	if a.Events == nil || a.Apply == nil {
		return a.initial(), 0, errors.New("eventstore: Aggregate needs Events and Apply")
	}
	state := a.initial()
	var version int64
	snap, ok, err := a.Events.LoadSnapshot(ctx, stream)
	if err != nil {
		return state, 0, err
	}
	if ok {
		if err := json.Unmarshal(snap.State, &state); err != nil {
			return a.initial(), 0, fmt.Errorf("eventstore: snapshot of %s at %d: %w", stream, snap.Version, err)
		}
		version = snap.Version
	}
	recs, err := a.Events.ReadStream(ctx, stream, version+1, 0)
	if err != nil {
		return state, 0, err
	}
	for _, r := range recs {
		if state, err = a.Apply(state, r); err != nil {
			return state, 0, fmt.Errorf("eventstore: apply %s v%d: %w", stream, r.Version, err)
		}
		version = r.Version
	}
	return state, version, nil
}

// Execute runs a command: it loads the aggregate, asks decide for the
// events the command produces from its state, and appends them at the
// loaded version, with a snapshot when SnapshotEvery says so. It returns a
// *ConflictError when another writer appended in between (load and decide
// again to retry), and decide's error as is. No events is not an error and
// writes nothing (Result.Version is the current version).
func (a Aggregate[S]) Execute(ctx context.Context, stream string, decide func(S) ([]Event, error)) (Result, error) {
	state, version, err := a.Load(ctx, stream)
	if err != nil {
		return Result{}, err
	}
	evs, err := decide(state)
	if err != nil {
		return Result{}, err
	}
	if len(evs) == 0 {
		return Result{Version: version}, nil
	}
	req := AppendRequest{Stream: stream, Expected: version, Events: evs}
	next := version + int64(len(evs))
	if a.SnapshotEvery > 0 && next/a.SnapshotEvery > version/a.SnapshotEvery {
		now := a.Events.now().UTC()
		for i, e := range evs {
			at := e.Time
			if at.IsZero() {
				at = now
			}
			r := Record{Stream: stream, Version: version + 1 + int64(i), Type: e.Type, ID: e.ID, Time: at.UTC(), Recorded: now, Data: e.Data}
			if state, err = a.Apply(state, r); err != nil {
				return Result{}, fmt.Errorf("eventstore: apply new event %d: %w", i, err)
			}
		}
		b, err := json.Marshal(state)
		if err != nil {
			return Result{}, fmt.Errorf("eventstore: encode snapshot of %s: %w", stream, err)
		}
		req.Snapshot = &Snapshot{Version: next, State: b}
	}
	return a.Events.Append(ctx, req)
}

// Checkpoint is a subscriber's place in the feed.
type Checkpoint struct {
	Name string
	// Position is the last feed position the subscriber has handled.
	Position int64
	// version is the checkpoint item's store version, for the conditional
	// write that advances it.
	version int64
}

// ErrCheckpointMoved: another instance of the subscriber advanced the
// checkpoint since it was read. Transient: read it again.
var ErrCheckpointMoved = errors.New("eventstore: checkpoint moved by another instance")

func checkpointKey(name string) store.Key {
	return store.Key{Partition: checkpointPartition, Sort: name}
}

// LoadCheckpoint returns the named subscriber's checkpoint (position 0
// when it has none).
func (es *EventStore) LoadCheckpoint(ctx context.Context, name string) (Checkpoint, error) {
	if name == "" {
		return Checkpoint{}, invalid("checkpoint: empty name")
	}
	it, err := es.st.Get(ctx, checkpointKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return Checkpoint{Name: name}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("eventstore: read checkpoint %s: %w", name, err)
	}
	p, err := strconv.ParseInt(string(it.Value), 10, 64)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("eventstore: checkpoint %s: %q: %w", name, it.Value, err)
	}
	return Checkpoint{Name: name, Position: p, version: it.Version}, nil
}

// CheckpointOp is the store op that advances cp to position, conditional
// on cp being what is stored: put it in the same transaction as the
// subscriber's own writes to handle each event exactly once.
func CheckpointOp(cp Checkpoint, position int64) store.Op {
	cond := store.Condition{IfVersion: cp.version}
	if cp.version == 0 {
		cond = store.Condition{IfAbsent: true}
	}
	return store.Op{Kind: store.OpPut, Item: store.Item{Key: checkpointKey(cp.Name), Value: []byte(strconv.FormatInt(position, 10))}, Cond: cond}
}

// Advanced returns cp after CheckpointOp(cp, position) was applied.
func (cp Checkpoint) Advanced(position int64) Checkpoint {
	return Checkpoint{Name: cp.Name, Position: position, version: cp.version + 1}
}

// SaveCheckpoint advances cp to position and returns the new checkpoint,
// or ErrCheckpointMoved.
func (es *EventStore) SaveCheckpoint(ctx context.Context, cp Checkpoint, position int64) (Checkpoint, error) {
	err := es.st.Transact(ctx, []store.Op{CheckpointOp(cp, position)})
	if errors.Is(err, store.ErrConditionFailed) {
		return cp, fmt.Errorf("%w: %s", ErrCheckpointMoved, cp.Name)
	}
	if err != nil {
		return cp, fmt.Errorf("eventstore: save checkpoint %s: %w", cp.Name, err)
	}
	return cp.Advanced(position), nil
}

// Checkpoints lists every subscriber's checkpoint, by name.
func (es *EventStore) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	items, err := es.st.Query(ctx, checkpointPartition, "", 0)
	if err != nil {
		return nil, fmt.Errorf("eventstore: list checkpoints: %w", err)
	}
	out := make([]Checkpoint, 0, len(items))
	for _, it := range items {
		p, err := strconv.ParseInt(string(it.Value), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("eventstore: checkpoint %s: %q: %w", it.Key.Sort, it.Value, err)
		}
		out = append(out, Checkpoint{Name: it.Key.Sort, Position: p, version: it.Version})
	}
	return out, nil
}

// Poll hands the named subscriber the feed's events after its checkpoint,
// at most max (max <= 0: up to the end of the feed), then advances the
// checkpoint past them. Delivery is at least once: when handle fails the
// checkpoint stays and the events come again; when another instance moved
// the checkpoint in between, Poll returns ErrCheckpointMoved after handle
// ran (the subscriber must be idempotent, or use CheckpointOp in its own
// transaction to handle each event exactly once). It returns how many
// events were handled.
func (es *EventStore) Poll(ctx context.Context, name string, max int, handle func(context.Context, []Record) error) (int, error) {
	cp, err := es.LoadCheckpoint(ctx, name)
	if err != nil {
		return 0, err
	}
	recs, err := es.ReadFeed(ctx, cp.Position, max)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	if err := handle(ctx, recs); err != nil {
		return 0, err
	}
	if _, err := es.SaveCheckpoint(ctx, cp, recs[len(recs)-1].Position); err != nil {
		return len(recs), err
	}
	return len(recs), nil
}

// DeleteCheckpoint removes the named subscriber's checkpoint (nothing when
// it has none): a subscriber that is gone for good, say a projection's
// deleted generation.
func (es *EventStore) DeleteCheckpoint(ctx context.Context, name string) error {
	if name == "" {
		return invalid("checkpoint: empty name")
	}
	if err := es.st.Delete(ctx, checkpointKey(name), store.Condition{}); err != nil {
		return fmt.Errorf("eventstore: delete checkpoint %s: %w", name, err)
	}
	return nil
}
