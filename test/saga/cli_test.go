package saga_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

func TestSagaSucceeds(t *testing.T) {
	dir := t.TempDir()
	r := sfnRun(t, definition, dir, order("o-ok"))
	if r.Status != "SUCCEEDED" {
		t.Fatalf("status %s %s %s", r.Status, deref(r.Error), deref(r.Cause))
	}
	var out struct {
		SagaID  string                     `json:"sagaId"`
		Saga    string                     `json:"saga"`
		Results map[string]json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.SagaID != "o-ok" || out.Saga != "order-fulfillment" || len(out.Results) != 4 {
		t.Fatalf("output = %s", r.Output)
	}
	var charge orders.Charge
	if err := json.Unmarshal(out.Results["payment"], &charge); err != nil || charge.State != orders.Charged || charge.AmountCents != 2*1000+3000 {
		t.Fatalf("payment result %s (%v)", out.Results["payment"], err)
	}
	if got := stock(t, dir, "sku-1", "sku-3"); got["sku-1"] != 98 || got["sku-3"] != 99 {
		t.Errorf("stock after the order = %v, want sku-1 98, sku-3 99", got)
	}
	want := map[string]string{"inventory": "succeeded/-", "payment": "succeeded/-", "shipping": "succeeded/-", "order": "succeeded/-"}
	st := sagaStatus(t, dir, "o-ok")
	if got := phases(st); !reflect.DeepEqual(got, want) {
		t.Errorf("status = %v, want %v", got, want)
	}
	if st.State != saga.SagaCompleted || st.InputHash == "" {
		t.Errorf("overall state %q (input hash %q), want %q", st.State, st.InputHash, saga.SagaCompleted)
	}

	// Events: started, four step successes, completed; all correlated by
	// the saga id and in one trace.
	var types []string
	trace := ""
	for _, e := range r.Events {
		types = append(types, e.Type)
		if e.CorrelationID != "o-ok" || e.Subject != "o-ok" {
			t.Errorf("%s: correlationid %q subject %q, want the saga id", e.Type, e.CorrelationID, e.Subject)
		}
		parts := strings.Split(e.TraceParent, "-")
		if len(parts) != 4 {
			t.Errorf("%s: traceparent %q", e.Type, e.TraceParent)
			continue
		}
		if trace == "" {
			trace = parts[1]
		} else if parts[1] != trace {
			t.Errorf("%s: trace %s, want the saga's trace %s", e.Type, parts[1], trace)
		}
	}
	wantTypes := []string{events.TypeSagaStarted, events.TypeSagaStepSucceeded, events.TypeSagaStepSucceeded,
		events.TypeSagaStepSucceeded, events.TypeSagaStepSucceeded, events.TypeSagaCompleted}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("events = %v, want %v", types, wantTypes)
	}
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Events {
		if err := catalog.ValidateData(e.Type, e.Data); err != nil {
			t.Errorf("%s data %s: %v", e.Type, e.Data, err)
		}
	}
}

func TestSagaTraceJoinsTheCallersTrace(t *testing.T) {
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	r := sfnRun(t, definition, t.TempDir(), order("o-trace", func(m map[string]any) { m["traceparent"] = tp }))
	if r.Status != "SUCCEEDED" || len(r.Events) == 0 {
		t.Fatalf("status %s, %d events", r.Status, len(r.Events))
	}
	for _, e := range r.Events {
		if !strings.Contains(e.TraceParent, "0af7651916cd43dd8448eb211c80319c") {
			t.Errorf("%s: traceparent %q is not in the caller's trace", e.Type, e.TraceParent)
		}
	}
}

