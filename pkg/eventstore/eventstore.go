// Package eventstore keeps event-sourced aggregates on the store port
// (pkg/store): one append-only stream of events per aggregate id, appended
// with optimistic concurrency, snapshots every N events, reads from a
// version, and one global feed that orders every event of every stream,
// with named checkpoints for its subscribers.
//
// # Guarantees
//
// An append is one store transaction (one TransactWriteItems on DynamoDB,
// one bbolt transaction on the embedded store): the stream's events, their
// feed entries, the stream's head, the feed's sequence item and (when
// asked) a snapshot are all written or none is.
//
// Optimistic concurrency: an append names the version it expects the
// stream to have. The transaction checks that the event at that version
// exists and the one after it does not, so of two writers appending at the
// same expected version exactly one wins and the other gets a
// *ConflictError (errors.Is(err, ErrConflict); its ErrorName is
// EventStore.Conflict). Nothing is read before the write to decide this.
//
// Global positions: the feed's sequence item (es-meta/seq) holds the last
// position given out. Every append reads it and writes it back, conditional
// on the version it read, in the same transaction as its events, which get
// the positions after it. Appends therefore commit one after another in
// position order: the feed has no gaps, and once position p is visible
// every position before it is too, so a subscriber that has read up to p
// never later finds an event below p. Two appenders that race on the
// sequence item (not on the same stream) are not in conflict: the loser
// reads the item again and retries, within Config.MaxRetries.
//
// Layout (keys of the store; Config.PageSize events per partition, so no
// partition grows without bound):
//
//	es#<stream>#<page>  / <version, 16 digits>   a stream's events
//	es#<stream>         / head                   the stream's version
//	es#<stream>         / snapshot               the latest snapshot
//	es-feed#<page>      / <position, 16 digits>  the global feed
//	es-meta             / seq                    the last position
//	es-id#<event id>    / id                     an event id already appended
//	es-checkpoint       / <name>                 a subscriber's checkpoint
//
// Events are stored in a compact binary record (record.go), twice: in their
// stream and in the feed, so both read with one query per page.
//
// An EventStore is safe for concurrent use; its state is all in the store,
// so any number of processes (Lambda instances) may share one.
package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Error names, for ASL Catch and problem bodies.
const (
	// ErrNameConflict: the stream was not at the expected version: another
	// writer appended first. Load the stream again and retry the command.
	ErrNameConflict = "EventStore.Conflict"
	// ErrNameDuplicate: an event with this id was appended before.
	ErrNameDuplicate = "EventStore.Duplicate"
	// ErrNameInvalid: a bad stream id, event or version (a caller bug).
	ErrNameInvalid = "EventStore.InvalidInput"
)

// Sentinel errors; the typed errors below wrap them.
var (
	ErrConflict  = errors.New(ErrNameConflict)
	ErrDuplicate = errors.New(ErrNameDuplicate)
	ErrInvalid   = errors.New(ErrNameInvalid)
	// ErrContention: the sequence item kept changing under this appender
	// for more than MaxRetries attempts. Transient.
	ErrContention = errors.New("eventstore: global sequence contention, retries exhausted")
)

// ConflictError is the error of an append whose stream was not at the
// expected version.
type ConflictError struct {
	Stream   string
	Expected int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: stream %q is not at version %d (another writer appended first)", ErrNameConflict, e.Stream, e.Expected)
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ErrorName is the name an ASL Catch matches (faas.ErrorName).
func (e *ConflictError) ErrorName() string { return ErrNameConflict }

// DuplicateError is the error of an append carrying an event id that was
// appended before: nothing of the append was written.
type DuplicateError struct{ IDs []string }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s: event ids %v were appended before", ErrNameDuplicate, e.IDs)
}

// Unwrap makes errors.Is(err, ErrDuplicate) hold.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// ErrorName is the name an ASL Catch matches.
func (e *DuplicateError) ErrorName() string { return ErrNameDuplicate }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Limits.
const (
	// DefaultPageSize is how many events of a stream, or positions of the
	// feed, share one store partition unless Config.PageSize says
	// otherwise.
	DefaultPageSize = 1000
	// MaxAppend is the most events one Append takes: an append is one store
	// transaction (at most store.MaxTransactOps ops) of two items per event,
	// a dedup marker per event id, and the sequence, head, check and
	// snapshot items.
	MaxAppend = 32
	// MaxStreamID is the longest stream id, in bytes.
	MaxStreamID = 512
	// Any is the expected version of an append that takes the stream as it
	// is (it still appends after the current last event, atomically).
	Any int64 = -1
)

