package resilience

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// settledGoroutines waits (briefly, in real time: goroutines exit on their
// own schedule) until at most want goroutines run, and returns the count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > want; i++ {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestBulkheadUnderTenTimesCapacity(t *testing.T) {
	limits := BulkheadLimits{MaxConcurrent: 5, MaxQueued: 20, QueueTimeout: time.Minute}
	fake := clock.NewFake(time.Unix(0, 0))
	b, err := NewBulkhead("file", limits, fake.After)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	capacity := limits.MaxConcurrent + limits.MaxQueued
	callers := 10 * capacity

	release := make(chan struct{})
	var running, peak, ran, full atomic.Int64
	var wg sync.WaitGroup
	rejected := make(chan struct{}, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Acquire(context.Background()); err != nil {
				if !errors.Is(err, ErrBulkheadFull) || faas.ErrorName(err) != ErrNameBulkheadFull {
					t.Errorf("error %v (%s), want %s", err, faas.ErrorName(err), ErrNameBulkheadFull)
				}
				full.Add(1)
				rejected <- struct{}{}
				return
			}
			defer b.Release()
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			ran.Add(1)
		}()
	}
	// Every caller beyond capacity is refused at once, without waiting.
	for i := 0; i < callers-capacity; i++ {
		<-rejected
	}
	st := b.Status()
	if st.InUse != limits.MaxConcurrent || st.Queued != limits.MaxQueued {
		t.Errorf("status %+v, want %d in use and %d queued", st, limits.MaxConcurrent, limits.MaxQueued)
	}
	close(release)
	wg.Wait()
	if got := full.Load(); got != int64(callers-capacity) {
		t.Errorf("%d refused, want %d", got, callers-capacity)
	}
	if got := ran.Load(); got != int64(capacity) {
		t.Errorf("%d ran, want %d", got, capacity)
	}
	if got := peak.Load(); got > int64(limits.MaxConcurrent) {
		t.Errorf("%d ran at once, limit %d", got, limits.MaxConcurrent)
	}
	if st := b.Status(); st.InUse != 0 || st.Queued != 0 {
		t.Errorf("after: %+v", st)
	}
	if after := settledGoroutines(before); after > before {
		t.Errorf("%d goroutines before, %d after: leaked", before, after)
	}
}

func TestBulkheadQueueTimeoutAndContext(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	b, err := NewBulkhead("database", BulkheadLimits{MaxConcurrent: 1, MaxQueued: 2, QueueTimeout: 30 * time.Second}, fake.After)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	timedOut := make(chan error, 1)
	go func() { timedOut <- b.Acquire(context.Background()) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() { cancelled <- b.Acquire(ctx) }()
	for fake.Waiters() < 2 {
		runtime.Gosched()
	}
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	fake.Advance(30 * time.Second)
	if err := <-timedOut; faas.ErrorName(err) != ErrNameBulkheadFull {
		t.Errorf("timed out caller: %v", err)
	}
	if st := b.Status(); st.Queued != 0 || st.InUse != 1 {
		t.Errorf("status %+v", st)
	}
	b.Release()
}

func TestBulkheadLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		limits BulkheadLimits
		want   string
	}{
		{BulkheadLimits{MaxConcurrent: 0}, "maxConcurrent"},
		{BulkheadLimits{MaxConcurrent: 1, MaxQueued: -1}, "maxQueued"},
		{BulkheadLimits{MaxConcurrent: 1, QueueTimeout: -time.Second}, "queueTimeout"},
	} {
		err := tc.limits.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.limits, err, tc.want)
		}
	}
}
