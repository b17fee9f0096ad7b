package saga

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// EnvFaults is the environment variable that turns the fault hook on in the
// registry's saga functions ("1"). It is for tests; never set it in a
// deployment.
const EnvFaults = "COGNIFORGE_SAGA_FAULTS"

// Fault is a test-only failure injected into a step before it does
// anything, listed in the saga input under "faults":
//
//	{"orderId": "o-1", ..., "faults": [
//	  {"step": "payment", "phase": "compensation", "times": 2}]}
//
// makes the first two compensation attempts of payment fail with
// Saga.TransientError and lets the third through. Times <= 0 means every
// attempt fails; Error defaults to Saga.TransientError (a Saga.BusinessError
// fault makes the step refuse). Attempts are counted in the store per saga,
// step and phase, so they hold across processes. The hook only works when
// Config.Faults is set.
type Fault struct {
	Step  string `json:"step"`
	Phase string `json:"phase"`
	Error string `json:"error,omitempty"`
	Times int    `json:"times,omitempty"`
}

// injectFault fails the call when the input asks for a fault on this step
// and phase and its budget is not spent.
func injectFault(ctx context.Context, s store.Store, t Task) error {
	var in struct {
		Faults []Fault `json:"faults"`
	}
	if len(t.Input) == 0 || json.Unmarshal(t.Input, &in) != nil {
		return nil
	}
	for _, f := range in.Faults {
		if f.Step != t.Step || f.Phase != t.Phase {
			continue
		}
		n, err := s.Add(ctx, store.Key{Partition: PartitionPrefix + t.SagaID, Sort: "fault#" + t.Step + "#" + t.Phase}, 1)
		if err != nil {
			return Transient(fmt.Errorf("saga: fault counter: %w", err))
		}
		if f.Times > 0 && n > int64(f.Times) {
			return nil
		}
		name := f.Error
		if name == "" {
			name = ErrTransient
		}
		return &faas.Error{Name: name, Message: fmt.Sprintf("injected fault %d on %s %s", n, t.Step, t.Phase), Retryable: name == ErrTransient}
	}
	return nil
}