// Event is what a caller appends.
type Event struct {
	// Type names the event (a CloudEvents type, say). Required.
	Type string
	// Data is the event's JSON payload; nil means none.
	Data json.RawMessage
	// ID, when set, is unique across the store: an append carrying an id
	// that was appended before fails with a *DuplicateError and writes
	// nothing, so redelivered events are appended once.
	ID string
	// Time is when the event happened; zero means when it is recorded.
	Time time.Time
}

// Record is a stored event.
type Record struct {
	Stream   string          `json:"s"`
	Version  int64           `json:"v"`
	Position int64           `json:"p"`
	Type     string          `json:"t"`
	ID       string          `json:"id,omitempty"`
	Time     time.Time       `json:"at"`
	Recorded time.Time       `json:"rec"`
	Data     json.RawMessage `json:"d,omitempty"`
}

// Snapshot is an aggregate's state at a version.
type Snapshot struct {
	Version int64           `json:"v"`
	State   json.RawMessage `json:"state"`
}

// Config configures an EventStore.
type Config struct {
	// Store holds everything. Required.
	Store store.Store
	// Now stamps Record.Recorded (and Time when the event has none). Nil
	// means time.Now.
	Now func() time.Time
	// MaxRetries bounds how often an append retries after losing the race
	// for the sequence item to an append on another stream. Zero means 64.
	MaxRetries int
	// PageSize is how many events of a stream, or positions of the feed,
	// share one store partition. Zero means DefaultPageSize. It is part of
	// the layout: every EventStore on one store must use the same, for
	// good (tests use small pages to cross page boundaries cheaply).
	PageSize int
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("eventstore: Store is required"))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("eventstore: MaxRetries %d is negative", c.MaxRetries))
	}
	if c.PageSize < 0 {
		errs = append(errs, fmt.Errorf("eventstore: PageSize %d is negative", c.PageSize))
	}
	return errors.Join(errs...)
}

// EventStore appends and reads event streams.
type EventStore struct {
	st       store.Store
	now      func() time.Time
	retries  int
	pageSize int64
}

// New returns an EventStore over cfg.Store.
func New(cfg Config) (*EventStore, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	es := &EventStore{st: cfg.Store, now: cfg.Now, retries: cfg.MaxRetries}
	if es.now == nil {
		es.now = time.Now
	}
	if es.retries == 0 {
		es.retries = 64
	}
	es.pageSize = int64(cfg.PageSize)
	if es.pageSize == 0 {
		es.pageSize = DefaultPageSize
	}
	return es, nil
}

// Store returns the store the EventStore writes to.
func (es *EventStore) Store() store.Store { return es.st }

// Keys of the layout.
var (
	seqKey = store.Key{Partition: "es-meta", Sort: "seq"}
)

const checkpointPartition = "es-checkpoint"

func (es *EventStore) page(n int64) int64 { return (n - 1) / es.pageSize }

func num(n int64) string { return fmt.Sprintf("%016d", n) }

func (es *EventStore) streamKey(stream string, version int64) store.Key {
	return store.Key{Partition: "es#" + stream + "#" + strconv.FormatInt(es.page(version), 10), Sort: num(version)}
}

func headKey(stream string) store.Key { return store.Key{Partition: "es#" + stream, Sort: "head"} }

func snapshotKey(stream string) store.Key {
	return store.Key{Partition: "es#" + stream, Sort: "snapshot"}
}

func (es *EventStore) feedKey(position int64) store.Key {
	return store.Key{Partition: "es-feed#" + strconv.FormatInt(es.page(position), 10), Sort: num(position)}
}

func idKey(id string) store.Key { return store.Key{Partition: "es-id#" + id, Sort: "id"} }

// ValidateStream reports whether id can name a stream: not empty, at most
// MaxStreamID bytes, no '#' (the layout's separator) and no control
// characters.
func ValidateStream(id string) error {
	switch {
	case id == "":
		return invalid("stream: empty id")
	case len(id) > MaxStreamID:
		return invalid("stream: id of %d bytes, at most %d", len(id), MaxStreamID)
	case strings.ContainsRune(id, '#'):
		return invalid("stream: id %q contains '#'", id)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return invalid("stream: id %q contains a control character", id)
		}
	}
	return nil
}

