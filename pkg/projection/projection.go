// Package projection maintains CQRS read models: a Projection folds events
// into query items in the store, live from the event store's global feed
// with its own checkpoint, and can be rebuilt from scratch, or as of a past
// instant (the time-travel view), from any Source: the event store's feed
// or an archive.
//
// # Generations
//
// A projection's items live in a generation, a namespace of the store
// (partitions proj#<name>#<generation>#...). Readers read the active one,
// named by the projection's meta item (proj-meta/<name>). A rebuild writes
// a new generation from the source's first event, records its checkpoint,
// and only then makes it active with one conditional write, so queries
// never see a half-built model; the live projector then continues from
// the new generation's checkpoint. An as-of rebuild writes a generation
// named asof-<instant> and leaves the active one alone.
//
// The generation a rebuild replaces becomes the previous one (Meta.Previous,
// newest first). After each switch the projector deletes the superseded
// generations beyond Config.Keep that were superseded longer than
// Config.Grace ago (Cleanup): a reader that read the meta before the
// switch still finds its whole generation, and Rollback can switch back to
// the previous one. Deletion goes in bounded batches and is resumable: a
// generation is first listed in Meta.Deleting, then its items are deleted
// partition by partition, as listed in the generation's partition registry
// (proj-parts#<name>#<generation>, written before the items), then its
// checkpoint; a Cleanup interrupted anywhere is finished by the next one.
// As-of views and generations a failed rebuild left are not deleted.
//
// # Exactly once
//
// Live, events are applied in feed order, a few at a time: the items they
// change and the generation's checkpoint (an event store checkpoint named
// projection/<name>/<generation>) are written in one store transaction
// conditional on the checkpoint, so each event changes the model exactly
// once, whatever redeliveries or concurrent instances do. An instance that
// loses the race to another gets eventstore.ErrCheckpointMoved and reads
// again. Apply must be deterministic (it sees only the model and the
// event), which is what makes a rebuild equal to the live model.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Projection is one read model.
type Projection interface {
	// Name names the projection (letters, digits, '-', '_').
	Name() string
	// Apply folds one event into the model through v. Events the
	// projection does not use are ignored (nil). An error stops the
	// projector at this event: it is retried, so only a transient error
	// should be returned.
	Apply(ctx context.Context, v *View, r eventstore.Record) error
}

// Source is where a rebuild reads events from, oldest first: the event
// store's feed (FeedSource), or an archive of the bus. Positions only need
// to grow; a rebuild's checkpoint is the last position it applied, so a
// rebuild that is to be continued live must read the event store's feed.
type Source interface {
	// Scan calls fn with the events after position after, in order, a
	// batch at a time, until the end or fn returns false or an error.
	Scan(ctx context.Context, after int64, fn func([]eventstore.Record) (bool, error)) error
}

// FeedSource reads the event store's global feed.
type FeedSource struct{ Events *eventstore.EventStore }

// Scan implements Source.
func (f FeedSource) Scan(ctx context.Context, after int64, fn func([]eventstore.Record) (bool, error)) error {
	return f.Events.ScanFeed(ctx, after, fn)
}

// ErrInvalid: a bad projection name, generation or request.
var ErrInvalid = errors.New("projection: invalid input")

// ValidateName reports whether name can name a projection.
func ValidateName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: name %q: want 1 to 64 characters", ErrInvalid, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%w: name %q: only letters, digits, '-' and '_'", ErrInvalid, name)
		}
	}
	return nil
}

const metaPartition = "proj-meta"

// Meta is a projection's state: its active generation and the history
// of its rebuilds.
type Meta struct {
	Name string `json:"name"`
	// Active is the generation readers read ("g1" before any rebuild).
	Active string `json:"active"`
	// Next numbers the next rebuild's generation.
	Next int `json:"next"`
	// RebuiltAt is when Active was made active by a rebuild (or a
	// rollback).
	RebuiltAt time.Time `json:"rebuiltAt,omitzero"`
	// Previous are the generations that were active before Active, the
	// most recent first, kept until Cleanup deletes them.
	Previous []Superseded `json:"previous,omitempty"`
	// Deleting are generations Cleanup has begun to delete.
	Deleting []string `json:"deleting,omitempty"`
	version  int64
}

// Superseded is a generation that is no longer active.
type Superseded struct {
	Generation string `json:"generation"`
	// Since is when it stopped being active.
	Since time.Time `json:"since"`
}

// FirstGeneration is the generation of a projection never rebuilt.
const FirstGeneration = "g1"