func TestSagaFailsAtEachStepAndCompensatesTheEarlierOnes(t *testing.T) {
	tests := []struct {
		name        string
		input       map[string]any
		failedStep  string
		errName     string
		compensated []string
		payment     string // final payment record state
	}{
		{"inventory: no stock", order("o-f1", func(m map[string]any) {
			m["items"] = []any{map[string]any{"sku": "sku-1", "quantity": 2}, map[string]any{"sku": "sku-empty", "quantity": 1}}
		}), "inventory", saga.ErrBusiness, []string{}, "none"},
		{"payment: declined", order("o-f2", func(m map[string]any) { m["payment"] = map[string]any{"token": orders.DeclinedToken} }),
			"payment", saga.ErrBusiness, []string{"inventory"}, "none"},
		{"shipping: undeliverable", order("o-f3", func(m map[string]any) {
			m["shipping"] = map[string]any{"address": map[string]any{"country": "XX"}}
		}), "shipping", saga.ErrBusiness, []string{"payment", "inventory"}, orders.Refunded},
		{"order: refused (fault hook)", order("o-f4", withFaults(saga.Fault{Step: "order", Phase: saga.PhaseForward, Error: saga.ErrBusiness})),
			"order", saga.ErrBusiness, []string{"shipping", "payment", "inventory"}, orders.Refunded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := sfnRun(t, definition, dir, tt.input)
			rb := r.rollback(t)
			if rb.FailedStep != tt.failedStep || rb.Error != tt.errName || !reflect.DeepEqual(rb.Compensated, tt.compensated) || rb.Message == "" {
				t.Errorf("cause = %+v, want failedStep %s error %s compensated %v", rb, tt.failedStep, tt.errName, tt.compensated)
			}
			if got := stock(t, dir, "sku-1", "sku-3"); got["sku-1"] != 100 || got["sku-3"] != 100 {
				t.Errorf("stock after rollback = %v, want everything back at 100", got)
			}
			if got := paymentState(t, dir, tt.input["orderId"].(string)); got != tt.payment {
				t.Errorf("payment = %s, want %s", got, tt.payment)
			}
			// Every step up to the failed one was compensated in reverse,
			// the failed one as a null compensation; later ones never ran.
			st := phases(sagaStatus(t, dir, tt.input["orderId"].(string)))
			seenFailed := false
			for _, step := range []string{"inventory", "payment", "shipping", "order"} {
				switch {
				case step == tt.failedStep:
					seenFailed = true
					if st[step] != "failed/succeeded(null)" && st[step] != "blocked/succeeded(null)" {
						t.Errorf("%s = %s, want a refused step with a null compensation", step, st[step])
					}
				case !seenFailed:
					if st[step] != "succeeded/succeeded" {
						t.Errorf("%s = %s, want succeeded/succeeded", step, st[step])
					}
				default:
					if _, ran := st[step]; ran {
						t.Errorf("%s ran after the failure: %s", step, st[step])
					}
				}
			}
			comp := r.eventsOf(events.TypeSagaCompensated)
			if len(comp) != 1 {
				t.Fatalf("%d saga compensated events", len(comp))
			}
			var data events.SagaCompensated
			if err := json.Unmarshal(comp[0].Data, &data); err != nil || data.FailedStep != tt.failedStep || len(data.CompensatedSteps) != len(tt.compensated) {
				t.Errorf("saga compensated event %s (%v)", comp[0].Data, err)
			}
		})
	}
}

func TestSagaRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		items any
	}{
		{"no items", []any{}},
		{"negative quantity", []any{map[string]any{"sku": "sku-1", "quantity": -1}}},
		{"unknown sku", []any{map[string]any{"sku": "sku-1", "quantity": 1}, map[string]any{"sku": "nope", "quantity": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := sfnRun(t, definition, dir, order("o-bad", func(m map[string]any) { m["items"] = tt.items }))
			rb := r.rollback(t)
			if rb.FailedStep != "inventory" || rb.Error != saga.ErrInvalidInput || len(rb.Compensated) != 0 {
				t.Errorf("cause = %+v", rb)
			}
			if got := stock(t, dir, "sku-1"); got["sku-1"] != 100 {
				t.Errorf("stock = %v", got)
			}
		})
	}
	// The order id names the saga: an order without one is refused before
	// anything is written, not run under the execution's name.
	t.Run("no order id", func(t *testing.T) {
		dir := t.TempDir()
		r := sfnRun(t, definition, dir, order("", func(m map[string]any) { delete(m, "orderId") }), "--execution-name", "exec-7")
		rb := r.rollback(t)
		if rb.FailedStep != "inventory" || rb.Error != saga.ErrInvalidInput || len(rb.Compensated) != 0 || !strings.Contains(rb.Message, "orderId") {
			t.Errorf("cause = %+v", rb)
		}
		if got := stock(t, dir, "sku-1"); got["sku-1"] != 100 {
			t.Errorf("stock = %v", got)
		}
	})
}