// AppendRequest is one atomic append.
type AppendRequest struct {
	Stream string
	// Expected is the version the stream must have (0: it must not exist),
	// or Any.
	Expected int64
	Events   []Event
	// Snapshot, when set, is written with the events (its Version must be
	// the stream's new version); Aggregate sets it every N events.
	Snapshot *Snapshot
}

// Result says where an append's events landed.
type Result struct {
	// Version is the stream's version after the append.
	Version int64
	// First and Last are the feed positions of the append's first and
	// last events (the ones between are in order).
	First, Last int64
}

func (r AppendRequest) validate() error {
	if err := ValidateStream(r.Stream); err != nil {
		return err
	}
	var errs []error
	if r.Expected < Any {
		errs = append(errs, invalid("expected: version %d (want >= 0, or Any)", r.Expected))
	}
	switch n := len(r.Events); {
	case n == 0:
		errs = append(errs, invalid("events: none to append"))
	case n > MaxAppend:
		errs = append(errs, invalid("events: %d in one append, at most %d", n, MaxAppend))
	}
	seen := map[string]int{}
	for i, e := range r.Events {
		if e.Type == "" {
			errs = append(errs, invalid("events[%d].type: empty", i))
		}
		if len(e.Data) > 0 && !json.Valid(e.Data) {
			errs = append(errs, invalid("events[%d].data: not valid JSON", i))
		}
		if e.ID != "" {
			if j, dup := seen[e.ID]; dup {
				errs = append(errs, invalid("events[%d].id: %q repeats events[%d].id", i, e.ID, j))
			}
			seen[e.ID] = i
		}
	}
	if r.Snapshot != nil && len(r.Snapshot.State) > 0 && !json.Valid(r.Snapshot.State) {
		errs = append(errs, invalid("snapshot.state: not valid JSON"))
	}
	return errors.Join(errs...)
}

// Append appends events to a stream at an expected version, as one store
// transaction. It returns a *ConflictError when the stream is not at
// req.Expected, a *DuplicateError when an event id was appended before,
// and ErrInvalid (wrapped) for a bad request.
func (es *EventStore) Append(ctx context.Context, req AppendRequest) (Result, error) {
	res, err := es.AppendBatch(ctx, []AppendRequest{req})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// AppendBatch appends to several streams (each at most once) in one store
// transaction: all of them or none. Positions are given in the order of
// reqs. The errors are Append's; a *ConflictError names the first stream
// not at its expected version, a *DuplicateError every id appended
// before. The transaction holds store.MaxTransactOps ops: each request
// takes two per event, one per event id, and one to three more.
func (es *EventStore) AppendBatch(ctx context.Context, reqs []AppendRequest) ([]Result, error) {
	if len(reqs) == 0 {
		return nil, invalid("requests: none")
	}
	streams := map[string]int{}
	var errs []error
	n := 1
	for i, req := range reqs {
		if err := req.validate(); err != nil {
			errs = append(errs, fmt.Errorf("request %d: %w", i, err))
		}
		if j, dup := streams[req.Stream]; dup {
			errs = append(errs, invalid("requests %d and %d both append to stream %q", j, i, req.Stream))
		}
		streams[req.Stream] = i
		n += 3 + 2*len(req.Events)
		for _, e := range req.Events {
			if e.ID != "" {
				n++
			}
		}
	}
	if n > store.MaxTransactOps {
		errs = append(errs, invalid("requests: %d store ops, one transaction holds %d", n, store.MaxTransactOps))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for attempt := 0; attempt <= es.retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		expected := make([]int64, len(reqs))
		for i, req := range reqs {
			expected[i] = req.Expected
			if req.Expected == Any {
				v, err := es.Version(ctx, req.Stream)
				if err != nil {
					return nil, err
				}
				expected[i] = v
			}
		}
		seq, err := es.st.Get(ctx, seqKey)
		var last int64
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("eventstore: read sequence: %w", err)
		default:
			if last, err = strconv.ParseInt(string(seq.Value), 10, 64); err != nil {
				return nil, fmt.Errorf("eventstore: sequence item %q: %w", seq.Value, err)
			}
		}
		res, ops, idx, err := es.ops(reqs, expected, last, seq.Version)
		if err != nil {
			return nil, err
		}
		err = es.st.Transact(ctx, ops)
		if err == nil {
			return res, nil
		}
		var tx *store.TxError
		if !errors.As(err, &tx) {
			return nil, fmt.Errorf("eventstore: append: %w", err)
		}
		var dups []string
		conflict, retry := -1, false
		for _, i := range tx.Failed {
			if id, ok := idx.ids[i]; ok {
				dups = append(dups, id)
				continue
			}
			if r, ok := idx.stream[i]; ok {
				if reqs[r].Expected == Any {
					retry = true // the stream moved on: take its new version
				} else if conflict < 0 || r < conflict {
					conflict = r
				}
				continue
			}
			// The sequence item, or a feed entry whose position was taken:
			// another stream's append took the next positions.
			retry = true
		}
		switch {
		case len(dups) > 0:
			return nil, &DuplicateError{IDs: dups}
		case conflict >= 0:
			return nil, &ConflictError{Stream: reqs[conflict].Stream, Expected: reqs[conflict].Expected}
		case retry:
			continue
		}
		return nil, fmt.Errorf("eventstore: append: %w", err)
	}
	return nil, fmt.Errorf("%w (%d attempts)", ErrContention, es.retries+1)
}

