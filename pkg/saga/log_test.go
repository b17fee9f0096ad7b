package saga_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// downBus refuses every publish while down is set.
type downBus struct {
	bustest.Recorder
	mu   sync.Mutex
	down bool
}

func (b *downBus) set(down bool) { b.mu.Lock(); b.down = down; b.mu.Unlock() }

func (b *downBus) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	b.mu.Lock()
	down := b.down
	b.mu.Unlock()
	if down {
		return nil, errors.New("bus unavailable")
	}
	return b.Recorder.Publish(ctx, evs)
}

// logFunction is a step function "s" whose invoker sends saga-level tasks.
func logFunction(t *testing.T, st store.Store, b interface {
	Publish(context.Context, []cloudevents.Event) ([]error, error)
}, now func() time.Time) func(task saga.Task) (json.RawMessage, error) {
	t.Helper()
	step := saga.Step[demoIn, demoOut]{Action: func(context.Context, demoIn) (demoOut, error) { return demoOut{Step: "s"}, nil }, Names: []string{"s"}}
	fn, err := saga.NewFunction("demo", "", step, saga.Config{Store: st, Bus: b, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return func(task saga.Task) (json.RawMessage, error) {
		task.Saga, task.Step, task.CorrelationID = "demo", "s", task.SagaID
		p, err := json.Marshal(task)
		if err != nil {
			t.Fatal(err)
		}
		out, err := inv.Invoke(context.Background(), p)
		return out, err
	}
}

func begin(t *testing.T, call func(saga.Task) (json.RawMessage, error), id, input string) (saga.BeginResult, error) {
	t.Helper()
	out, err := call(saga.Task{SagaID: id, Phase: saga.PhaseBegin, Input: json.RawMessage(input),
		Event: json.RawMessage(`{"sagaId":"` + id + `","saga":"demo","steps":["s"]}`)})
	if err != nil {
		return saga.BeginResult{}, err
	}
	var r saga.BeginResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("begin answered %s: %v", out, err)
	}
	return r, nil
}

func end(call func(saga.Task) (json.RawMessage, error), id, input string, o saga.Ending, data string) error {
	_, err := call(saga.Task{SagaID: id, Phase: saga.PhaseEnd, Input: json.RawMessage(input), Outcome: &o, Event: json.RawMessage(data)})
	return err
}

// The saga record decides what a second execution with the same saga id
// does: the same input answers the recorded outcome (or resumes a saga
// that has not ended), another input is a conflict that changes nothing.
func TestSagaRecordReplaysAndRefusesConflicts(t *testing.T) {
	st := memory.New(memory.Config{})
	b := &bustest.Recorder{}
	call := logFunction(t, st, b, nil)
	ctx := context.Background()
	const in = `{"orderId":"o-1","items":[1,2]}`
	tests := []struct {
		name, id, input string
		before          func(t *testing.T)
		want            string // decision, or an error name
		wantState       string // overall state afterwards
	}{
		{"new saga", "a", in, nil, saga.DecisionRun, saga.SagaRunning},
		{"same input while running resumes", "a", in, nil, saga.DecisionRun, saga.SagaRunning},
		{"same input in another key order and spacing", "a", `{ "items": [1, 2], "orderId": "o-1" }`, nil, saga.DecisionRun, saga.SagaRunning},
		{"same input from another trace", "a", `{"orderId":"o-1","items":[1,2],"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`, nil, saga.DecisionRun, saga.SagaRunning},
		{"a nested traceparent is input", "a", `{"orderId":"o-1","items":[1,2],"x":{"traceparent":"t"}}`, nil, saga.ErrConflict, saga.SagaRunning},
		{"other input while running", "a", `{"orderId":"o-1","items":[3]}`, nil, saga.ErrConflict, saga.SagaRunning},
		{"completed answers its output", "a", in, func(t *testing.T) {
			if err := end(call, "a", in, saga.Ending{State: saga.SagaCompleted, Output: json.RawMessage(`{"sagaId":"a","results":{}}`)},
				`{"sagaId":"a","saga":"demo","result":{}}`); err != nil {
				t.Fatal(err)
			}
		}, saga.DecisionCompleted, saga.SagaCompleted},
		{"other input after completion", "a", `{}`, nil, saga.ErrConflict, saga.SagaCompleted},
		{"compensated answers its error", "c", in, func(t *testing.T) {
			if _, err := begin(t, call, "c", in); err != nil {
				t.Fatal(err)
			}
			if err := end(call, "c", in, saga.Ending{State: saga.SagaCompensated, Error: saga.ErrCompensated, Cause: `{"failedStep":"s"}`},
				`{"sagaId":"c","saga":"demo","failedStep":"s","error":{"name":"Saga.BusinessError"},"compensatedSteps":[]}`); err != nil {
				t.Fatal(err)
			}
		}, saga.DecisionCompensated, saga.SagaCompensated},
		{"stuck resumes", "k", in, func(t *testing.T) {
			if _, err := begin(t, call, "k", in); err != nil {
				t.Fatal(err)
			}
			if err := end(call, "k", in, saga.Ending{State: saga.SagaStuck, Error: saga.ErrStuck, Cause: `{}`},
				`{"sagaId":"k","saga":"demo","step":"s","phase":"compensation","reason":"r","since":"2026-01-01T00:00:00Z"}`); err != nil {
				t.Fatal(err)
			}
		}, saga.DecisionRun, saga.SagaStuck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before(t)
			}
			res, err := begin(t, call, tt.id, tt.input)
			got := res.Decision
			if err != nil {
				got = faas.ErrorName(err)
			}
			if got != tt.want {
				t.Fatalf("begin = %q (%v), want %q", got, err, tt.want)
			}
			st, err := saga.ReadStatus(ctx, st, tt.id)
			if err != nil || st.State != tt.wantState {
				t.Errorf("state %q (%v), want %q", st.State, err, tt.wantState)
			}
		})
	}
	if r, _ := begin(t, call, "c", in); r.Error != saga.ErrCompensated || r.Cause != `{"failedStep":"s"}` {
		t.Errorf("replay of the compensated saga = %+v", r)
	}
	if st, _ := saga.ReadStatus(ctx, st, "a"); st.Conflicts != 3 || string(st.Output) != `{"sagaId":"a","results":{}}` {
		t.Errorf("status of a: %d conflicts, output %s; want 3 and the first output", st.Conflicts, st.Output)
	}
	// Each saga event once, in order, each with its stable id; the
	// conflicts and replays published nothing.
	want := []string{"a/saga/started", "a/saga/completed", "c/saga/started", "c/saga/compensated", "k/saga/started", "k/saga/stuck"}
	var ids []string
	catalog, _ := events.NewCatalog()
	for _, e := range b.Events() {
		ids = append(ids, e.ID())
		if err := catalog.Validate(e); err != nil {
			t.Errorf("%s: %v", e.ID(), err)
		}
	}
	if len(ids) != len(want) {
		t.Fatalf("published %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Errorf("published %v, want %v", ids, want)
			break
		}
	}
}

