package sfnlocal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// resumeDef prepares, runs a task, and finishes.
const resumeDef = `{"StartAt":"A","States":{
  "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"T"},
  "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","ResultPath":"$.t","Next":"B"},
  "B":{"Type":"Pass","End":true}}}`

// countingInvoker answers every task with {"ok":true} and counts calls.
type countingInvoker struct{ calls atomic.Int64 }

func (c *countingInvoker) Invoke(context.Context, asl.TaskRequest) (any, error) {
	c.calls.Add(1)
	return map[string]any{"ok": true}, nil
}

func entered(id int64, typ, name, input string) storedEvent {
	return storedEvent{Timestamp: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), Type: typ, ID: id, Previous: id - 1,
		DetailsKey: "stateEnteredEventDetails", Details: map[string]any{"name": name, "input": input}}
}

func exited(id int64, typ, name, output, next string) storedEvent {
	return storedEvent{Timestamp: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), Type: typ, ID: id, Previous: id - 1,
		DetailsKey: "stateExitedEventDetails", Details: map[string]any{"name": name, "output": output}, Next: next}
}

func plain(id int64, typ string) storedEvent {
	return storedEvent{Timestamp: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), Type: typ, ID: id, Previous: id - 1}
}

// seedRunning writes what a process killed in the middle of an execution
// leaves: the RUNNING record, its running index entry and the history it
// had written (through the same log, so with its checkpoints).
func seedRunning(t *testing.T, st store.Store, rec executionRecord, evs []storedEvent) {
	t.Helper()
	ctx := context.Background()
	if err := (&Service{st: st}).persistStart(ctx, rec); err != nil {
		t.Fatal(err)
	}
	h := newHistoryLog(st, rec.MachineName, rec.Name, 0, 0)
	for _, e := range evs {
		h.add(e)
	}
	if err := h.flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	const (
		in     = `{"x":1}`
		afterA = `{"x":1,"a":1}`
		afterT = `{"x":1,"a":1,"t":{"ok":true}}`
	)
	started := func() storedEvent {
		e := plain(1, "ExecutionStarted")
		e.Previous = 0
		e.DetailsKey, e.Details = "executionStartedEventDetails", map[string]any{"input": in}
		return e
	}
	upToTask := []storedEvent{started(), entered(2, "PassStateEntered", "A", in), exited(3, "PassStateExited", "A", afterA, "T"),
		entered(4, "TaskStateEntered", "T", afterA), plain(5, "TaskScheduled"), plain(6, "TaskStarted")}
	taskDone := append(append([]storedEvent(nil), upToTask...), plain(7, "TaskSucceeded"), exited(8, "TaskStateExited", "T", afterT, "B"))
	allStates := append(append([]storedEvent(nil), taskDone...), entered(9, "PassStateEntered", "B", afterT), exited(10, "PassStateExited", "B", afterT, ""))
	succeeded := plain(11, "ExecutionSucceeded")
	succeeded.DetailsKey, succeeded.Details = "executionSucceededEventDetails", map[string]any{"output": afterT}

	cases := []struct {
		name     string
		evs      []storedEvent
		legacy   bool   // the history is one item, as older versions wrote it
		testCase string // the execution ran a mock test case (none is loaded)
		status   types.ExecutionStatus
		types    string // the whole history after the restart
		calls    int64
		cause    string
	}{
		{
			name: "nothing written after the start runs from the beginning", status: types.ExecutionStatusSucceeded, calls: 1,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted " +
				"LambdaFunctionSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
		},
		{
			name: "a task without its result runs again", evs: upToTask, status: types.ExecutionStatusSucceeded, calls: 1,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted " +
				"LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
		},
		{
			name: "a task with its result recorded does not run again", evs: taskDone, status: types.ExecutionStatusSucceeded,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted " +
				"TaskSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
		},
		{
			name: "the last state left, only the end is missing", evs: allStates, status: types.ExecutionStatusSucceeded,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted " +
				"TaskSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
		},
		{
			name: "ended, only the record missed it", evs: append(append([]storedEvent(nil), allStates...), succeeded), status: types.ExecutionStatusSucceeded,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted " +
				"TaskSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded",
		},
		{
			name: "a mock test case no longer loaded fails", evs: upToTask, testCase: "happy", status: types.ExecutionStatusFailed,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted ExecutionFailed",
			cause: `mock test case "happy"`,
		},
		{
			name: "a history of an older version fails", evs: upToTask, legacy: true, status: types.ExecutionStatusFailed,
			types: "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted ExecutionFailed",
			cause: "older version",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := memory.New(memory.Config{})
			start := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
			rec := executionRecord{ARN: "arn:aws:states:us-east-1:123456789012:execution:work:e1", Name: "e1",
				MachineARN: "arn:aws:states:us-east-1:123456789012:stateMachine:work", MachineName: "work", Definition: resumeDef,
				RoleARN: role, Input: in, Status: string(asl.StatusRunning), StartDate: start, TestCase: tc.testCase}
			if tc.legacy {
				if err := (&Service{st: st}).persistStart(ctx, rec); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(tc.evs)
				if _, err := st.Put(ctx, store.Item{Key: store.Key{Partition: partHistoryPrefix + "work", Sort: "e1"}, Value: b}, store.Condition{}); err != nil {
					t.Fatal(err)
				}
			} else {
				seedRunning(t, st, rec, tc.evs)
			}
			inv := &countingInvoker{}
			h := newHarness(t, st, func(c *ServiceConfig) { c.Invoker = inv })
			d := waitDone(t, h.client, rec.ARN)
			if d.Status != tc.status {
				t.Fatalf("status %s (%s: %s), want %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), tc.status)
			}
			if tc.status == types.ExecutionStatusSucceeded && aws.ToString(d.Output) != afterT {
				t.Errorf("output %s, want %s", aws.ToString(d.Output), afterT)
			}
			if !d.StartDate.Equal(start) {
				t.Errorf("start date %v, want %v", d.StartDate, start)
			}
			if tc.cause != "" && (!strings.HasPrefix(aws.ToString(d.Cause), RestartCause) || !strings.Contains(aws.ToString(d.Cause), tc.cause)) {
				t.Errorf("cause %q, want %q ... %q", aws.ToString(d.Cause), RestartCause, tc.cause)
			}
			if got := inv.calls.Load(); got != tc.calls {
				t.Errorf("task invoked %d times, want %d", got, tc.calls)
			}
			out, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(rec.ARN)})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(out.Events))
			for i, e := range out.Events {
				got[i] = string(e.Type)
				if e.Id != int64(i+1) || (i > 0 && e.PreviousEventId >= e.Id) {
					t.Errorf("event %d %s: id %d previous %d", i, e.Type, e.Id, e.PreviousEventId)
				}
			}
			if strings.Join(got, " ") != tc.types {
				t.Errorf("history\n%s\nwant\n%s", strings.Join(got, " "), tc.types)
			}
			// The running index is cleared just after the end is recorded
			// (which DescribeExecution shows): wait for it, within bounds.
			for deadline := time.Now().Add(5 * time.Second); ; {
				items, _ := st.Query(ctx, partRunning, "", 0)
				if len(items) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%d executions still indexed as running", len(items))
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// countingStore counts the items Query returns.
type countingStore struct {
	store.Store
	items atomic.Int64
}

func (c *countingStore) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	items, err := c.Store.Query(ctx, partition, prefix, limit)
	c.items.Add(int64(len(items)))
	return items, err
}

func TestHistoryPagesReadOnlyWhatTheyShow(t *testing.T) {
	ctx := context.Background()
	for _, items := range []int{40, 400} {
		t.Run(fmt.Sprintf("%d items", items), func(t *testing.T) {
			st := &countingStore{Store: memory.New(memory.Config{})}
			h := newHarness(t, st, nil)
			machine := h.create(t, "many", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, "")
			list := make([]int, items)
			in, _ := json.Marshal(list)
			arn := h.start(t, machine, "long", string(in))
			if d := waitDone(t, h.client, arn); d.Status != types.ExecutionStatusSucceeded {
				t.Fatalf("status %s", d.Status)
			}
			pages := func(size int32, reverse bool) []types.HistoryEvent {
				var got []types.HistoryEvent
				p := sfn.NewGetExecutionHistoryPaginator(h.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: size, ReverseOrder: reverse})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, page.Events...)
				}
				return got
			}
			all := pages(1000, false)
			n := len(all)
			if want := 4*items + 6; n != want {
				t.Fatalf("%d events, want %d", n, want)
			}
			for i, e := range all {
				if e.Id != int64(i+1) {
					t.Fatalf("event %d has id %d", i, e.Id)
				}
			}
			for _, reverse := range []bool{false, true} {
				got := pages(7, reverse)
				if len(got) != n {
					t.Fatalf("reverse %v: %d events in pages, want %d", reverse, len(got), n)
				}
				for i, e := range got {
					want := all[i]
					if reverse {
						want = all[n-1-i]
					}
					if e.Id != want.Id || e.Type != want.Type {
						t.Fatalf("reverse %v: event %d is %d %s, want %d %s", reverse, i, e.Id, e.Type, want.Id, want.Type)
					}
				}
			}
			// A page of two reads at most the stored chunks of two pages
			// of ids (and one per probe for the end), however long the
			// history is.
			for _, reverse := range []bool{false, true} {
				before := st.items.Load()
				out, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 2, ReverseOrder: reverse})
				if err != nil || len(out.Events) != 2 || out.NextToken == nil {
					t.Fatalf("page of 2 = %+v, %v", out, err)
				}
				if read := st.items.Load() - before; read > 2*historyPage {
					t.Errorf("reverse %v: a page of 2 read %d stored items of a history of %d events", reverse, read, n)
				}
			}
		})
	}
	h := newHarness(t, memory.New(memory.Config{}), nil)
	arn := h.start(t, h.create(t, "short", passDef, ""), "one", `{}`)
	waitDone(t, h.client, arn)
	for _, tok := range []string{encodeToken(0), encodeToken(99), "garbage"} {
		_, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), NextToken: aws.String(tok)})
		wantAPIError[*types.InvalidToken](t, err)
	}
}

