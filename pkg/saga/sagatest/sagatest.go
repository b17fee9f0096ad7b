// Package sagatest is the barrier contract suite: the saga anomalies
// (duplicate delivery, null compensation, hanging, crashes between the
// barrier and the effect, concurrent action and compensation), the saga
// record (one input per saga id) and the outbox relay, checked
// against any store.Store, so the embedded stores and DynamoDB through moto
// are held to the same behaviour.
package sagatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// NewStore returns a fresh, empty store for one subtest.
type NewStore func(t *testing.T) store.Store

// account is a toy business effect keyed by saga id: a balance that the
// action moves by 10 and the compensation moves back, with a per-saga
// record (applied / undone tombstone) so both are idempotent.
type account struct {
	mu      sync.Mutex
	balance int
	state   map[string]string // saga id -> "applied" | "undone"
	does    atomic.Int32
	undos   atomic.Int32
}

func newAccount() *account { return &account{state: map[string]string{}} }

func (a *account) do(sagaID string) saga.Effect {
	return func(context.Context) (json.RawMessage, error) {
		a.does.Add(1)
		a.mu.Lock()
		defer a.mu.Unlock()
		switch a.state[sagaID] {
		case "":
			a.balance += 10
			a.state[sagaID] = "applied"
		case "undone":
			return nil, saga.Business("saga %s was compensated", sagaID)
		}
		return json.RawMessage(fmt.Sprintf(`{"balance":%d}`, a.balance)), nil
	}
}

func (a *account) undo(sagaID string) saga.Effect {
	return func(context.Context) (json.RawMessage, error) {
		a.undos.Add(1)
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.state[sagaID] == "applied" {
			a.balance -= 10
		}
		a.state[sagaID] = "undone"
		return nil, nil
	}
}

func (a *account) get() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// Run runs every barrier scenario against stores from newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, b *saga.Barrier, s store.Store)
	}{
		{"duplicate action answers the first result", testDuplicateAction},
		{"duplicate compensation runs once", testDuplicateCompensation},
		{"null compensation does nothing and blocks the action", testNullCompensation},
		{"hanging action after compensation is refused", testHanging},
		{"business failure is recorded and its compensation is null", testBusinessFailure},
		{"crash after the effect: retry finishes, no second effect", testCrashAfterEffect},
		{"crash after the effect: compensation undoes it", testCrashThenCompensate},
		{"action overtaken by its compensation undoes itself", testOvertaken},
		{"transient compensation failure is retried", testCompensationRetry},
		{"concurrent action and compensation end consistent", testConcurrent},
		{"status lists steps and phases", testStatus},
		{"missing saga id is invalid input", testMissingID},
		{"concurrent begins with two inputs: one saga, the rest conflict", testConcurrentBegins},
		{"outbox: events accepted while the bus is down are relayed once", testOutboxRelay},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			b, err := saga.NewBarrier(saga.BarrierConfig{Store: s})
			if err != nil {
				t.Fatal(err)
			}
			c.fn(t, b, s)
		})
	}
}

func id(sagaID, step string) saga.ID { return saga.ID{SagaID: sagaID, Saga: "test", Step: step} }

func wantName(t *testing.T, err error, name string) {
	t.Helper()
	if got := faas.ErrorName(err); err == nil || got != name {
		t.Fatalf("error = %v (%s), want %s", err, got, name)
	}
}

func testDuplicateAction(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	first, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	if err != nil || !second.Duplicate || string(second.Result) != string(first.Result) {
		t.Fatalf("second: %+v %v, want duplicate of %s", second, err, first.Result)
	}
	if a.does.Load() != 1 || a.get() != 10 {
		t.Fatalf("effect ran %d times, balance %d", a.does.Load(), a.get())
	}
}

func testDuplicateCompensation(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	if _, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		out, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1"))
		if err != nil || out.Null || out.Duplicate != (i > 0) {
			t.Fatalf("compensation %d: %+v %v", i, out, err)
		}
	}
	if a.undos.Load() != 1 || a.get() != 0 {
		t.Fatalf("undo ran %d times, balance %d", a.undos.Load(), a.get())
	}
}