// opIndex says which ops of an append's transaction are which.
type opIndex struct {
	// ids maps a dedup marker's op to its event id.
	ids map[int]string
	// stream maps the ops that check a stream's version to the request.
	stream map[int]int
}

func (es *EventStore) ops(reqs []AppendRequest, expected []int64, last, seqVersion int64) ([]Result, []store.Op, opIndex, error) {
	now := es.now().UTC()
	idx := opIndex{ids: map[int]string{}, stream: map[int]int{}}
	out := make([]Result, len(reqs))
	ops := make([]store.Op, 1, store.MaxTransactOps)
	pos := last
	for r, req := range reqs {
		n := int64(len(req.Events))
		res := Result{Version: expected[r] + n, First: pos + 1, Last: pos + n}
		out[r] = res
		if expected[r] > 0 {
			idx.stream[len(ops)] = r
			ops = append(ops, store.Op{Kind: store.OpCheck, Item: store.Item{Key: es.streamKey(req.Stream, expected[r])}, Cond: store.Condition{IfVersion: 1}})
		}
		for i, e := range req.Events {
			at := e.Time
			if at.IsZero() {
				at = now
			}
			pos++
			rec := Record{Stream: req.Stream, Version: expected[r] + 1 + int64(i), Position: pos, Type: e.Type, ID: e.ID,
				Time: at.UTC(), Recorded: now, Data: e.Data}
			b := encodeRecord(rec)
			idx.stream[len(ops)] = r
			ops = append(ops,
				store.Op{Kind: store.OpPut, Item: store.Item{Key: es.streamKey(req.Stream, rec.Version), Value: b}, Cond: store.Condition{IfAbsent: true}},
				store.Op{Kind: store.OpPut, Item: store.Item{Key: es.feedKey(rec.Position), Value: b}, Cond: store.Condition{IfAbsent: true}})
			if e.ID != "" {
				idx.ids[len(ops)] = e.ID
				ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: idKey(e.ID), Value: []byte(req.Stream)}, Cond: store.Condition{IfAbsent: true}})
			}
		}
		ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: headKey(req.Stream), Value: []byte(strconv.FormatInt(res.Version, 10))}})
		if req.Snapshot != nil {
			if req.Snapshot.Version != res.Version {
				return nil, nil, idx, invalid("snapshot.version: %d, but the append takes stream %s to %d", req.Snapshot.Version, req.Stream, res.Version)
			}
			b, err := json.Marshal(req.Snapshot)
			if err != nil {
				return nil, nil, idx, fmt.Errorf("eventstore: encode snapshot: %w", err)
			}
			ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: snapshotKey(req.Stream), Value: b}})
		}
	}
	seqCond := store.Condition{IfVersion: seqVersion}
	if seqVersion == 0 {
		seqCond = store.Condition{IfAbsent: true}
	}
	ops[0] = store.Op{Kind: store.OpPut, Item: store.Item{Key: seqKey, Value: []byte(strconv.FormatInt(pos, 10))}, Cond: seqCond}
	return out, ops, idx, nil
}