// startGate blocks the write of a RUNNING execution record until gate
// is closed, telling reached when it gets there.
type startGate struct {
	store.Store
	once    sync.Once
	reached chan struct{}
	gate    chan struct{}
}

func (g *startGate) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if strings.HasPrefix(it.Key.Partition, partExecPrefix) && cond.IfAbsent {
		g.once.Do(func() { close(g.reached) })
		<-g.gate
	}
	return g.Store.Put(ctx, it, cond)
}

func TestCloseWaitsForAnExecutionBeingStarted(t *testing.T) {
	st := &startGate{Store: memory.New(memory.Config{}), reached: make(chan struct{}), gate: make(chan struct{})}
	h := newHarness(t, st, nil)
	machine := h.create(t, "slow", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, "")
	startErr := make(chan error, 1)
	go func() {
		_, err := h.svc.startExecution(context.Background(), &startExecutionInput{StateMachineArn: machine, Name: "late", Input: "{}"})
		startErr <- err
	}()
	<-st.reached
	closed := make(chan struct{})
	go func() {
		h.svc.Close()
		close(closed)
	}()
	for {
		h.svc.mu.Lock()
		c := h.svc.closed
		h.svc.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while an execution was being started")
	default:
	}
	close(st.gate)
	<-closed
	if err := <-startErr; !isCode(err, ErrCodeServiceUnavailable) {
		t.Fatalf("StartExecution racing Close = %v, want %s", err, ErrCodeServiceUnavailable)
	}
	h.svc.mu.Lock()
	r := h.svc.running["arn:aws:states:us-east-1:123456789012:execution:slow:late"]
	h.svc.mu.Unlock()
	if r == nil {
		t.Fatal("the execution started while closing is not tracked")
	}
	select {
	case <-r.ex.Done():
	default:
		t.Fatal("Close returned while the execution it raced with still runs")
	}
	// Left RUNNING for the next Service to resume.
	rec, err := h.svc.getExecution(context.Background(), r.rec.ARN)
	if err != nil || rec.Status != string(asl.StatusRunning) {
		t.Fatalf("record after Close = %+v, %v", rec, err)
	}
}