func testNullCompensation(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	out, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1"))
	if err != nil || !out.Null {
		t.Fatalf("compensation: %+v %v, want null", out, err)
	}
	if a.undos.Load() != 0 {
		t.Fatal("null compensation called the undo")
	}
	_, err = b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	wantName(t, err, saga.ErrHanging)
	if a.does.Load() != 0 || a.get() != 0 {
		t.Fatalf("late action ran: does %d balance %d", a.does.Load(), a.get())
	}
}

func testHanging(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	if _, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	_, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	wantName(t, err, saga.ErrHanging)
	if a.does.Load() != 1 || a.get() != 0 {
		t.Fatalf("does %d, balance %d", a.does.Load(), a.get())
	}
	// A different saga whose compensation came first refuses its action.
	if _, err := b.Compensate(ctx, id("s2", "pay"), a.undo("s2")); err != nil {
		t.Fatal(err)
	}
	_, err = b.Forward(ctx, id("s2", "pay"), a.do("s2"), a.undo("s2"))
	wantName(t, err, saga.ErrHanging)
	if a.does.Load() != 1 {
		t.Fatal("hanging action ran")
	}
}

func testBusinessFailure(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	calls := 0
	refuse := func(context.Context) (json.RawMessage, error) { calls++; return nil, saga.Business("declined") }
	_, err := b.Forward(ctx, id("s1", "pay"), refuse, nil)
	wantName(t, err, saga.ErrBusiness)
	out, err := b.Forward(ctx, id("s1", "pay"), refuse, nil)
	wantName(t, err, saga.ErrBusiness)
	if !out.Duplicate || calls != 1 {
		t.Fatalf("repeat of a refused action: %+v, calls %d", out, calls)
	}
	a := newAccount()
	c, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1"))
	if err != nil || !c.Null || a.undos.Load() != 0 {
		t.Fatalf("compensation of a refused action: %+v %v undos %d", c, err, a.undos.Load())
	}
}

// crash runs the effect and then fails like a process that died before
// recording the result: the record stays pending.
func crash(e saga.Effect) saga.Effect {
	return func(ctx context.Context) (json.RawMessage, error) {
		if _, err := e(ctx); err != nil {
			return nil, err
		}
		return nil, errors.New("process died")
	}
}

