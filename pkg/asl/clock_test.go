package asl

import (
	"context"
	"testing"
	"time"
)

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
