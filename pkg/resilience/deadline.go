package resilience

import (
	"context"
	"sync"
	"time"
)

// deadlineCtx is a context with an earlier deadline than its parent that
// costs one allocation until someone asks for Done: the timer and the hook
// on the parent's cancellation are made then, not for every attempt
// (context.WithDeadline makes a timer, a cancel function and a child entry
// in its parent up front, three to four allocations). Err reports the
// deadline by the clock even before Done was asked for, closing Done then,
// so the two always agree.
type deadlineCtx struct {
	context.Context
	deadline time.Time
	clk      Clock

	mu         sync.Mutex
	done       chan struct{}
	err        error
	stopTimer  func() bool
	stopParent func() bool
}

// Clock is the time source of the policies: clock.Real or clock.Fake.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
	Sleep(ctx context.Context, d time.Duration) error
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err == nil {
		c.checkLocked()
	}
	if c.err != nil {
		close(c.done)
		return c.done
	}
	c.stopTimer = c.clk.AfterFunc(c.deadline.Sub(c.clk.Now()), func() { c.cancel(context.DeadlineExceeded) })
	if c.Context.Done() != nil {
		c.stopParent = context.AfterFunc(c.Context, func() { c.cancel(c.Context.Err()) })
	}
	return c.done
}

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.checkLocked()
		if c.err != nil && c.done != nil {
			close(c.done)
		}
	}
	return c.err
}

// checkLocked sets err when the parent ended or the deadline passed.
func (c *deadlineCtx) checkLocked() {
	if err := c.Context.Err(); err != nil {
		c.err = err
	} else if !c.clk.Now().Before(c.deadline) {
		c.err = context.DeadlineExceeded
	}
}

func (c *deadlineCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
}

// release ends the context once the attempt returned (as a cancel
// function does) and, when check, reports whether its deadline had passed
// by then (a successful attempt does not ask: no clock read).
func (c *deadlineCtx) release(check bool) (expired bool) {
	c.mu.Lock()
	if c.err == nil {
		if check {
			c.checkLocked()
		}
		expired = c.err == context.DeadlineExceeded
		if c.err == nil {
			c.err = context.Canceled
		}
		if c.done != nil {
			close(c.done)
		}
	} else {
		expired = c.err == context.DeadlineExceeded
	}
	stopT, stopP := c.stopTimer, c.stopParent
	c.mu.Unlock()
	if stopT != nil {
		stopT()
	}
	if stopP != nil {
		stopP()
	}
	return expired
}