func testCrashAfterEffect(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	_, err := b.Forward(ctx, id("s1", "pay"), crash(a.do("s1")), a.undo("s1"))
	wantName(t, err, saga.ErrTransient)
	out, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	if err != nil || out.Duplicate || out.Attempt != 2 {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if a.get() != 10 {
		t.Fatalf("balance %d after a crash and a retry, want 10 (one effect)", a.get())
	}
}

func testCrashThenCompensate(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	_, err := b.Forward(ctx, id("s1", "pay"), crash(a.do("s1")), a.undo("s1"))
	wantName(t, err, saga.ErrTransient)
	out, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1"))
	if err != nil || out.Null {
		t.Fatalf("compensation of a pending action: %+v %v", out, err)
	}
	if a.get() != 0 {
		t.Fatalf("balance %d, want 0", a.get())
	}
	_, err = b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1"))
	wantName(t, err, saga.ErrHanging)
	if a.get() != 0 {
		t.Fatalf("balance %d after a late retry, want 0", a.get())
	}
}

func testOvertaken(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	a := newAccount()
	// The compensation runs while the action works (between its barrier
	// write and its effect), as when a timed-out attempt is still running.
	slow := func(ctx context.Context) (json.RawMessage, error) {
		if _, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1")); err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.balance += 10 // an effect that ignores the tombstone
		a.mu.Unlock()
		return json.RawMessage(`{}`), nil
	}
	undone := 0
	undo := func(ctx context.Context) (json.RawMessage, error) {
		undone++
		a.mu.Lock()
		a.balance -= 10
		a.mu.Unlock()
		return nil, nil
	}
	_, err := b.Forward(ctx, id("s1", "pay"), slow, undo)
	wantName(t, err, saga.ErrHanging)
	if undone != 1 || a.get() != 0 {
		t.Fatalf("overtaken action: undone %d, balance %d", undone, a.get())
	}
}

func testCompensationRetry(t *testing.T, b *saga.Barrier, s store.Store) {
	ctx := context.Background()
	a := newAccount()
	if _, err := b.Forward(ctx, id("s1", "pay"), a.do("s1"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context) (json.RawMessage, error) { return nil, errors.New("bank unreachable") }
	for i := 0; i < 2; i++ {
		_, err := b.Compensate(ctx, id("s1", "pay"), failing)
		wantName(t, err, saga.ErrTransient)
	}
	st, err := saga.ReadStatus(ctx, s, "s1")
	if err != nil || len(st.Steps) != 1 || st.Steps[0].Compensation == nil || st.Steps[0].Compensation.State != saga.StatePending ||
		st.Steps[0].Compensation.Error == nil || st.Steps[0].Compensation.Attempts != 2 {
		t.Fatalf("status after two failures: %+v %v", st, err)
	}
	out, err := b.Compensate(ctx, id("s1", "pay"), a.undo("s1"))
	if err != nil || out.Attempt != 3 || a.get() != 0 {
		t.Fatalf("third attempt: %+v %v balance %d", out, err, a.get())
	}
}

func testConcurrent(t *testing.T, b *saga.Barrier, _ store.Store) {
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		a := newAccount()
		sid := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = b.Forward(ctx, id(sid, "pay"), a.do(sid), a.undo(sid)) }()
			go func() {
				defer wg.Done()
				for {
					if _, err := b.Compensate(ctx, id(sid, "pay"), a.undo(sid)); err == nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		// The compensation finished, so whatever the order, nothing stays
		// applied and no later action can apply it.
		_, _ = b.Forward(ctx, id(sid, "pay"), a.do(sid), a.undo(sid))
		if a.get() != 0 {
			t.Fatalf("round %d: balance %d after compensation, want 0", round, a.get())
		}
	}
}

func testStatus(t *testing.T, b *saga.Barrier, s store.Store) {
	ctx := context.Background()
	a := newAccount()
	if _, err := b.Forward(ctx, id("s1", "stock"), a.do("s1"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	_, _ = b.Forward(ctx, id("s1", "pay"), func(context.Context) (json.RawMessage, error) { return nil, saga.Business("declined") }, nil)
	if _, err := b.Compensate(ctx, id("s1", "stock"), a.undo("s1")); err != nil {
		t.Fatal(err)
	}
	st, err := saga.ReadStatus(ctx, s, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Saga != "test" || len(st.Steps) != 2 || st.Steps[0].Step != "stock" || st.Steps[1].Step != "pay" {
		t.Fatalf("status = %+v", st)
	}
	if f, c := st.Steps[0].Forward, st.Steps[0].Compensation; f.State != saga.StateSucceeded || c == nil || c.State != saga.StateSucceeded || c.Null {
		t.Fatalf("stock = %+v / %+v", f, c)
	}
	if f := st.Steps[1].Forward; f.State != saga.StateFailed || f.Error == nil || f.Error.Name != saga.ErrBusiness {
		t.Fatalf("pay = %+v", f)
	}
	empty, err := saga.ReadStatus(ctx, s, "never")
	if err != nil || len(empty.Steps) != 0 {
		t.Fatalf("unknown saga: %+v %v", empty, err)
	}
}

func testMissingID(t *testing.T, b *saga.Barrier, _ store.Store) {
	a := newAccount()
	_, err := b.Forward(context.Background(), saga.ID{Step: "pay"}, a.do(""), a.undo(""))
	wantName(t, err, saga.ErrInvalidInput)
	_, err = b.Compensate(context.Background(), saga.ID{Step: "pay"}, a.undo(""))
	wantName(t, err, saga.ErrInvalidInput)
	if a.does.Load()+a.undos.Load() != 0 {
		t.Fatal("ran without a saga id")
	}
}

// recorder is a bus that can be down; it counts events by id.
type recorder struct {
	mu   sync.Mutex
	down bool
	ids  map[string]int
}

func (r *recorder) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return nil, errors.New("bus down")
	}
	if r.ids == nil {
		r.ids = map[string]int{}
	}
	for _, e := range evs {
		r.ids[e.ID()]++
	}
	return make([]error, len(evs)), nil
}

// sagaFunction is a one-step saga function over s, and a caller of its
// saga-level phases.
func sagaFunction(t *testing.T, s store.Store, b *recorder) func(phase, sagaID, input string, o *saga.Ending) (json.RawMessage, error) {
	t.Helper()
	fn, err := saga.NewFunction("only", "", saga.Step[json.RawMessage, json.RawMessage]{
		Action: func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil },
	}, saga.Config{Store: s, Bus: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return func(phase, sagaID, input string, o *saga.Ending) (json.RawMessage, error) {
		p, err := json.Marshal(saga.Task{SagaID: sagaID, Saga: "test", Step: "only", Phase: phase, Input: json.RawMessage(input), Outcome: o})
		if err != nil {
			t.Fatal(err)
		}
		return inv.Invoke(context.Background(), p)
	}
}

func testConcurrentBegins(t *testing.T, _ *saga.Barrier, s store.Store) {
	call := sagaFunction(t, s, &recorder{})
	inputs := []string{`{"n":1}`, `{"n":2}`}
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs := map[string]int{}
	conflicts := map[string]int{}
	for i := range 8 {
		in := inputs[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := call(saga.PhaseBegin, "race", in, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				var r saga.BeginResult
				if json.Unmarshal(out, &r) != nil || r.Decision != saga.DecisionRun {
					t.Errorf("begin answered %s", out)
				}
				runs[in]++
			case faas.ErrorName(err) == saga.ErrConflict:
				conflicts[in]++
			default:
				t.Errorf("begin: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(runs) != 1 || len(conflicts) != 1 {
		t.Fatalf("runs %v conflicts %v: want one input to run every time and the other to conflict every time", runs, conflicts)
	}
	for in := range runs {
		if runs[in] != 4 {
			t.Errorf("runs %v, want 4 of %s", runs, in)
		}
	}
	st, err := saga.ReadStatus(context.Background(), s, "race")
	if err != nil || st.State != saga.SagaRunning || st.Conflicts != 4 {
		t.Errorf("status %+v (%v), want running with 4 conflicts", st, err)
	}
}

func testOutboxRelay(t *testing.T, _ *saga.Barrier, s store.Store) {
	ctx := context.Background()
	b := &recorder{down: true}
	call := sagaFunction(t, s, b)
	for i := range 5 {
		id := fmt.Sprintf("ob-%d", i)
		if _, err := call(saga.PhaseBegin, id, `{}`, nil); err != nil {
			t.Fatalf("begin %s with the bus down: %v", id, err)
		}
		if _, err := call(saga.PhaseEnd, id, `{}`, &saga.Ending{State: saga.SagaCompleted, Output: json.RawMessage(`{}`)}); err != nil {
			t.Fatalf("end %s with the bus down: %v", id, err)
		}
	}
	relay, err := saga.NewRelay(saga.RelayConfig{Store: s, Bus: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.down = false
	b.mu.Unlock()
	rep, err := relay.Drain(ctx)
	if err != nil || rep.Published != 10 || rep.Pending != 0 {
		t.Fatalf("drain: %+v %v, want 10 published", rep, err)
	}
	if rep, err := relay.Drain(ctx); err != nil || rep != (saga.DrainReport{}) {
		t.Errorf("second drain: %+v %v, want an empty outbox", rep, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range 5 {
		for _, kind := range []string{"started", "completed"} {
			if id := fmt.Sprintf("ob-%d/saga/%s", i, kind); b.ids[id] != 1 {
				t.Errorf("%s published %d times, want 1", id, b.ids[id])
			}
		}
	}
}