func TestDeferResumeWaitsForResumeExecutions(t *testing.T) {
	st := memory.New(memory.Config{})
	rec := executionRecord{ARN: "arn:aws:states:us-east-1:123456789012:execution:work:later", Name: "later",
		MachineARN: "arn:aws:states:us-east-1:123456789012:stateMachine:work", MachineName: "work", Definition: resumeDef,
		RoleARN: role, Input: `{}`, Status: string(asl.StatusRunning), StartDate: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)}
	seedRunning(t, st, rec, nil)
	inv := &countingInvoker{}
	h := newHarness(t, st, func(c *ServiceConfig) { c.Invoker, c.DeferResume = inv, true })
	ctx := context.Background()
	d, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(rec.ARN)})
	if err != nil || d.Status != types.ExecutionStatusRunning || inv.calls.Load() != 0 {
		t.Fatalf("before ResumeExecutions: %+v, %v, %d task calls", d, err, inv.calls.Load())
	}
	if err := h.svc.ResumeExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, h.client, rec.ARN); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("after ResumeExecutions: %s", d.Status)
	}
	// Only the first call resumes.
	if err := h.svc.ResumeExecutions(ctx); err != nil || inv.calls.Load() != 1 {
		t.Fatalf("second ResumeExecutions: %v, %d task calls", err, inv.calls.Load())
	}
}

