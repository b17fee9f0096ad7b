package slo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Error names of events the aggregator refuses. They are reported per event
// (batchItemFailures on SQS, so the queue's dead letters keep them), never
// dropped.
const (
	ErrNameEventTooOld    = "SLO.EventTooOld"
	ErrNameEventInFuture  = "SLO.EventInFuture"
	ErrNameInvalidEvent   = "SLO.InvalidEvent"
	ErrNameStoreFailed    = "SLO.StoreFailed"
	defaultMaxFuture      = 5 * time.Minute
	retentionMargin       = time.Hour
	calendarMonthMaxHours = 31 * 24
)

// EventError is the reason one event was not counted.
type EventError struct {
	Name    string
	Message string
	Err     error
}

func (e *EventError) Error() string { return e.Name + ": " + e.Message }

// ErrorName is the name ASL Catch and dead-letter reports see.
func (e *EventError) ErrorName() string { return e.Name }

// Unwrap returns the cause.
func (e *EventError) Unwrap() error { return e.Err }

// AggregatorConfig configures an Aggregator.
type AggregatorConfig struct {
	// Store keeps the buckets and the markers of counted events. Required.
	Store store.Store
	// SLOs are the objectives to count for. With none, every event is
	// acknowledged as selected by no SLO.
	SLOs []SLO
	// Now is the clock deciding which events are too old or too far in
	// the future. Nil means time.Now; replay passes virtual time.
	Now func() time.Time
	// MaxFuture is how far ahead of Now an event's time may be (clock skew
	// between producers). Zero means 5 minutes.
	MaxFuture time.Duration
}

