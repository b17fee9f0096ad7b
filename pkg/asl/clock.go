package asl

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the time source of an execution: state entry times, Wait states,
// retry intervals and timeouts all go through it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

var _ Clock = RealClock{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep sleeps for d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FastClock is a virtual clock: Sleep returns at once and moves the virtual
// time forward, so Wait states and retry intervals cost nothing. The
// interpreter gives every Parallel branch and Map iteration its own lane of
// virtual time (carried in the context passed to Sleep), so concurrent
// waits overlap as they would in real time: the clock ends at the latest
// wake-up, not at the sum, however the goroutines happen to be scheduled.
// After fires when the virtual time passes its deadline. It is safe for
// concurrent use.
type FastClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fastTimer
}

type fastTimer struct {
	at time.Time
	ch chan time.Time
}

var _ Clock = (*FastClock)(nil)

// NewFastClock returns a virtual clock starting at start (the zero time means
// the current wall time).
func NewFastClock(start time.Time) *FastClock {
	if start.IsZero() {
		start = time.Now()
	}
	return &FastClock{now: start}
}

// Now returns the virtual time.
func (c *FastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the virtual time to at least now+d, where now is the
// time of the caller's lane when ctx carries one.
func (c *FastClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var target time.Time
	if l := laneOf(ctx); l != nil {
		l.mu.Lock()
		l.now = l.now.Add(d)
		target = l.now
		l.mu.Unlock()
	} else {
		c.mu.Lock()
		target = c.now.Add(d)
		c.mu.Unlock()
	}
	c.AdvanceTo(target)
	return nil
}

// lane is the virtual time reached by one line of execution.
type lane struct {
	mu  sync.Mutex
	now time.Time
}

type laneKey struct{}

func laneOf(ctx context.Context) *lane {
	l, _ := ctx.Value(laneKey{}).(*lane)
	return l
}

// forkLanes gives n concurrent children lanes starting where ctx's lane is;
// join moves ctx's lane to the latest child. Without a lane in ctx (not a
// FastClock) both are no-ops.
func forkLanes(ctx context.Context) (child func() (context.Context, *lane), join func([]*lane)) {
	parent := laneOf(ctx)
	if parent == nil {
		return func() (context.Context, *lane) { return ctx, nil }, func([]*lane) {}
	}
	parent.mu.Lock()
	start := parent.now
	parent.mu.Unlock()
	child = func() (context.Context, *lane) {
		l := &lane{now: start}
		return context.WithValue(ctx, laneKey{}, l), l
	}
	join = func(ls []*lane) {
		parent.mu.Lock()
		defer parent.mu.Unlock()
		for _, l := range ls {
			if l == nil {
				continue
			}
			l.mu.Lock()
			if l.now.After(parent.now) {
				parent.now = l.now
			}
			l.mu.Unlock()
		}
	}
	return child, join
}

// Advance moves the virtual time forward by d.
func (c *FastClock) Advance(d time.Duration) { c.AdvanceTo(c.Now().Add(d)) }

// AdvanceTo moves the virtual time to t if t is later, firing due timers.
func (c *FastClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	now := c.now
	var due []fastTimer
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(now) {
			due = append(due, tm)
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.ch <- now
	}
}

// After returns a channel that receives when the virtual time reaches now+d.
func (c *FastClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.now.Add(d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fastTimer{at: at, ch: ch})
	return ch
}