func TestCompensationFailingTwiceThenSucceeding(t *testing.T) {
	dir := t.TempDir()
	in := order("o-retry", func(m map[string]any) {
		m["shipping"] = map[string]any{"address": map[string]any{"country": "XX"}}
	}, withFaults(saga.Fault{Step: "payment", Phase: saga.PhaseCompensation, Times: 2}))
	r := sfnRun(t, definition, dir, in)
	rb := r.rollback(t)
	if !reflect.DeepEqual(rb.Compensated, []string{"payment", "inventory"}) {
		t.Errorf("compensated = %v", rb.Compensated)
	}
	if got := paymentState(t, dir, "o-retry"); got != orders.Refunded {
		t.Errorf("payment = %s, want refunded", got)
	}
	if n := len(r.eventsOf(events.TypeSagaCompensationFailed)); n != 2 {
		t.Errorf("%d compensation failed events, want 2", n)
	}
	st := sagaStatus(t, dir, "o-retry")
	for _, s := range st.Steps {
		if s.Step == "payment" && (s.Compensation == nil || s.Compensation.State != saga.StateSucceeded) {
			t.Errorf("payment compensation = %+v", s.Compensation)
		}
	}
}

func TestCompensationNeverSucceedingLeavesTheSagaStuck(t *testing.T) {
	dir := t.TempDir()
	in := order("o-stuck", func(m map[string]any) {
		m["shipping"] = map[string]any{"address": map[string]any{"country": "XX"}}
	}, withFaults(saga.Fault{Step: "payment", Phase: saga.PhaseCompensation}))
	r := sfnRun(t, definition, dir, in)
	if r.Status != "FAILED" || deref(r.Error) != saga.ErrStuck {
		t.Fatalf("status %s %s, want FAILED %s", r.Status, deref(r.Error), saga.ErrStuck)
	}
	var cause struct {
		Step, Phase, FailedStep, Error, Reason string
	}
	if err := json.Unmarshal([]byte(deref(r.Cause)), &cause); err != nil || cause.Step != "payment" || cause.Phase != saga.PhaseCompensation ||
		cause.FailedStep != "shipping" || cause.Error != saga.ErrTransient || cause.Reason == "" {
		t.Errorf("cause %s (%v)", deref(r.Cause), err)
	}
	stuck := r.eventsOf(events.TypeSagaStuck)
	if len(stuck) != 1 || stuck[0].CorrelationID != "o-stuck" {
		t.Fatalf("saga stuck events = %+v", stuck)
	}
	var data events.SagaStuck
	if err := json.Unmarshal(stuck[0].Data, &data); err != nil || data.Step != "payment" || data.Phase != saga.PhaseCompensation || data.Error == nil {
		t.Errorf("stuck event data %s (%v)", stuck[0].Data, err)
	}
	// 1 try + 5 retries, every one reported.
	if n := len(r.eventsOf(events.TypeSagaCompensationFailed)); n != 6 {
		t.Errorf("%d compensation failed events, want 6", n)
	}
	if got := paymentState(t, dir, "o-stuck"); got != orders.Charged {
		t.Errorf("payment = %s: the stuck compensation must not have refunded", got)
	}
	if st := sagaStatus(t, dir, "o-stuck"); st.State != saga.SagaStuck || st.Error != saga.ErrStuck {
		t.Errorf("overall state %q error %q, want %q", st.State, st.Error, saga.SagaStuck)
	}
}

