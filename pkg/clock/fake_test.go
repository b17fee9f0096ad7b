package clock

import (
	"context"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fired reports whether ch has received, without waiting.
func fired(ch <-chan time.Time) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestFakeMoves(t *testing.T) {
	tests := []struct {
		name string
		move func(t *testing.T, c *Fake)
		want time.Duration // from t0
	}{
		{"Advance", func(_ *testing.T, c *Fake) { c.Advance(3 * time.Second) }, 3 * time.Second},
		{"Advance twice adds up", func(_ *testing.T, c *Fake) { c.Advance(time.Second); c.Advance(2 * time.Second) }, 3 * time.Second},
		{"AdvanceTo later", func(_ *testing.T, c *Fake) { c.AdvanceTo(t0.Add(time.Minute)) }, time.Minute},
		{"AdvanceTo earlier never goes back", func(_ *testing.T, c *Fake) { c.Advance(time.Minute); c.AdvanceTo(t0) }, time.Minute},
		{"Sleep moves instead of blocking", func(_ *testing.T, c *Fake) { _ = c.Sleep(context.Background(), time.Hour) }, time.Hour},
		{"Sleep on a done context leaves it", func(t *testing.T, c *Fake) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := c.Sleep(ctx, time.Hour); err == nil {
				t.Error("Sleep ignored a cancelled context")
			}
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewFake(t0)
			tc.move(t, c)
			if got := c.Now().Sub(t0); got != tc.want {
				t.Errorf("moved %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFakeFiresWhenDue(t *testing.T) {
	c := NewFake(t0)
	var order []string
	stopLate := c.AfterFunc(20*time.Second, func() { order = append(order, "late") })
	c.AfterFunc(10*time.Second, func() { order = append(order, "func10") })
	ch := c.After(10 * time.Second)
	stopped := c.AfterFunc(10*time.Second, func() { order = append(order, "stopped") })
	if !stopped() {
		t.Fatal("stop of a pending AfterFunc reported false")
	}
	if stopped() {
		t.Error("second stop reported true")
	}
	if w := c.Waiters(); w != 3 {
		t.Fatalf("Waiters = %d, want 3", w)
	}
	c.Advance(9 * time.Second)
	if fired(ch) || len(order) != 0 {
		t.Fatalf("fired early: channel %v, funcs %v", fired(ch), order)
	}
	c.Advance(time.Second)
	select {
	case at := <-ch:
		if !at.Equal(t0.Add(10 * time.Second)) {
			t.Errorf("After received %v", at)
		}
	default:
		t.Fatal("After did not fire when due")
	}
	if len(order) != 1 || order[0] != "func10" {
		t.Fatalf("callbacks after 10s: %v", order)
	}
	if !stopLate() {
		t.Error("could not stop the 20s callback")
	}
	c.Advance(time.Hour)
	if len(order) != 1 || c.Waiters() != 0 {
		t.Errorf("after stop: callbacks %v, waiters %d", order, c.Waiters())
	}
}

func TestFakeDueAtOnce(t *testing.T) {
	c := NewFake(t0)
	if !fired(c.After(0)) {
		t.Error("After(0) did not fire at once")
	}
	done := make(chan struct{})
	stop := c.AfterFunc(-time.Second, func() { close(done) })
	<-done // runs on its own goroutine, without any Advance
	if stop() {
		t.Error("stop of a callback already called reported true")
	}
}

// Concurrent movers never lose each other's steps, and a Sleep fires the
// timers it passes.
func TestFakeConcurrentSleeps(t *testing.T) {
	c := NewFake(t0)
	ch := c.After(50 * time.Second)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Sleep(context.Background(), time.Second)
		}()
	}
	wg.Wait()
	if got := c.Now().Sub(t0); got != 100*time.Second {
		t.Errorf("100 sleeps of 1s moved %v", got)
	}
	if !fired(ch) {
		t.Error("a timer passed by Sleep did not fire")
	}
}

func TestRealSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range []time.Duration{0, time.Hour} {
		if err := (Real{}).Sleep(ctx, d); err == nil {
			t.Errorf("Sleep(%v) on a cancelled context returned nil", d)
		}
	}
	if err := (Real{}).Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
}

// Sleeps in concurrent lanes overlap: the clock and the joined parent lane
// end at the latest wake-up, not at the sum.
func TestFakeLanesOverlap(t *testing.T) {
	tests := []struct {
		name   string
		sleeps [][]time.Duration // per child lane, one after another
		want   time.Duration
	}{
		{"parallel waits overlap", [][]time.Duration{{3 * time.Second}, {7 * time.Second}, {time.Second}}, 7 * time.Second},
		{"waits in one lane add up", [][]time.Duration{{3 * time.Second, 4 * time.Second}, {5 * time.Second}}, 7 * time.Second},
		{"no children", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewFake(t0)
			ctx := c.WithLane(context.Background())
			fork, join := ForkLanes(ctx)
			lanes := make([]*Lane, len(tc.sleeps))
			var wg sync.WaitGroup
			for i, ds := range tc.sleeps {
				lctx, l := fork()
				lanes[i] = l
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, d := range ds {
						_ = c.Sleep(lctx, d)
					}
				}()
			}
			wg.Wait()
			join(lanes)
			if got := c.Now().Sub(t0); got != tc.want {
				t.Errorf("clock moved %v, want %v", got, tc.want)
			}
			if got := LaneOf(ctx).Now().Sub(t0); got != tc.want {
				t.Errorf("parent lane moved %v, want %v", got, tc.want)
			}
		})
	}
}

func TestForkLanesWithoutLane(t *testing.T) {
	ctx := context.Background()
	fork, join := ForkLanes(ctx)
	got, l := fork()
	if got != ctx || l != nil {
		t.Errorf("fork without a lane = %v, %v; want ctx, nil", got, l)
	}
	join([]*Lane{nil}) // must not panic
	if LaneOf(ctx) != nil {
		t.Error("LaneOf found a lane in a plain context")
	}
}
