package asl

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestResume(t *testing.T) {
	t0 := benchStart
	const waitDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},
		"W":{"Type":"Wait","Seconds":10,"Next":"Done"},"Done":{"Type":"Pass","End":true}}}`
	const tsDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.until","End":true}}}`
	const taskDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
		"Parameters":{"start.$":"$$.Execution.StartTime","entered.$":"$$.State.EnteredTime","name.$":"$$.Execution.Name","in.$":"$$.Execution.Input.n","v.$":"$.v"},
		"End":true}}}`
	const timeoutDef = `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`
	cases := []struct {
		name      string
		def       string
		rp        ResumePoint
		now       time.Time // the clock when resuming
		wantOut   string
		wantTypes string // the events recorded by the resumed run
		wantClock time.Time
		wantCalls int64
		status    Status
	}{
		{
			name: "wait continues with what remains", def: waitDef,
			rp:  ResumePoint{State: "W", Input: map[string]any{"a": 1.0}, Entered: true, EnteredAt: t0.Add(time.Second), StartTime: t0, LastEventID: 4},
			now: t0.Add(8 * time.Second), wantOut: `{"a":1}`,
			wantTypes: "WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded",
			wantClock: t0.Add(11 * time.Second), status: StatusSucceeded,
		},
		{
			name: "wait already over", def: waitDef,
			rp:  ResumePoint{State: "W", Input: map[string]any{}, Entered: true, EnteredAt: t0, StartTime: t0, LastEventID: 4},
			now: t0.Add(time.Hour), wantOut: `{}`,
			wantTypes: "WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded",
			wantClock: t0.Add(time.Hour), status: StatusSucceeded,
		},
		{
			name: "wait not yet entered waits in full", def: waitDef,
			rp:  ResumePoint{State: "W", Input: map[string]any{}, StartTime: t0, LastEventID: 3},
			now: t0.Add(time.Minute), wantOut: `{}`,
			wantTypes: "WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded",
			wantClock: t0.Add(time.Minute + 10*time.Second), status: StatusSucceeded,
		},
		{
			name: "nothing entered starts at StartAt", def: waitDef,
			rp:  ResumePoint{Input: map[string]any{"b": 2.0}, StartTime: t0, LastEventID: 1},
			now: t0.Add(time.Minute), wantOut: `{"b":2}`,
			wantTypes: "PassStateEntered PassStateExited WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded",
			wantClock: t0.Add(time.Minute + 10*time.Second), status: StatusSucceeded,
		},
		{
			name: "timestamp wait ends at its timestamp", def: tsDef,
			rp: ResumePoint{State: "W", Input: map[string]any{"until": "2024-01-02T03:05:00Z"}, Entered: true, EnteredAt: t0,
				StartTime: t0, LastEventID: 2},
			now: t0.Add(30 * time.Second), wantOut: `{"until":"2024-01-02T03:05:00Z"}`,
			wantTypes: "WaitStateExited ExecutionSucceeded",
			wantClock: time.Date(2024, 1, 2, 3, 5, 0, 0, time.UTC), status: StatusSucceeded,
		},
		{
			name: "task without a recorded result runs again with the same context", def: taskDef,
			rp: ResumePoint{State: "T", Input: map[string]any{"v": "x"}, Entered: true, EnteredAt: t0.Add(2 * time.Second),
				StartTime: t0, LastEventID: 6},
			now:       t0.Add(time.Minute),
			wantOut:   `{"start":"2024-01-02T03:04:05.000Z","entered":"2024-01-02T03:04:07.000Z","name":"resumed","in":7,"v":"x"}`,
			wantTypes: "LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded",
			wantClock: t0.Add(time.Minute), wantCalls: 1, status: StatusSucceeded,
		},
		{
			name: "timeout counts from the first start", def: timeoutDef,
			rp:  ResumePoint{State: "W", Input: map[string]any{}, Entered: true, EnteredAt: t0, StartTime: t0, LastEventID: 2},
			now: t0.Add(3 * time.Second), wantTypes: "WaitStateAborted ExecutionTimedOut",
			wantClock: t0.Add(5 * time.Second), status: StatusTimedOut,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewFastClock(tc.now)
			var calls atomic.Int64
			inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
				calls.Add(1)
				return req.Input, nil
			})
			rp := tc.rp
			ex, err := compile(t, tc.def).Start(context.Background(), ExecutionConfig{
				Name: "resumed", Input: map[string]any{"n": 7.0}, Clock: clock, Invoker: inv, History: true, Resume: &rp})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ex.Wait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %s (%s: %s), want %s", res.Status, res.Error, res.Cause, tc.status)
			}
			if tc.wantOut != "" {
				assertOutput(t, res, tc.wantOut)
			}
			h := ex.History()
			types := make([]string, len(h))
			for i, e := range h {
				types[i] = e.Type
				if want := tc.rp.LastEventID + int64(i) + 1; e.ID != want {
					t.Errorf("event %d %s has id %d, want %d", i, e.Type, e.ID, want)
				}
			}
			if got := strings.Join(types, " "); got != tc.wantTypes {
				t.Errorf("events %q, want %q", got, tc.wantTypes)
			}
			if h[0].PreviousEventID != tc.rp.LastEventID {
				t.Errorf("first event follows %d, want %d", h[0].PreviousEventID, tc.rp.LastEventID)
			}
			if !ex.StartTime().Equal(t0) {
				t.Errorf("start time %v, want %v", ex.StartTime(), t0)
			}
			if got := clock.Now(); !got.Equal(tc.wantClock) {
				t.Errorf("clock at %v, want %v", got, tc.wantClock)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("task invoked %d times, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestResumeRefusesBadPoints(t *testing.T) {
	sm := compile(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	t0 := benchStart
	cases := []struct {
		name string
		rp   ResumePoint
		want string
	}{
		{"unknown state", ResumePoint{State: "Gone", StartTime: t0, LastEventID: 1}, `"Gone" is not a top-level state`},
		{"entered without a state", ResumePoint{Entered: true, EnteredAt: t0, StartTime: t0, LastEventID: 2}, "State is required"},
		{"no start time", ResumePoint{State: "P", LastEventID: 1}, "StartTime is required"},
		{"no history", ResumePoint{State: "P", StartTime: t0}, "LastEventID 0"},
		{"entered without a time", ResumePoint{State: "P", Entered: true, StartTime: t0, LastEventID: 2}, "EnteredAt is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp := tc.rp
			_, err := sm.Start(context.Background(), ExecutionConfig{Resume: &rp, Clock: NewFastClock(t0)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start = %v, want an error with %q", err, tc.want)
			}
			if tc.name == "unknown state" && !errors.Is(err, ErrResumeState) {
				t.Errorf("error %v is not ErrResumeState", err)
			}
		})
	}
}

func TestCheckpointFollowsTopLevel(t *testing.T) {
	def := `{"StartAt":"Par","States":{
		"Par":{"Type":"Parallel","Branches":[
			{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},
			{"StartAt":"B2","States":{"B2":{"Type":"Wait","Seconds":1,"End":true}}}],"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$[0].items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"Last"},
		"Last":{"Type":"Pass","End":true}}}`
	ex, res := runDef(t, def, `{"items":[1,2,3]}`, ExecutionConfig{History: true})
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	h := ex.History()
	// After each event, the checkpoint must be the last top-level state
	// event so far.
	var c Checkpoint
	want := ""
	for _, e := range h {
		c.Observe(e)
		if name, _ := e.Details["name"].(string); (name == "Par" || name == "M" || name == "Last") &&
			(strings.HasSuffix(e.Type, "StateEntered") || strings.HasSuffix(e.Type, "StateExited")) {
			want = e.Type + " " + name
		}
		last, ok := c.Last()
		got := ""
		if ok {
			got = last.Type + " " + last.Details["name"].(string)
		}
		if got != want {
			t.Fatalf("after event %d %s the checkpoint is %q, want %q", e.ID, e.Type, got, want)
		}
	}
	nexts := map[string]string{}
	for _, e := range h {
		if strings.HasSuffix(e.Type, "StateExited") {
			nexts[e.Details["name"].(string)] = e.Next
		}
	}
	if nexts["Par"] != "M" || nexts["M"] != "Last" || nexts["Last"] != "" || nexts["B1"] != "" {
		t.Errorf("Next of exited states = %v", nexts)
	}
}