func TestRunningHistoryShowsItsStartAtOnce(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	arn := h.start(t, h.create(t, "approval", callbackDef, ""), "now", `{"order":1}`)
	out, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) == 0 || out.Events[0].Type != types.HistoryEventTypeExecutionStarted ||
		aws.ToString(out.Events[0].ExecutionStartedEventDetails.Input) != `{"order":1}` {
		t.Fatalf("history right after StartExecution = %+v", out.Events)
	}
	h.inv.token(t)
}

// blockingInvoker holds every task until its context ends, telling
// started when one arrives.
type blockingInvoker struct{ started chan struct{} }

func (b *blockingInvoker) Invoke(ctx context.Context, _ asl.TaskRequest) (any, error) {
	select {
	case b.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestResumeTwice stops the process again while the resumed execution
// runs its task: the next one resumes from the same state, the history of
// all three processes one continuous line.
func TestResumeTwice(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	rec := executionRecord{ARN: "arn:aws:states:us-east-1:123456789012:execution:work:twice", Name: "twice",
		MachineARN: "arn:aws:states:us-east-1:123456789012:stateMachine:work", MachineName: "work", Definition: resumeDef,
		RoleARN: role, Input: `{}`, Status: string(asl.StatusRunning), StartDate: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)}
	// The first process recorded entering T (and nothing after it).
	begin := plain(1, "ExecutionStarted")
	begin.Previous, begin.DetailsKey, begin.Details = 0, "executionStartedEventDetails", map[string]any{"input": `{}`}
	seedRunning(t, st, rec, []storedEvent{begin, entered(2, "PassStateEntered", "A", `{}`),
		exited(3, "PassStateExited", "A", `{"a":1}`, "T"), entered(4, "TaskStateEntered", "T", `{"a":1}`)})

	block := &blockingInvoker{started: make(chan struct{}, 1)}
	second := newHarness(t, st, func(c *ServiceConfig) { c.Invoker = block })
	<-block.started
	// The task's scheduling is written asynchronously: wait for it.
	for deadline := time.Now().Add(5 * time.Second); ; {
		last, err := lastEventID(ctx, st, "work", "twice")
		if err != nil {
			t.Fatal(err)
		}
		if last >= 6 { // and the second recorded scheduling and starting T's task
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed execution's task is not recorded: %d events", last)
		}
		time.Sleep(time.Millisecond)
	}
	second.srv.Close()
	if err := second.svc.Close(); err != nil {
		t.Fatal(err)
	}

	inv := &countingInvoker{}
	third := newHarness(t, st, func(c *ServiceConfig) { c.Invoker = inv })
	d := waitDone(t, third.client, rec.ARN)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"a":1,"t":{"ok":true}}` || inv.calls.Load() != 1 {
		t.Fatalf("ended %s with %s after %d task calls", d.Status, aws.ToString(d.Output), inv.calls.Load())
	}
	out, err := third.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(rec.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range out.Events {
		got = append(got, string(e.Type))
		if e.Id != int64(i+1) || (i > 0 && e.PreviousEventId >= e.Id) {
			t.Errorf("event %d %s: id %d previous %d", i, e.Type, e.Id, e.PreviousEventId)
		}
	}
	// The second process resumed at T and wrote only task events (their
	// chunks keep T as the checkpoint); the third resumed at T again.
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted " +
		"LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if strings.Join(got, " ") != want {
		t.Errorf("history\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func TestHistoryChunksStaySmall(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	h := newHistoryLog(st, "m", "big", 0, 0)
	payload := strings.Repeat("x", 100<<10)
	for id := int64(1); id <= 10; id++ {
		h.add(storedEvent{Type: "PassStateEntered", ID: id, Previous: id - 1, DetailsKey: "stateEnteredEventDetails",
			Details: map[string]any{"name": "P", "input": payload}})
	}
	if err := h.flush(ctx); err != nil {
		t.Fatal(err)
	}
	items, err := st.Query(ctx, partHistoryPrefix+"m", pagePrefix("big", 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 4 {
		t.Errorf("10 events of 100 KB in %d items", len(items))
	}
	for _, it := range items {
		if len(it.Value) > maxChunkBytes {
			var c historyChunk
			_ = json.Unmarshal(it.Value, &c)
			if len(c.Events) > 1 {
				t.Errorf("item %s: %d bytes for %d events", it.Key.Sort, len(it.Value), len(c.Events))
			}
		}
	}
	evs, err := readEvents(ctx, st, "m", "big", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
	}
	if len(evs) != 10 {
		t.Fatalf("%d events read back", len(evs))
	}
	if last, err := lastEventID(ctx, st, "m", "big"); err != nil || last != 10 {
		t.Fatalf("last event id %d, %v", last, err)
	}
}