// Validate reports every problem of c.
func (c AggregatorConfig) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("slo: AggregatorConfig.Store is required"))
	}
	if c.MaxFuture < 0 {
		errs = append(errs, fmt.Errorf("slo: AggregatorConfig.MaxFuture %s is negative", c.MaxFuture))
	}
	seen := map[string]bool{}
	for _, s := range c.SLOs {
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("slo: two SLOs are named %q", s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}

// Aggregator classifies request-completed events for every SLO that selects
// them and adds them to the SLOs' time buckets, exactly once per event: the
// marker of an event and its bucket increments are written in one store
// transaction, so a redelivered event finds its marker and adds nothing,
// and a failed write adds nothing either. It is safe for concurrent use.
type Aggregator struct {
	store     store.Store
	slos      []SLO
	retention []time.Duration // per SLO: how long its buckets are needed
	longest   time.Duration   // the longest retention: older events are refused
	now       func() time.Time
	maxFuture time.Duration
	hourParts []string                    // per SLO: the hour buckets' partition
	names     []atomic.Pointer[hourNames] // per SLO: key strings of the hour last written
}

// NewAggregator checks cfg and returns an Aggregator.
func NewAggregator(cfg AggregatorConfig) (*Aggregator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Aggregator{store: cfg.Store, slos: cfg.SLOs, now: cfg.Now, maxFuture: cfg.MaxFuture}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxFuture == 0 {
		a.maxFuture = defaultMaxFuture
	}
	for i := range a.slos {
		r := Retention(&a.slos[i])
		a.retention = append(a.retention, r)
		a.longest = max(a.longest, r)
		a.hourParts = append(a.hourParts, hourPartition(a.slos[i].Name))
	}
	a.names = make([]atomic.Pointer[hourNames], len(a.slos))
	return a, nil
}

// Retention is how long an SLO's buckets must be kept: its window (31 days
// for a calendar month), or its longest alert window if longer, plus an
// hour so a window's first, partial hour can still be read by minute.
func Retention(s *SLO) time.Duration {
	w := s.Window.Rolling
	switch s.Window.Calendar {
	case "month":
		w = calendarMonthMaxHours * time.Hour
	case "week":
		w = 7 * 24 * time.Hour
	}
	for _, r := range s.Alerts {
		w = max(w, r.Long)
	}
	return w + retentionMargin
}

// Report is what Count did with a batch.
type Report struct {
	// Errors has one entry per event: nil when the event is counted now,
	// was counted before (a redelivery), or no SLO selects it; the reason
	// otherwise (an *EventError).
	Errors []error
	// Counted, Duplicates and Unselected count the events of each outcome.
	Counted, Duplicates, Unselected int
	// Transactions and Ops are the store writes made: one transaction per
	// group of up to store.MaxTransactOps items.
	Transactions, Ops int
}

// Failed is the number of events not counted for a reason.
func (r *Report) Failed() int {
	n := 0
	for _, err := range r.Errors {
		if err != nil {
			n++
		}
	}
	return n
}

// bucketID names one bucket without its key's strings: the SLO's index,
// the hour index and the minute of the hour (-1 for the hour bucket). Count
// classifies, groups and sums with these small comparable values and makes
// keys only for the distinct buckets of a transaction.
type bucketID struct {
	slo    int32
	minute int32
	hour   int64
}

// increment is one bucket add.
type increment struct {
	bucket bucketID
	delta  int64
}

// unit is what one transaction must hold together: an event's marker (or
// one part's, for an event selected by so many SLOs that its increments
// overflow a transaction) and its increments.
type unit struct {
	event  int
	marker store.Key
	expiry time.Time
	incs   []increment
}

// hourNames are the key strings of one SLO's buckets in one hour, kept per
// SLO for the hour last written: events mostly arrive for the current hour,
// so their keys cost no allocation.
type hourNames struct {
	hour       int64
	minutePart string
	hourSort   string
}

// Per-event outcomes of the store writes, in scratch.state: flags, since
// the parts of a split event may fare differently.
const (
	stateCounted uint8 = 1 << iota
	stateDuplicate
)

// bucketIndex is a set of distinct buckets in insertion order, with an
// open-addressing table of their positions: a transaction has at most
// store.MaxTransactOps of them, and a table cleared per use costs less than
// a map's hashing and growth.
type bucketIndex struct {
	ids   []bucketID
	slots []int32 // position+1 of the bucket hashed there; 0 is empty
}

func (x *bucketIndex) reset() {
	x.ids = x.ids[:0]
	clear(x.slots)
}

func (b bucketID) hash() uint64 {
	h := uint64(b.hour)*0x9E3779B97F4A7C15 ^ uint64(uint32(b.slo))*0xC2B2AE3D27D4EB4F ^ uint64(uint32(b.minute))*0x165667B19E3779F9
	return h ^ h>>29
}

// slot is where b is, or the empty slot where it would go.
func (x *bucketIndex) slot(b bucketID) int {
	mask := len(x.slots) - 1
	for i := int(b.hash()) & mask; ; i = (i + 1) & mask {
		if p := x.slots[i]; p == 0 || x.ids[p-1] == b {
			return i
		}
	}
}

// find returns b's position, or -1.
func (x *bucketIndex) find(b bucketID) int {
	if len(x.slots) == 0 {
		return -1
	}
	return int(x.slots[x.slot(b)]) - 1
}

// add appends b, which find reported absent, and returns its position.
func (x *bucketIndex) add(b bucketID) int {
	if 2*(len(x.ids)+1) > len(x.slots) {
		// Keep the table at most half full.
		x.slots = make([]int32, max(256, 4*len(x.slots)))
		for k, id := range x.ids {
			x.slots[x.slot(id)] = int32(k + 1)
		}
	}
	x.ids = append(x.ids, b)
	x.slots[x.slot(b)] = int32(len(x.ids))
	return len(x.ids) - 1
}

// smallBatch is the batch size up to which firstSeen compares an event with
// the ones before it instead of hashing.
const smallBatch = 16

// eventName is what an event's marker is named by (see seenKey).
type eventName struct{ id, source string }

// scratch is the working memory of one Count, reused through a pool so a
// batch allocates little beyond its report and its markers.
type scratch struct {
	cutoffs []time.Time // per SLO: events before it are past its retention
	incs    []increment
	units   []unit
	state   []uint8
	names   []eventName // events taken so far, for small batches
	seen    map[eventName]struct{}
	index   bucketIndex
	missing []bucketID
	sums    []int64
	keys    []store.Key
	order   []int32
	ops     []store.Op
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// markerValue is every marker's value. Stores copy values, so one slice
// serves every op.
var markerValue = []byte{'1'}

// firstSeen reports whether no earlier event of the batch has e's marker,
// and remembers e.
func (sc *scratch) firstSeen(e *Event, batch int) bool {
	n := eventName{id: e.ID, source: e.Source}
	if n.source == "" {
		n.source = "-" // seenKey names both the same
	}
	if batch <= smallBatch {
		for _, o := range sc.names {
			if o == n {
				return false
			}
		}
		sc.names = append(sc.names, n)
		return true
	}
	if sc.seen == nil {
		sc.seen = map[eventName]struct{}{}
	}
	if _, ok := sc.seen[n]; ok {
		return false
	}
	sc.seen[n] = struct{}{}
	return true
}

// Count classifies and counts a batch. It returns an error only when ctx is
// done; store failures are reported per event in Report.Errors so the
// events counted before the failure are not retried needlessly (their
// redelivery would be a no-op anyway).
func (a *Aggregator) Count(ctx context.Context, events []Event) (Report, error) {
	rep := Report{Errors: make([]error, len(events))}
	now := a.now()
	oldest, newest := now.Add(-a.longest), now.Add(a.maxFuture)
	sc := scratchPool.Get().(*scratch)
	defer func() {
		sc.names = sc.names[:0]
		clear(sc.seen)
		clear(sc.ops) // hold no event's strings in the pool
		sc.ops = sc.ops[:0]
		scratchPool.Put(sc)
	}()
	sc.cutoffs = sc.cutoffs[:0]
	for _, r := range a.retention {
		sc.cutoffs = append(sc.cutoffs, now.Add(-r))
	}
	incs := sc.incs[:0]
	units := sc.units[:0]
	for i := range events {
		e := &events[i]
		switch {
		case e.ID == "":
			rep.Errors[i] = &EventError{Name: ErrNameInvalidEvent, Message: "the event has no id, so it could not be counted exactly once"}
			continue
		case e.Time.IsZero():
			rep.Errors[i] = &EventError{Name: ErrNameInvalidEvent, Message: fmt.Sprintf("event %s has no time (data.timestamp or the CloudEvent time)", e.ID)}
			continue
		case e.Time.After(newest):
			rep.Errors[i] = &EventError{Name: ErrNameEventInFuture, Message: fmt.Sprintf("event %s is at %s, more than %s after now (%s)",
				e.ID, e.Time.UTC().Format(time.RFC3339), a.maxFuture, now.UTC().Format(time.RFC3339))}
			continue
		case a.longest > 0 && e.Time.Before(oldest): // no SLO: nothing is too old to count nowhere
			rep.Errors[i] = &EventError{Name: ErrNameEventTooOld, Message: fmt.Sprintf("event %s is at %s, older than the longest SLO window (%s) before now (%s)",
				e.ID, e.Time.UTC().Format(time.RFC3339), a.longest, now.UTC().Format(time.RFC3339))}
			continue
		}
		if !sc.firstSeen(e, len(events)) {
			rep.Duplicates++
			continue
		}
		from := len(incs)
		incs = a.classify(e, sc.cutoffs, incs)
		mine := incs[from:len(incs):len(incs)]
		if len(mine) == 0 {
			rep.Unselected++
			continue
		}
		expiry := e.Time.Add(a.longest)
		// An event whose increments do not fit one transaction beside its
		// marker is split into parts, each with a marker of its own, so
		// every part is still counted exactly once.
		for part := 0; len(mine) > 0; part++ {
			n := min(len(mine), store.MaxTransactOps-1)
			units = append(units, unit{event: i, marker: seenKey(e, part), expiry: expiry, incs: mine[:n]})
			mine = mine[n:]
		}
	}
	// Keep the (possibly grown) buffers for the next batch; the units'
	// slices into an older incs array stay valid.
	sc.incs, sc.units = incs[:0], units[:0]
	state := sc.state[:0]
	for range events {
		state = append(state, 0)
	}
	sc.state = state
	for len(units) > 0 {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		n := sc.fit(units)
		group := units[:n]
		units = units[n:]
		for len(group) > 0 {
			ops := a.build(sc, group)
			rep.Transactions++
			err := a.store.Transact(ctx, ops)
			if err == nil {
				rep.Ops += len(ops)
				for _, u := range group {
					state[u.event] |= stateCounted
				}
				break
			}
			var tx *store.TxError
			if !errors.As(err, &tx) || len(tx.Failed) == 0 {
				for _, u := range group {
					rep.Errors[u.event] = &EventError{Name: ErrNameStoreFailed, Message: "counting failed; the event can be delivered again safely", Err: err}
				}
				break
			}
			// The failing conditions are markers: those parts were counted
			// by an earlier delivery. Drop them and write the rest.
			gone := map[int]bool{}
			for _, j := range tx.Failed {
				if j < len(group) {
					gone[j] = true
					state[group[j].event] |= stateDuplicate
				}
			}
			if len(gone) == 0 {
				for _, u := range group {
					rep.Errors[u.event] = &EventError{Name: ErrNameStoreFailed, Message: "counting failed on a bucket write", Err: err}
				}
				break
			}
			var rest []unit
			for j, u := range group {
				if !gone[j] {
					rest = append(rest, u)
				}
			}
			group = rest
		}
	}
	for i := range events {
		switch {
		case rep.Errors[i] != nil:
			// A part that failed makes the event a failure to redeliver,
			// even when another part was counted: that part's marker stops
			// it from being counted twice.
			continue
		case state[i]&stateCounted != 0:
			rep.Counted++
		case state[i]&stateDuplicate != 0:
			rep.Duplicates++
		}
	}
	return rep, nil
}

// classify appends the bucket increments of one event over every SLO to
// incs: a minute and an hour bucket for each SLO that selects it and still
// keeps buckets that old (cutoffs).
func (a *Aggregator) classify(e *Event, cutoffs []time.Time, incs []increment) []increment {
	var h, m int64
	hm := false
	for j := range a.slos {
		ok, good := a.slos[j].Classify(e)
		if !ok || e.Time.Before(cutoffs[j]) {
			continue
		}
		if !hm {
			h = hourIndex(e.Time)
			m = (e.Time.Unix() - h*3600) / 60
			hm = true
		}
		d := pack(1, 0)
		if good {
			d = pack(1, 1)
		}
		incs = append(incs,
			increment{bucket: bucketID{slo: int32(j), minute: int32(m), hour: h}, delta: d},
			increment{bucket: bucketID{slo: int32(j), minute: -1, hour: h}, delta: d})
	}
	return incs
}

// key is the store key of a bucket (see bucketKeys).
func (a *Aggregator) key(b bucketID) store.Key {
	c := a.names[b.slo].Load()
	if c == nil || c.hour != b.hour {
		name := a.slos[b.slo].Name
		c = &hourNames{hour: b.hour, minutePart: minutePartition(name, b.hour), hourSort: hourSort(b.hour)}
		a.names[b.slo].Store(c)
	}
	if b.minute < 0 {
		return store.Key{Partition: a.hourParts[b.slo], Sort: c.hourSort}
	}
	return store.Key{Partition: c.minutePart, Sort: minuteSort(int(b.minute))}
}

// expiry is when a bucket is no longer needed: its SLO's retention after
// the end of its hour.
func (a *Aggregator) expiry(b bucketID) time.Time {
	return time.Unix((b.hour+1)*3600, 0).Add(a.retention[b.slo])
}

// fit is how many units from the front go in one transaction: markers plus
// the distinct buckets they add to stay within store.MaxTransactOps.
func (sc *scratch) fit(units []unit) int {
	x := &sc.index
	x.reset()
	for i, u := range units {
		missing := sc.missing[:0]
		for _, inc := range u.incs {
			if x.find(inc.bucket) < 0 {
				missing = append(missing, inc.bucket)
			}
		}
		sc.missing = missing
		if i > 0 && len(x.ids)+i+1+len(missing) > store.MaxTransactOps {
			return i
		}
		// A unit's own increments are distinct buckets.
		for _, b := range missing {
			x.add(b)
		}
	}
	return len(units)
}

// build makes the ops of one transaction: the markers first, in the order
// of group (so TxError.Failed indexes name units), then one add per bucket
// with the deltas of every unit summed, in key order: a batch of ten events
// for one SLO is ten markers and two adds.
func (a *Aggregator) build(sc *scratch, group []unit) []store.Op {
	x := &sc.index
	x.reset()
	sums := sc.sums[:0]
	for _, u := range group {
		for _, inc := range u.incs {
			if k := x.find(inc.bucket); k >= 0 {
				sums[k] += inc.delta
				continue
			}
			x.add(inc.bucket)
			sums = append(sums, inc.delta)
		}
	}
	sc.sums = sums
	// Sort positions, not ops: an op is over a hundred bytes to move.
	keys, order := sc.keys[:0], sc.order[:0]
	for k, b := range x.ids {
		keys = append(keys, a.key(b))
		order = append(order, int32(k))
	}
	sc.keys, sc.order = keys, order
	slices.SortFunc(order, func(p, q int32) int {
		if c := strings.Compare(keys[p].Partition, keys[q].Partition); c != 0 {
			return c
		}
		return strings.Compare(keys[p].Sort, keys[q].Sort)
	})
	// The ops are reused for the next transaction: a store copies what it
	// keeps (the bolt store says so) and holds nothing once Transact
	// returns.
	ops := sc.ops[:0]
	for _, u := range group {
		ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: u.marker, Value: markerValue, ExpiresAt: u.expiry}, Cond: store.Condition{IfAbsent: true}})
	}
	for _, k := range order {
		ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: keys[k], ExpiresAt: a.expiry(x.ids[k])}, Delta: sums[k]})
	}
	sc.ops = ops
	return ops
}