// Version returns the stream's current version (0 when it has no events).
func (es *EventStore) Version(ctx context.Context, stream string) (int64, error) {
	if err := ValidateStream(stream); err != nil {
		return 0, err
	}
	it, err := es.st.Get(ctx, headKey(stream))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("eventstore: read head of %s: %w", stream, err)
	}
	v, err := strconv.ParseInt(string(it.Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("eventstore: head of %s: %q: %w", stream, it.Value, err)
	}
	return v, nil
}

// ReadStream returns the stream's events from version from (1 is the
// first) on, at most max of them (max <= 0: all), in version order.
func (es *EventStore) ReadStream(ctx context.Context, stream string, from int64, max int) ([]Record, error) {
	if err := ValidateStream(stream); err != nil {
		return nil, err
	}
	if from < 1 {
		from = 1
	}
	var out []Record
	for p := es.page(from); ; p++ {
		items, err := es.st.Query(ctx, "es#"+stream+"#"+strconv.FormatInt(p, 10), "", 0)
		if err != nil {
			return nil, fmt.Errorf("eventstore: read %s: %w", stream, err)
		}
		for _, it := range items {
			if n, err := strconv.ParseInt(it.Key.Sort, 10, 64); err == nil && n < from {
				continue // before from: no need to decode it
			}
			r, err := decode(it)
			if err != nil {
				return nil, err
			}
			if r.Version < from {
				continue
			}
			out = append(out, r)
			if max > 0 && len(out) == max {
				return out, nil
			}
		}
		if int64(len(items)) < es.pageSize {
			return out, nil
		}
	}
}

// ReadFeed returns the events of every stream after position after, in
// position order, at most max of them (max <= 0: all).
func (es *EventStore) ReadFeed(ctx context.Context, after int64, max int) ([]Record, error) {
	var out []Record
	err := es.ScanFeed(ctx, after, func(page []Record) (bool, error) {
		for _, r := range page {
			out = append(out, r)
			if max > 0 && len(out) == max {
				return false, nil
			}
		}
		return true, nil
	})
	return out, err
}

// ScanFeed calls fn with the feed's events after position after, one
// store page at a time in position order, until the end of the feed or fn
// returns false or an error. The slice is fn's to keep.
func (es *EventStore) ScanFeed(ctx context.Context, after int64, fn func([]Record) (bool, error)) error {
	if after < 0 {
		return invalid("after: position %d is negative", after)
	}
	for p := es.page(after + 1); ; p++ {
		items, err := es.st.Query(ctx, "es-feed#"+strconv.FormatInt(p, 10), "", 0)
		if err != nil {
			return fmt.Errorf("eventstore: read feed page %d: %w", p, err)
		}
		recs := make([]Record, 0, len(items))
		for _, it := range items {
			if n, err := strconv.ParseInt(it.Key.Sort, 10, 64); err == nil && n <= after {
				continue
			}
			r, err := decode(it)
			if err != nil {
				return err
			}
			if r.Position > after {
				recs = append(recs, r)
			}
		}
		if len(recs) > 0 {
			more, err := fn(recs)
			if err != nil || !more {
				return err
			}
		}
		if int64(len(items)) < es.pageSize {
			return nil
		}
	}
}

// Head returns the last position of the feed (0 when empty).
func (es *EventStore) Head(ctx context.Context) (int64, error) {
	it, err := es.st.Get(ctx, seqKey)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("eventstore: read sequence: %w", err)
	}
	return strconv.ParseInt(string(it.Value), 10, 64)
}

// LoadSnapshot returns the stream's latest snapshot, or ok false.
func (es *EventStore) LoadSnapshot(ctx context.Context, stream string) (Snapshot, bool, error) {
	if err := ValidateStream(stream); err != nil {
		return Snapshot{}, false, err
	}
	it, err := es.st.Get(ctx, snapshotKey(stream))
	if errors.Is(err, store.ErrNotFound) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("eventstore: read snapshot of %s: %w", stream, err)
	}
	var s Snapshot
	if err := json.Unmarshal(it.Value, &s); err != nil {
		return Snapshot{}, false, fmt.Errorf("eventstore: corrupt snapshot of %s: %w", stream, err)
	}
	return s, true, nil
}
