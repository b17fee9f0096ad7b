package slo

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	}
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

// increment is one bucket add.
type increment struct {
	key     store.Key
	delta   int64
	expires time.Time
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

// Count classifies and counts a batch. It returns an error only when ctx is
// done; store failures are reported per event in Report.Errors so the
// events counted before the failure are not retried needlessly (their
// redelivery would be a no-op anyway).
func (a *Aggregator) Count(ctx context.Context, events []Event) (Report, error) {
	rep := Report{Errors: make([]error, len(events))}
	now := a.now()
	oldest, newest := now.Add(-a.longest), now.Add(a.maxFuture)
	var units []unit
	inBatch := map[store.Key]bool{}
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
		case e.Time.Before(oldest):
			rep.Errors[i] = &EventError{Name: ErrNameEventTooOld, Message: fmt.Sprintf("event %s is at %s, older than the longest SLO window (%s) before now (%s)",
				e.ID, e.Time.UTC().Format(time.RFC3339), a.longest, now.UTC().Format(time.RFC3339))}
			continue
		}
		if k := seenKey(e, 0); inBatch[k] {
			rep.Duplicates++
			continue
		} else {
			inBatch[k] = true
		}
		incs := a.classify(e, now)
		if len(incs) == 0 {
			rep.Unselected++
			continue
		}
		expiry := e.Time.Add(a.longest)
		// An event whose increments do not fit one transaction beside its
		// marker is split into parts, each with a marker of its own, so
		// every part is still counted exactly once.
		for part := 0; len(incs) > 0; part++ {
			n := min(len(incs), store.MaxTransactOps-1)
			units = append(units, unit{event: i, marker: seenKey(e, part), expiry: expiry, incs: incs[:n]})
			incs = incs[n:]
		}
	}
	counted := map[int]bool{}
	dup := map[int]bool{}
	for len(units) > 0 {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		n := fit(units)
		group := units[:n]
		units = units[n:]
		for len(group) > 0 {
			ops := build(group)
			rep.Transactions++
			err := a.store.Transact(ctx, ops)
			if err == nil {
				rep.Ops += len(ops)
				for _, u := range group {
					counted[u.event] = true
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
					dup[group[j].event] = true
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
		case counted[i]:
			rep.Counted++
		case dup[i]:
			rep.Duplicates++
		}
	}
	return rep, nil
}

// classify returns the bucket increments of one event over every SLO.
func (a *Aggregator) classify(e *Event, now time.Time) []increment {
	var incs []increment
	for j := range a.slos {
		s := &a.slos[j]
		ok, good := s.Classify(e)
		if !ok || e.Time.Before(now.Add(-a.retention[j])) {
			continue
		}
		g := int64(0)
		if good {
			g = 1
		}
		mk, hk := bucketKeys(s.Name, e.Time)
		hourEnd := time.Unix((hourIndex(e.Time)+1)*3600, 0)
		exp := hourEnd.Add(a.retention[j])
		incs = append(incs, increment{key: mk, delta: pack(1, g), expires: exp}, increment{key: hk, delta: pack(1, g), expires: exp})
	}
	return incs
}

// fit is how many units from the front go in one transaction: markers plus
// the distinct buckets they add to stay within store.MaxTransactOps.
func fit(units []unit) int {
	keys := map[store.Key]bool{}
	for i, u := range units {
		need := 1
		for _, inc := range u.incs {
			if !keys[inc.key] {
				need++
			}
		}
		if i > 0 && len(keys)+i+need > store.MaxTransactOps {
			return i
		}
		for _, inc := range u.incs {
			keys[inc.key] = true
		}
	}
	return len(units)
}

// build makes the ops of one transaction: the markers first, in the order
// of group (so TxError.Failed indexes name units), then one add per bucket
// with the deltas of every unit summed: a batch of ten events for one SLO
// is ten markers and two adds.
func build(group []unit) []store.Op {
	ops := make([]store.Op, 0, len(group)+4)
	for _, u := range group {
		ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: u.marker, Value: []byte{'1'}, ExpiresAt: u.expiry}, Cond: store.Condition{IfAbsent: true}})
	}
	sums := map[store.Key]*increment{}
	var order []store.Key
	for _, u := range group {
		for _, inc := range u.incs {
			if s, ok := sums[inc.key]; ok {
				s.delta += inc.delta
				if inc.expires.After(s.expires) {
					s.expires = inc.expires
				}
				continue
			}
			c := inc
			sums[inc.key] = &c
			order = append(order, inc.key)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].Partition != order[j].Partition {
			return order[i].Partition < order[j].Partition
		}
		return order[i].Sort < order[j].Sort
	})
	for _, k := range order {
		s := sums[k]
		ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: k, ExpiresAt: s.expires}, Delta: s.delta})
	}
	return ops
}