func TestParallelGroupFailureCompensatesTheOtherBranch(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(t.TempDir(), "parallel.asl.json")
	if out, err := exec.Command(cli, "saga", "generate", "../../pkg/saga/testdata/parallel.saga.yaml", "-o", def).CombinedOutput(); err != nil {
		t.Fatalf("saga generate: %v: %s", err, out)
	}
	// shipping refuses after two transient failures, so payment (the other
	// branch) has long finished: it must be refunded.
	in := order("o-par", func(m map[string]any) {
		m["shipping"] = map[string]any{"address": map[string]any{"country": "XX"}}
	}, withFaults(saga.Fault{Step: "shipping", Phase: saga.PhaseForward, Times: 2}))
	r := sfnRun(t, def, dir, in)
	rb := r.rollback(t)
	if rb.FailedStep != "shipping" || rb.Error != saga.ErrBusiness {
		t.Errorf("cause = %+v", rb)
	}
	if got := paymentState(t, dir, "o-par"); got != orders.Refunded && got != orders.Voided {
		t.Errorf("payment = %s, want refunded (or voided had it been stopped before charging)", got)
	}
	if got := stock(t, dir, "sku-1", "sku-3"); got["sku-1"] != 100 || got["sku-3"] != 100 {
		t.Errorf("stock = %v", got)
	}
	st := phases(sagaStatus(t, dir, "o-par"))
	if !strings.HasSuffix(st["payment"], "/succeeded") || st["shipping"] != "failed/succeeded(null)" || st["inventory"] != "succeeded/succeeded" {
		t.Errorf("status = %v", st)
	}
	if _, ran := st["order"]; ran {
		t.Errorf("order ran: %v", st)
	}
	// payment is listed when its compensation undid something: after its
	// action finished, or (under load) while the Parallel was cancelling it
	// mid-run; a null compensation (it never ran) is not listed.
	want := []string{"inventory"}
	if !strings.HasSuffix(st["payment"], "(null)") {
		want = []string{"payment", "inventory"}
	}
	if !reflect.DeepEqual(rb.Compensated, want) {
		t.Errorf("compensated = %v, want %v (status %v)", rb.Compensated, want, st)
	}
	_ = context.Background
}

// The issue 9 contract: `sfn run --data-dir D` of order-fulfillment for an
// orderId that already completed, with a different input, ends FAILED with
// Saga.Conflict, and `saga status` still shows the first saga completed;
// nothing of the first saga is compensated. The same input again answers
// the first run's output.
func TestRerunOfACompletedSaga(t *testing.T) {
	dir := t.TempDir()
	first := sfnRun(t, definition, dir, order("o-again"))
	if first.Status != "SUCCEEDED" {
		t.Fatalf("first run: %s %s %s", first.Status, deref(first.Error), deref(first.Cause))
	}
	tests := []struct {
		name      string
		input     map[string]any
		status    string
		errName   string
		sameOut   bool
		published int
	}{
		{"same input answers the recorded output", order("o-again"), "SUCCEEDED", "", true, 0},
		{"another quantity", order("o-again", func(m map[string]any) {
			m["items"] = []any{map[string]any{"sku": "sku-1", "quantity": 5}}
		}), "FAILED", saga.ErrConflict, false, 0},
		{"another customer", order("o-again", func(m map[string]any) { m["customerId"] = "c-other" }), "FAILED", saga.ErrConflict, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sfnRun(t, definition, dir, tt.input)
			if r.Status != tt.status || deref(r.Error) != map[bool]string{true: "<nil>", false: tt.errName}[tt.errName == ""] {
				t.Fatalf("status %s error %s cause %s, want %s %s", r.Status, deref(r.Error), deref(r.Cause), tt.status, tt.errName)
			}
			if wantCode := map[bool]int{true: 0, false: 1}[tt.status == "SUCCEEDED"]; r.Code != wantCode {
				t.Errorf("exit code %d, want %d", r.Code, wantCode)
			}
			if tt.sameOut && string(r.Output) != string(first.Output) {
				t.Errorf("output %s, want the first run's %s", r.Output, first.Output)
			}
			if tt.errName == saga.ErrConflict && !strings.Contains(deref(r.Cause), "o-again") {
				t.Errorf("cause %q does not name the saga", deref(r.Cause))
			}
			if len(r.Events) != tt.published {
				t.Errorf("published %d events, want %d: a re-run emits nothing", len(r.Events), tt.published)
			}
			st := sagaStatus(t, dir, "o-again")
			if st.State != saga.SagaCompleted {
				t.Errorf("saga status state %q, want %q", st.State, saga.SagaCompleted)
			}
			want := map[string]string{"inventory": "succeeded/-", "payment": "succeeded/-", "shipping": "succeeded/-", "order": "succeeded/-"}
			if got := phases(st); !reflect.DeepEqual(got, want) {
				t.Errorf("steps %v, want %v: the first saga must be left alone", got, want)
			}
			if got := stock(t, dir, "sku-1", "sku-3"); got["sku-1"] != 98 || got["sku-3"] != 99 {
				t.Errorf("stock = %v, want the first order's reservation kept (98, 99)", got)
			}
		})
	}
	if st := sagaStatus(t, dir, "o-again"); st.Conflicts != 2 {
		t.Errorf("status counts %d conflicts, want 2", st.Conflicts)
	}
}

