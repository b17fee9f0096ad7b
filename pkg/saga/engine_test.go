package saga_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

type demoIn struct {
	ID string `json:"id"`
}

type demoOut struct {
	Step string `json:"step"`
}

// counterFunction is a step whose effect is one record per saga and step.
func counterFunction(t *testing.T, st store.Store, b *bustest.Recorder) faas.Function {
	t.Helper()
	effect := func(ctx context.Context, _ demoIn) (demoOut, error) {
		info, _ := saga.InfoFrom(ctx)
		_, err := st.Put(ctx, store.Item{Key: store.Key{Partition: "counter", Sort: info.SagaID + "/" + info.Step}, Value: []byte("1")}, store.Condition{})
		return demoOut{Step: info.Step}, err
	}
	undo := func(ctx context.Context, _ demoIn) error {
		info, _ := saga.InfoFrom(ctx)
		return st.Delete(ctx, store.Key{Partition: "counter", Sort: info.SagaID + "/" + info.Step}, store.Condition{})
	}
	fn, err := saga.NewFunction("counter", "test step", saga.Step[demoIn, demoOut]{Action: effect, Compensation: undo, Names: allSteps},
		saga.Config{Store: st, Bus: b, Faults: true})
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func runSpec(t *testing.T, path string, input any) (asl.Result, store.Store, *bustest.Recorder) {
	t.Helper()
	st := memory.New(memory.Config{})
	b := &bustest.Recorder{}
	inv, err := sfnlocal.NewInvoker(sfnlocal.InvokerConfig{Functions: []faas.Function{counterFunction(t, st, b)}, Bus: b,
		Options: []adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Compile(generate(t, path))
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{Input: input, Invoker: inv, FunctionName: inv.FunctionName,
		Clock: asl.NewFastClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	return res, st, b
}

func TestPivotSagaSucceeds(t *testing.T) {
	res, _, b := runSpec(t, "testdata/pivot.saga.yaml", map[string]any{"id": "p-1"})
	if res.Status != asl.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	out, _ := json.Marshal(res.Output)
	want := `{"results":{"commit":{"step":"commit"},"notify":{"step":"notify"},"reserve":{"step":"reserve"}},"saga":"pivot-demo","sagaId":"p-1"}`
	if string(out) != want {
		t.Errorf("output = %s, want %s", out, want)
	}
	if got := b.Types(); len(got) != 5 || got[0] != events.TypeSagaStarted || got[4] != events.TypeSagaCompleted {
		t.Errorf("events = %v", got)
	}
}

func TestAfterThePivotTheSagaOnlyGoesForward(t *testing.T) {
	res, st, b := runSpec(t, "testdata/pivot.saga.yaml", map[string]any{"id": "p-2",
		"faults": []saga.Fault{{Step: "notify", Phase: saga.PhaseForward}}})
	if res.Status != asl.StatusFailed || res.Error != saga.ErrStuck {
		t.Fatalf("result %+v, want %s", res, saga.ErrStuck)
	}
	var cause struct{ Step, Phase, Error string }
	if err := json.Unmarshal([]byte(res.Cause), &cause); err != nil || cause.Step != "notify" || cause.Phase != saga.PhaseForward || cause.Error != saga.ErrTransient {
		t.Errorf("cause %s (%v)", res.Cause, err)
	}
	status, err := saga.ReadStatus(context.Background(), st, "p-2")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range status.Steps {
		if s.Compensation != nil {
			t.Errorf("%s was compensated after the pivot", s.Step)
		}
	}
	stuck := 0
	for _, typ := range b.Types() {
		if typ == events.TypeSagaStuck {
			stuck++
		}
	}
	if stuck != 1 {
		t.Errorf("%d stuck events", stuck)
	}
}

func TestFailureAtThePivotCompensatesEverything(t *testing.T) {
	res, st, _ := runSpec(t, "testdata/pivot.saga.yaml", map[string]any{"id": "p-3",
		"faults": []saga.Fault{{Step: "commit", Phase: saga.PhaseForward, Error: saga.ErrBusiness}}})
	if res.Status != asl.StatusFailed || res.Error != saga.ErrCompensated {
		t.Fatalf("result %+v", res)
	}
	var cause struct {
		FailedStep  string   `json:"failedStep"`
		Compensated []string `json:"compensated"`
	}
	if err := json.Unmarshal([]byte(res.Cause), &cause); err != nil || cause.FailedStep != "commit" || len(cause.Compensated) != 1 || cause.Compensated[0] != "reserve" {
		t.Errorf("cause %s (%v)", res.Cause, err)
	}
	if items, _ := st.Query(context.Background(), "counter", "p-3/", 0); len(items) != 0 {
		t.Errorf("effects left after rollback: %d", len(items))
	}
}

func TestSagaWithNothingToUndo(t *testing.T) {
	res, _, _ := runSpec(t, "testdata/minimal.saga.yaml", map[string]any{"sagaId": "m-1",
		"faults": []saga.Fault{{Step: "only", Phase: saga.PhaseForward, Error: saga.ErrBusiness}}})
	if res.Status != asl.StatusFailed || res.Error != saga.ErrCompensated {
		t.Fatalf("result %+v", res)
	}
	var cause struct {
		FailedStep  string   `json:"failedStep"`
		Compensated []string `json:"compensated"`
	}
	if err := json.Unmarshal([]byte(res.Cause), &cause); err != nil || cause.FailedStep != "only" || cause.Compensated == nil || len(cause.Compensated) != 0 {
		t.Errorf("cause %s (%v)", res.Cause, err)
	}
	if ok, _, _ := runSpec(t, "testdata/minimal.saga.yaml", map[string]any{"sagaId": "m-2"}); ok.Status != asl.StatusSucceeded {
		t.Errorf("result %+v", ok)
	}
}

func TestGroupAfterThePivotGetsStuckInsteadOfCompensating(t *testing.T) {
	res, st, _ := runSpec(t, "testdata/after-pivot-group.saga.yaml", map[string]any{"sagaId": "g-1",
		"faults": []saga.Fault{{Step: "sms", Phase: saga.PhaseForward, Error: saga.ErrBusiness}}})
	if res.Status != asl.StatusFailed || res.Error != saga.ErrStuck {
		t.Fatalf("result %+v", res)
	}
	var cause struct{ Step, Phase string }
	if err := json.Unmarshal([]byte(res.Cause), &cause); err != nil || cause.Step != "sms" || cause.Phase != saga.PhaseForward {
		t.Errorf("cause %s (%v)", res.Cause, err)
	}
	status, _ := saga.ReadStatus(context.Background(), st, "g-1")
	for _, s := range status.Steps {
		if s.Compensation != nil {
			t.Errorf("%s compensated after the pivot", s.Step)
		}
	}
}

// allSteps are the step names of the specs in testdata, all served by the
// one counter function.
var allSteps = []string{"commit", "email", "inventory", "notify", "only", "order", "payment", "reserve", "shipping", "sms"}
