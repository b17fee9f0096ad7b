package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// BulkheadLimits bound the calls in flight to one downstream from one
// instance.
type BulkheadLimits struct {
	// MaxConcurrent calls run at once; more wait in the queue. At least 1.
	MaxConcurrent int `json:"maxConcurrent" yaml:"maxConcurrent"`
	// MaxQueued calls wait for a slot; more are refused at once with
	// Resilience.BulkheadFull. Zero means none wait.
	MaxQueued int `json:"maxQueued" yaml:"maxQueued"`
	// QueueTimeout is the longest a call waits for a slot before it is
	// refused with Resilience.BulkheadFull. Zero means it waits as long as
	// its context allows.
	QueueTimeout time.Duration `json:"queueTimeout" yaml:"queueTimeout"`
}

// Validate names every limit that is out of range.
func (l BulkheadLimits) Validate() error {
	var errs []error
	if l.MaxConcurrent < 1 {
		errs = append(errs, fmt.Errorf("maxConcurrent: %d, must be at least 1", l.MaxConcurrent))
	}
	if l.MaxQueued < 0 {
		errs = append(errs, fmt.Errorf("maxQueued: %d is negative", l.MaxQueued))
	}
	if l.QueueTimeout < 0 {
		errs = append(errs, fmt.Errorf("queueTimeout: %s is negative", l.QueueTimeout))
	}
	return errors.Join(errs...)
}

// Bulkhead limits concurrent calls to one downstream, so a slow dependency
// holds at most MaxConcurrent of an instance's goroutines and MaxQueued more
// waiting, and the rest fail fast. It starts no goroutine: a waiting call
// waits on its own goroutine and leaves the queue when it gets a slot, its
// context ends or the queue timeout passes. A free slot is taken with one
// atomic add; waiters are woken by Release (not in arrival order). Safe for
// concurrent use.
type Bulkhead struct {
	name   string
	limits BulkheadLimits
	inUse  atomic.Int64
	queued atomic.Int64
	// wake carries Release's wake-ups to waiters; a token a waiter did not
	// need makes another waiter try again, never a slot of its own.
	wake  chan struct{}
	after func(time.Duration) <-chan time.Time
}

// NewBulkhead returns a bulkhead named name (the downstream) with limits.
// after, nil for time.After, is the clock of the queue timeout.
func NewBulkhead(name string, limits BulkheadLimits, after func(time.Duration) <-chan time.Time) (*Bulkhead, error) {
	if err := limits.Validate(); err != nil {
		return nil, fmt.Errorf("resilience: bulkhead %s: %w", name, err)
	}
	if after == nil {
		after = time.After
	}
	return &Bulkhead{name: name, limits: limits, wake: make(chan struct{}, limits.MaxConcurrent), after: after}, nil
}

// tryAcquire takes a free slot if there is one.
func (b *Bulkhead) tryAcquire() bool {
	if b.inUse.Add(1) <= int64(b.limits.MaxConcurrent) {
		return true
	}
	b.release()
	return false
}

// Acquire takes a slot, waiting in the queue if there is room, and returns
// nil; the caller must Release it. It returns a Resilience.BulkheadFull
// error when the queue is full or the queue timeout passes, and ctx's error
// when ctx ends first.
func (b *Bulkhead) Acquire(ctx context.Context) error {
	if b.tryAcquire() {
		return nil
	}
	if b.queued.Add(1) > int64(b.limits.MaxQueued) {
		b.queued.Add(-1)
		return bulkheadFull(b.name, fmt.Sprintf("%d running, %d queued", b.limits.MaxConcurrent, b.limits.MaxQueued))
	}
	defer b.queued.Add(-1)
	var timeout <-chan time.Time
	if b.limits.QueueTimeout > 0 {
		timeout = b.after(b.limits.QueueTimeout)
	}
	for {
		// Queued before this try: a Release after it sends a wake-up.
		if b.tryAcquire() {
			return nil
		}
		select {
		case <-b.wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return bulkheadFull(b.name, fmt.Sprintf("no slot within the queue timeout %s", b.limits.QueueTimeout))
		}
	}
}

// Release frees a slot taken by Acquire.
func (b *Bulkhead) Release() { b.release() }

func (b *Bulkhead) release() {
	b.inUse.Add(-1)
	if b.queued.Load() > 0 {
		select {
		case b.wake <- struct{}{}:
		default: // enough wake-ups pending already
		}
	}
}

// BulkheadStatus is a bulkhead's limits and what it holds now.
type BulkheadStatus struct {
	Name   string         `json:"name"`
	Limits BulkheadLimits `json:"limits"`
	InUse  int            `json:"inUse"`
	Queued int            `json:"queued"`
}

// Status reports the limits and the calls running and waiting.
func (b *Bulkhead) Status() BulkheadStatus {
	// A failed tryAcquire counts itself for an instant: clamp.
	inUse := min(max(b.inUse.Load(), 0), int64(b.limits.MaxConcurrent))
	queued := min(max(b.queued.Load(), 0), int64(b.limits.MaxQueued))
	return BulkheadStatus{Name: b.name, Limits: b.limits, InUse: int(inUse), Queued: int(queued)}
}
