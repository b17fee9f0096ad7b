package asl

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestFastClock(t *testing.T) {
	c := NewFastClock(benchStart)
	fired := c.After(10 * time.Second)
	if err := c.Sleep(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
		t.Fatal("timer fired early")
	default:
	}
	// Overlapping sleepers move the clock to the latest wake-up; sleepers
	// that do not overlap add up. Either way it is at least the longest.
	var wg sync.WaitGroup
	for _, d := range []time.Duration{3 * time.Second, 7 * time.Second, time.Second} {
		wg.Add(1)
		go func(d time.Duration) {
			defer wg.Done()
			_ = c.Sleep(context.Background(), d)
		}(d)
	}
	wg.Wait()
	if got := c.Now().Sub(benchStart); got < 12*time.Second || got > 16*time.Second {
		t.Errorf("clock advanced %v", got)
	}
	select {
	case at := <-fired:
		if at.Before(benchStart.Add(10 * time.Second)) {
			t.Errorf("fired at %v", at)
		}
	default:
		t.Fatal("timer did not fire")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err == nil {
		t.Error("Sleep ignored a cancelled context")
	}
	if c.Now().Sub(benchStart) > time.Hour {
		t.Error("a cancelled Sleep moved the clock")
	}
	select {
	case <-c.After(0):
	default:
		t.Error("After(0) did not fire at once")
	}
}

func TestRealClockSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (RealClock{}).Sleep(ctx, time.Hour); err == nil {
		t.Fatal("Sleep ignored a cancelled context")
	}
}