func TestEndPhaseRefusesAPayloadWithoutAnOutcome(t *testing.T) {
	call := logFunction(t, memory.New(memory.Config{}), nil, nil)
	for _, task := range []saga.Task{
		{SagaID: "x", Phase: saga.PhaseEnd, Input: json.RawMessage(`{}`)},
		{SagaID: "x", Phase: saga.PhaseEnd, Input: json.RawMessage(`{}`), Outcome: &saga.Ending{State: "exploded"}},
	} {
		if _, err := call(task); faas.ErrorName(err) != saga.ErrInvalidInput {
			t.Errorf("%+v: %v, want %s", task.Outcome, err, saga.ErrInvalidInput)
		}
	}
}

// A saga event accepted while the bus is down is published by the relay
// once the bus is back, exactly once more, and the outbox is then empty.
func TestOutboxRelayPublishesWhatTheBusRefused(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memory.New(memory.Config{Now: clock})
	b := &downBus{}
	call := logFunction(t, st, b, clock)
	relay, err := saga.NewRelay(saga.RelayConfig{Store: st, Bus: b, Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b.set(true)
	for _, id := range []string{"r-1", "r-2", "r-3"} {
		if _, err := begin(t, call, id, `{}`); err != nil {
			t.Fatalf("begin with the bus down: %v (an accepted event must not fail the saga)", err)
		}
	}
	if err := end(call, "r-1", `{}`, saga.Ending{State: saga.SagaCompleted, Output: json.RawMessage(`{}`)}, `{"sagaId":"r-1","saga":"demo"}`); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Fatalf("%d events published while the bus was down", b.Len())
	}
	rep, err := relay.Drain(ctx)
	if err == nil || rep.Published != 0 || rep.Pending != 4 {
		t.Fatalf("drain with the bus down: %+v %v, want 4 pending and an error", rep, err)
	}
	b.set(false)
	rep, err = relay.Drain(ctx)
	if err != nil || rep.Published != 4 || rep.Pending != 0 {
		t.Fatalf("drain: %+v %v, want 4 published", rep, err)
	}
	got := map[string]int{}
	for _, e := range b.Events() {
		got[e.ID()]++
	}
	for _, id := range []string{"r-1/saga/started", "r-2/saga/started", "r-3/saga/started", "r-1/saga/completed"} {
		if got[id] != 1 {
			t.Errorf("%s published %d times, want 1 (all: %v)", id, got[id], got)
		}
	}
	if rep, err := relay.Drain(ctx); err != nil || rep != (saga.DrainReport{}) {
		t.Errorf("second drain: %+v %v, want nothing left", rep, err)
	}
}

// A marker whose decision lost its race (no such event in the saga
// record) is kept during the grace period, then dropped.
func TestOutboxRelayDropsMarkersOfUndecidedEvents(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memory.New(memory.Config{Now: clock})
	b := &bustest.Recorder{}
	v, _ := json.Marshal(map[string]any{"sagaId": "lost", "eventId": "lost/saga/started", "at": now})
	if _, err := st.Put(ctx, store.Item{Key: store.Key{Partition: saga.OutboxPartition("lost"), Sort: "lost/saga/started"}, Value: v}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	relay, err := saga.NewRelay(saga.RelayConfig{Store: st, Bus: b, Now: clock, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := relay.Drain(ctx); err != nil || rep.Pending != 1 || rep.Dropped != 0 {
		t.Fatalf("within the grace period: %+v %v", rep, err)
	}
	now = now.Add(2 * time.Minute)
	if rep, err := relay.Drain(ctx); err != nil || rep.Dropped != 1 || b.Len() != 0 {
		t.Fatalf("after the grace period: %+v %v, %d published", rep, err, b.Len())
	}
}

func TestRelayConfigNamesWhatIsMissing(t *testing.T) {
	_, err := saga.NewRelay(saga.RelayConfig{Grace: -1})
	for _, want := range []string{"Store", "Bus", "Grace"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	fn, err := saga.NewRelayFunction("saga-outbox", saga.RelayConfig{Store: memory.New(memory.Config{}), Bus: &bustest.Recorder{}})
	if err != nil || len(fn.Triggers) != 1 || fn.Triggers[0].Kind != faas.TriggerSchedule || fn.Triggers[0].Schedule != saga.RelaySchedule {
		t.Errorf("relay function %+v (%v)", fn.Triggers, err)
	}
}
