package clock

import (
	"context"
	"sync"
	"time"
)

// Lane is the virtual time reached by one line of execution on a Fake.
// Code that runs branches concurrently (the ASL engine's Parallel and Map
// states) gives each branch a lane of its own, carried in its context:
// Fake.Sleep with such a context moves the lane, then the clock to at
// least the lane's time, so concurrent sleeps overlap as they would in real
// time (the clock ends at the latest wake-up, not at the sum) however the
// goroutines happen to be scheduled. A Lane is safe for concurrent use.
type Lane struct {
	mu  sync.Mutex
	now time.Time
}

type laneKey struct{}

// WithLane returns ctx carrying a new lane that starts at the clock's time.
func (c *Fake) WithLane(ctx context.Context) context.Context {
	return context.WithValue(ctx, laneKey{}, &Lane{now: c.Now()})
}

// LaneOf returns the lane ctx carries, or nil.
func LaneOf(ctx context.Context) *Lane {
	l, _ := ctx.Value(laneKey{}).(*Lane)
	return l
}

// Now returns the time the lane has reached.
func (l *Lane) Now() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

// add moves the lane by d and returns its new time.
func (l *Lane) add(d time.Duration) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = l.now.Add(d)
	return l.now
}

// ForkLanes prepares concurrent children of ctx's lane: each call of child
// returns a context with a new lane starting where ctx's lane is now, and
// join moves ctx's lane to the latest of the given children (nil entries
// are skipped). Without a lane in ctx, child returns ctx and a nil lane and
// join does nothing, so callers need not know which clock runs them.
func ForkLanes(ctx context.Context) (child func() (context.Context, *Lane), join func([]*Lane)) {
	parent := LaneOf(ctx)
	if parent == nil {
		return func() (context.Context, *Lane) { return ctx, nil }, func([]*Lane) {}
	}
	start := parent.Now()
	child = func() (context.Context, *Lane) {
		l := &Lane{now: start}
		return context.WithValue(ctx, laneKey{}, l), l
	}
	join = func(ls []*Lane) {
		parent.mu.Lock()
		defer parent.mu.Unlock()
		for _, l := range ls {
			if l == nil {
				continue
			}
			if t := l.Now(); t.After(parent.now) {
				parent.now = t
			}
		}
	}
	return child, join
}
