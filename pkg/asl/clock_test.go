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

func TestVirtualTimeOverlapsInParallelAndMap(t *testing.T) {
	tests := []struct {
		name, def, input string
		want             time.Duration
	}{
		{"parallel", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"W","Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":30,"Next":"A2"},"A2":{"Type":"Wait","Seconds":30,"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":45,"End":true}}}]},
			"W":{"Type":"Wait","Seconds":5,"End":true}}}`, `{}`, 65 * time.Second},
		{"map unlimited", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"W","States":{
			"W":{"Type":"Wait","SecondsPath":"$","End":true}}}}}}`, `[10,20,30,5,5,5]`, 30 * time.Second},
		{"map one at a time", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,"ItemProcessor":{"StartAt":"W","States":{
			"W":{"Type":"Wait","SecondsPath":"$","End":true}}}}}}`, `[10,20,30]`, 60 * time.Second},
		{"timeout not reached by overlapping waits", `{"TimeoutSeconds":40,"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":30,"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":30,"End":true}}},
			{"StartAt":"C","States":{"C":{"Type":"Wait","Seconds":30,"End":true}}}]}}}`, `{}`, 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 20; i++ {
				clock := NewFastClock(benchStart)
				_, res := runDef(t, tc.def, tc.input, ExecutionConfig{Clock: clock})
				if res.Status != StatusSucceeded {
					t.Fatalf("%+v", res)
				}
				if got := clock.Now().Sub(benchStart); got != tc.want {
					t.Fatalf("run %d: virtual time %v, want %v", i, got, tc.want)
				}
			}
		})
	}
}

func TestOtherBranchWaitDoesNotTimeOutTask(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"End":true}}},
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}]}}}`
	inv := TaskInvokerFunc(func(ctx context.Context, req TaskRequest) (any, error) {
		time.Sleep(20 * time.Millisecond) // real work while the other branch's wait jumps the clock
		return "done", nil
	})
	_, res := runDef(t, def, `{}`, ExecutionConfig{Invoker: inv})
	assertOutput(t, res, `["done",{}]`)
}
