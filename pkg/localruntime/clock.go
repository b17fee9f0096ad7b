package localruntime

import (
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// Clock is the runtime's source of time. clock.Real and clock.Fake
// implement it.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has passed.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f once d has passed, unless stop is called first;
	// stop reports whether it prevented the call. The queues keep one such
	// timer each for every delayed redelivery and visibility deadline,
	// instead of a goroutine per waiting message.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// RealClock is the wall clock (clock.Real).
type RealClock = clock.Real

// FakeClock is the module's fake clock (clock.Fake): it moves only when
// Advance is called, AfterFunc callbacks run on the goroutine that calls
// Advance, and Waiters tells a test that a goroutine has parked on it.
type FakeClock = clock.Fake

var (
	_ Clock = RealClock{}
	_ Clock = (*FakeClock)(nil)
)

// NewFakeClock starts a fake clock at t; it is clock.NewFake.
func NewFakeClock(t time.Time) *FakeClock { return clock.NewFake(t) }
