package asl

import (
	"context"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// Clock is the time source of an execution: state entry times, Wait states,
// retry intervals and timeouts all go through it. clock.Real and clock.Fake
// implement it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock, clock.Real under the name the engine's
// callers know.
type RealClock = clock.Real

// FastClock is the module's fake clock (clock.Fake) used as a virtual one:
// Sleep returns at once and moves the virtual time forward, so Wait states
// and retry intervals cost nothing. The interpreter gives every Parallel
// branch and Map iteration its own clock.Lane of virtual time (carried in
// the context of the execution, also the one a Task's invoker gets), so
// concurrent waits overlap as they would in real time: the clock ends at
// the latest wake-up, not at the sum, however the goroutines happen to be
// scheduled. After fires when the virtual time passes its deadline. It is
// safe for concurrent use.
type FastClock = clock.Fake

var (
	_ Clock = RealClock{}
	_ Clock = (*FastClock)(nil)
)

// NewFastClock returns a virtual clock starting at start (the zero time means
// the current wall time).
func NewFastClock(start time.Time) *FastClock {
	if start.IsZero() {
		start = time.Now()
	}
	return clock.NewFake(start)
}