// Re-running the README's demo (a declined payment) answers the recorded
// rollback, not Saga.Hanging.
func TestRerunOfACompensatedSaga(t *testing.T) {
	dir := t.TempDir()
	in := order("o-demo", func(m map[string]any) { m["payment"] = map[string]any{"token": orders.DeclinedToken} })
	first := sfnRun(t, definition, dir, in)
	first.rollback(t)
	again := sfnRun(t, definition, dir, in)
	if again.Status != "FAILED" || deref(again.Error) != saga.ErrCompensated || deref(again.Cause) != deref(first.Cause) {
		t.Fatalf("re-run: %s %s %s, want the first run's %s %s", again.Status, deref(again.Error), deref(again.Cause), saga.ErrCompensated, deref(first.Cause))
	}
	if st := sagaStatus(t, dir, "o-demo"); st.State != saga.SagaCompensated || st.Error != saga.ErrCompensated {
		t.Errorf("status state %q error %q, want compensated", st.State, st.Error)
	}
	conflict := sfnRun(t, definition, dir, order("o-demo"))
	if deref(conflict.Error) != saga.ErrConflict {
		t.Errorf("another input: %s %s, want %s", conflict.Status, deref(conflict.Error), saga.ErrConflict)
	}
}

// An execution that gets past begin for a saga id whose steps ran with
// another input (here: the saga record was lost) ends in Saga.Conflict at
// the first step and compensates nothing of the first saga.
func TestStepConflictInsideAnExecutionCompensatesNothing(t *testing.T) {
	dir := t.TempDir()
	if r := sfnRun(t, definition, dir, order("o-lost")); r.Status != "SUCCEEDED" {
		t.Fatalf("first run: %s %s", r.Status, deref(r.Cause))
	}
	_, s := state(t, dir)
	if err := s.Delete(context.Background(), saga.SagaKey("o-lost"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := sfnRun(t, definition, dir, order("o-lost", func(m map[string]any) { m["customerId"] = "c-other" }))
	if r.Status != "FAILED" || deref(r.Error) != saga.ErrConflict || !strings.Contains(deref(r.Cause), "inventory") {
		t.Fatalf("status %s error %s cause %s, want FAILED %s at inventory", r.Status, deref(r.Error), deref(r.Cause), saga.ErrConflict)
	}
	want := map[string]string{"inventory": "succeeded/-", "payment": "succeeded/-", "shipping": "succeeded/-", "order": "succeeded/-"}
	if got := phases(sagaStatus(t, dir, "o-lost")); !reflect.DeepEqual(got, want) {
		t.Errorf("steps %v, want %v: nothing of the first saga may be compensated", got, want)
	}
	if got := stock(t, dir, "sku-1"); got["sku-1"] != 98 {
		t.Errorf("stock %v, want the first reservation kept", got)
	}
}
