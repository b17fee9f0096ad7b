package saga_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

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
	fn, err := saga.NewFunction("demo", "", step, saga.Config{Store: st, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	catalog, _ := events.NewCatalog()
	inv := faas.NewInvoker(fn, faas.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), faas.WithValidator(catalog))
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
		{"a", saga.PhaseForward, "ok", "", ""}, // duplicate: no event
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
}

func TestFaultHookIsOffByDefault(t *testing.T) {
	st := memory.New(memory.Config{})
	step := saga.Step[demoIn, demoOut]{Action: func(context.Context, demoIn) (demoOut, error) { return demoOut{}, nil }}
	for _, on := range []bool{false, true} {
		fn, err := saga.NewFunction("demo", "", step, saga.Config{Store: st, Faults: on})
		if err != nil {
			t.Fatal(err)
		}
		inv := faas.NewInvoker(fn, faas.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
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
