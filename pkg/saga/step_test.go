package saga_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestStepFunctionEventsAndErrors(t *testing.T) {
	st := memory.New(memory.Config{})
	b := &bustest.Recorder{}
	calls := 0
	step := saga.Step[demoIn, demoOut]{
		Action: func(ctx context.Context, in demoIn) (demoOut, error) {
			calls++
			switch in.ID {
			case "refuse":
				return demoOut{}, saga.Business("no")
			case "flaky":
				return demoOut{}, errors.New("connection reset")
			}
			return demoOut{Step: "x"}, nil
		},
	}
	fn, err := saga.NewFunction("demo", "", withNames(step, "s"), saga.Config{Store: st, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	catalog, _ := events.NewCatalog()
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), adapter.WithValidator(catalog))
	call := func(sagaID, phase, id string) error {
		_, err := inv.Invoke(context.Background(), []byte(`{"sagaId":"`+sagaID+`","saga":"demo","step":"s","phase":"`+phase+
			`","correlationId":"`+sagaID+`","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","input":{"id":"`+id+`"}}`))
		return err
	}
	tests := []struct {
		sagaID, phase, id string
		wantErr           string
		wantEvent         string
	}{
		{"a", saga.PhaseForward, "ok", "", events.TypeSagaStepSucceeded},
		{"a", saga.PhaseForward, "ok", "", events.TypeSagaStepSucceeded}, // duplicate: the same event again (same id)
		{"b", saga.PhaseForward, "refuse", saga.ErrBusiness, events.TypeSagaStepFailed},
		{"c", saga.PhaseForward, "flaky", saga.ErrTransient, events.TypeSagaStepFailed},
		{"c", saga.PhaseCompensation, "flaky", "", events.TypeSagaCompensationSucceeded},
		{"d", saga.PhaseForward, "ok", "", events.TypeSagaStepSucceeded},
		{"d", saga.PhaseCompensation, "ok", "", events.TypeSagaCompensationSucceeded},
		{"d", saga.PhaseForward, "ok", saga.ErrHanging, ""}, // refused before doing anything: a duplicate
	}
	for i, tt := range tests {
		before := b.Len()
		err := call(tt.sagaID, tt.phase, tt.id)
		if got := faas.ErrorName(err); (err == nil) != (tt.wantErr == "") || err != nil && got != tt.wantErr {
			t.Errorf("%d: error %v (%s), want %q", i, err, got, tt.wantErr)
		}
		var got []string
		for _, e := range b.Events()[before:] {
			got = append(got, e.Type())
			if events.CorrelationID(e) != tt.sagaID || e.Subject() != tt.sagaID {
				t.Errorf("%d: event correlation %q subject %q", i, events.CorrelationID(e), e.Subject())
			}
			if err := catalog.Validate(e); err != nil {
				t.Errorf("%d: %v", i, err)
			}
		}
		var want []string
		if tt.wantEvent != "" {
			want = []string{tt.wantEvent}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d: events %v, want %v", i, got, want)
		}
	}
	if calls != 4 {
		t.Errorf("action ran %d times, want 4", calls)
	}
	if evs := b.Events(); evs[0].ID() != evs[1].ID() || evs[0].ID() != "a/s/forward/succeeded" {
		t.Errorf("a duplicate success re-published as %q, first as %q: want one stable id", evs[1].ID(), evs[0].ID())
	}
}

// flakyBus refuses its first publish.
type flakyBus struct {
	bustest.Recorder
	refused bool
}

func (f *flakyBus) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	if !f.refused {
		f.refused = true
		return nil, errors.New("bus unavailable")
	}
	return f.Recorder.Publish(ctx, evs)
}

// A step whose effect is recorded but whose event the bus refused fails
// with a transient error; the state machine's retry does not run the
// action again and publishes the event: it is never lost.
func TestStepEventIsNotLostWhenTheBusFails(t *testing.T) {
	st := memory.New(memory.Config{})
	b := &flakyBus{}
	calls := 0
	step := saga.Step[demoIn, demoOut]{Action: func(context.Context, demoIn) (demoOut, error) { calls++; return demoOut{Step: "x"}, nil }}
	fn, err := saga.NewFunction("demo", "", withNames(step, "s"), saga.Config{Store: st, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	payload := []byte(`{"sagaId":"z","saga":"demo","step":"s","phase":"forward","input":{"id":"ok"}}`)
	if _, err := inv.Invoke(context.Background(), payload); faas.ErrorName(err) != saga.ErrTransient {
		t.Fatalf("first delivery: %v, want %s", err, saga.ErrTransient)
	}
	out, err := inv.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if calls != 1 {
		t.Errorf("action ran %d times, want 1", calls)
	}
	if got := b.Types(); len(got) != 1 || got[0] != events.TypeSagaStepSucceeded {
		t.Errorf("published %v, want one step succeeded event", got)
	}
	if !strings.Contains(string(out), `"step":"x"`) {
		t.Errorf("retry answered %s, want the recorded result", out)
	}
}

func TestFaultHookIsOffByDefault(t *testing.T) {
	st := memory.New(memory.Config{})
	step := saga.Step[demoIn, demoOut]{Action: func(context.Context, demoIn) (demoOut, error) { return demoOut{}, nil }}
	for _, on := range []bool{false, true} {
		fn, err := saga.NewFunction("demo", "", withNames(step, "s"), saga.Config{Store: st, Faults: on})
		if err != nil {
			t.Fatal(err)
		}
		inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		sagaID := map[bool]string{false: "off", true: "on"}[on]
		_, err = inv.Invoke(context.Background(), []byte(`{"sagaId":"`+sagaID+`","step":"s","phase":"forward","input":{"faults":[{"step":"s","phase":"forward","times":1}]}}`))
		if on != (faas.ErrorName(err) == saga.ErrTransient) {
			t.Errorf("faults %v: error %v", on, err)
		}
	}
}

func TestNewFunctionRefusesIncompleteConfig(t *testing.T) {
	_, err := saga.NewFunction[demoIn, demoOut]("", "", saga.Step[demoIn, demoOut]{}, saga.Config{})
	for _, want := range []string{"name", "Action", "Store"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

// withNames makes step serve the given step names.
func withNames(step saga.Step[demoIn, demoOut], names ...string) saga.Step[demoIn, demoOut] {
	step.Names = names
	return step
}