// LoadMeta returns the projection's meta (generation FirstGeneration when
// it has none yet).
func LoadMeta(ctx context.Context, st store.Store, name string) (Meta, error) {
	if err := ValidateName(name); err != nil {
		return Meta{}, err
	}
	it, err := st.Get(ctx, store.Key{Partition: metaPartition, Sort: name})
	if errors.Is(err, store.ErrNotFound) {
		return Meta{Name: name, Active: FirstGeneration, Next: 2}, nil
	}
	if err != nil {
		return Meta{}, fmt.Errorf("projection %s: read meta: %w", name, err)
	}
	var m Meta
	if err := json.Unmarshal(it.Value, &m); err != nil {
		return Meta{}, fmt.Errorf("projection %s: corrupt meta: %w", name, err)
	}
	m.version = it.Version
	return m, nil
}

func saveMeta(ctx context.Context, st store.Store, m Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	cond := store.Condition{IfVersion: m.version}
	if m.version == 0 {
		cond = store.Condition{IfAbsent: true}
	}
	_, err = st.Put(ctx, store.Item{Key: store.Key{Partition: metaPartition, Sort: m.Name}, Value: b}, cond)
	return err
}

// CheckpointName is the event store checkpoint of a generation.
func CheckpointName(name, generation string) string {
	return "projection/" + name + "/" + generation
}

// namespace is the partition prefix of a generation's items.
func namespace(name, generation string) string {
	return "proj#" + name + "#" + generation + "#"
}

// Reader reads one generation of a projection's items.
type Reader struct {
	st store.Store
	ns string
	// Generation is the generation read.
	Generation string
}

// NewReader reads the active generation of the named projection (the
// meta is read once: build a Reader per request).
func NewReader(ctx context.Context, st store.Store, name string) (*Reader, error) {
	m, err := LoadMeta(ctx, st, name)
	if err != nil {
		return nil, err
	}
	return GenerationReader(st, name, m.Active), nil
}

// GenerationReader reads one given generation (an as-of view, say).
func GenerationReader(st store.Store, name, generation string) *Reader {
	return &Reader{st: st, ns: namespace(name, generation), Generation: generation}
}

// Get returns the item at key in the generation, or store.ErrNotFound.
func (r *Reader) Get(ctx context.Context, key store.Key) ([]byte, error) {
	it, err := r.st.Get(ctx, store.Key{Partition: r.ns + key.Partition, Sort: key.Sort})
	if err != nil {
		return nil, err
	}
	return it.Value, nil
}

// Query returns the items of a partition of the generation whose sort
// keys start with prefix, in sort order (limit <= 0: all).
func (r *Reader) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	items, err := r.st.Query(ctx, r.ns+partition, prefix, limit)
	for i := range items {
		items[i].Key.Partition = strings.TrimPrefix(items[i].Key.Partition, r.ns)
	}
	return items, err
}

// Deduplicated wraps a source whose events may repeat (an archive of the
// bus keeps each delivery it saw): a record whose ID was seen before in
// the scan is dropped, as the event store drops it at append. Records
// without an ID pass. It remembers a 128-bit hash of every ID of one scan
// (about 40 bytes of memory per distinct event, whatever the IDs' length;
// a collision, which would drop an event, is about as likely as 2^-128
// per pair).
func Deduplicated(src Source) Source { return dedupSource{src} }

type dedupSource struct{ src Source }

func (d dedupSource) Scan(ctx context.Context, after int64, fn func([]eventstore.Record) (bool, error)) error {
	seen := map[[16]byte]struct{}{}
	h := fnv.New128a()
	var sum [16]byte
	return d.src.Scan(ctx, after, func(recs []eventstore.Record) (bool, error) {
		out := recs[:0:0]
		for _, r := range recs {
			if r.ID != "" {
				h.Reset()
				io.WriteString(h, r.ID)
				h.Sum(sum[:0])
				if _, dup := seen[sum]; dup {
					continue
				}
				seen[sum] = struct{}{}
			}
			out = append(out, r)
		}
		if len(out) == 0 {
			return true, nil
		}
		return fn(out)
	})
}

// SliceSource is a Source over records held in memory (tests, or events
// an archive query returned), positions as they are.
type SliceSource []eventstore.Record

// Scan implements Source.
func (s SliceSource) Scan(_ context.Context, after int64, fn func([]eventstore.Record) (bool, error)) error {
	var out []eventstore.Record
	for _, r := range s {
		if r.Position > after {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	_, err := fn(out)
	return err
}

// QueryAfter is Query starting strictly after the sort key after (keyset
// pagination; see store.QueryAfter): on a store.Seeker it reads nothing
// before after.
func (r *Reader) QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]store.Item, error) {
	items, err := store.QueryAfter(ctx, r.st, r.ns+partition, prefix, after, limit)
	for i := range items {
		items[i].Key.Partition = strings.TrimPrefix(items[i].Key.Partition, r.ns)
	}
	return items, err
}
