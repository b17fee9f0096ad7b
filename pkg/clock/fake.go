package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Fake is a clock that moves only when Advance, AdvanceTo or Sleep is
// called. Its time is virtual: Sleep does not block but moves the clock
// forward by the time slept, firing what falls due, as if the caller had
// slept that long; After channels and AfterFunc callbacks wait for the
// clock to reach their time. It is safe for concurrent use.
//
// Tests that need to know a goroutine has parked on the clock before they
// move it ask Waiters.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	nextID  uint64
}

// waiter is one pending After (ch) or AfterFunc (f).
type waiter struct {
	at time.Time
	ch chan time.Time
	f  func()
	id uint64
}

// NewFake returns a Fake at start. The zero time is a valid start: tests
// that print or compare times pass a fixed date to stay deterministic.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once it reaches
// now+d; at once when d <= 0.
func (c *Fake) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1) // buffered: firing never blocks the mover
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// AfterFunc calls f once the clock reaches now+d, on the goroutine that
// moves it there, after the After channels due at the same time or earlier
// have received. With d <= 0 it calls f at once on a goroutine of its own,
// as time.AfterFunc does. The returned stop removes the pending call and
// reports whether it did.
func (c *Fake) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		go f()
		return func() bool { return false }
	}
	c.nextID++
	id := c.nextID
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), f: f, id: id})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, w := range c.waiters {
			if w.id == id {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				return true
			}
		}
		return false
	}
}

// Sleep moves the clock forward by d and returns without blocking; it
// returns ctx's error, and leaves the clock alone, when ctx is done. When
// ctx carries a Lane, the lane moves by d and the clock to at least the
// lane's time (see Lane).
func (c *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l := LaneOf(ctx); l != nil {
		c.AdvanceTo(l.add(d))
		return nil
	}
	c.Advance(d)
	return nil
}

// Waiters returns how many After and AfterFunc calls are pending.
func (c *Fake) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Advance moves the clock forward by d and fires everything due.
func (c *Fake) Advance(d time.Duration) {
	c.advance(func(now time.Time) time.Time { return now.Add(d) })
}

// AdvanceTo moves the clock to t if t is later than now (it never goes
// back) and fires everything due. Goroutines that each reach a point in
// virtual time of their own use it so the clock ends at the latest of
// them, not at the sum of their waits.
func (c *Fake) AdvanceTo(t time.Time) {
	c.advance(func(now time.Time) time.Time {
		if t.After(now) {
			return t
		}
		return now
	})
}

// advance sets the time to next(now) under the lock, so concurrent movers
// never lose each other's steps, then fires the due waiters in time order
// outside it: channels first, then callbacks, which may use the clock.
func (c *Fake) advance(next func(time.Time) time.Time) {
	c.mu.Lock()
	c.now = next(c.now)
	now := c.now
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	var due []waiter
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			keep = append(keep, w)
		} else {
			due = append(due, w)
		}
	}
	c.waiters = keep
	c.mu.Unlock()
	for _, w := range due {
		if w.ch != nil {
			w.ch <- now
		}
	}
	for _, w := range due {
		if w.f != nil {
			w.f()
		}
	}
}
