// Package clock is the time source shared by the engine, the local runtime
// and the stores, with the one fake clock their tests use.
//
// Real is the wall clock. Fake is a clock that moves only when told to:
// Advance and AdvanceTo move it and fire whatever is due, and Sleep moves it
// by the time slept instead of blocking, so a Wait state of an hour or a
// retry backoff costs nothing in a test. Concurrent branches that sleep on
// a Fake can each keep a Lane of virtual time, so their sleeps overlap
// instead of adding up. Both clocks are safe for concurrent use.
//
// Consumers declare the small interface they need where they use it (the
// ASL engine needs Now, Sleep and After; the local queues Now, After and
// AfterFunc); Clock is the union, which Real and Fake both satisfy. The
// package imports only the standard library, so every core package may
// depend on it.
package clock

import (
	"context"
	"time"
)

// Clock is every method Real and Fake provide. Packages usually accept a
// smaller interface of their own.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// After delivers the time once d has passed.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f once d has passed, unless stop is called first;
	// stop reports whether it prevented the call.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
	// Sleep waits for d, or until ctx is done (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock. The zero value is ready to use.
type Real struct{}

var (
	_ Clock = Real{}
	_ Clock = (*Fake)(nil)
)

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AfterFunc is time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Sleep sleeps for d or until ctx is done, returning ctx's error then. A d
// of zero or less returns at once (ctx's error if it is already done).
func (Real) Sleep(ctx context.Context, d time.Duration) error {
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
