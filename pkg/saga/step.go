package saga

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// TaskType is the CloudEvent type a step function's Step Functions task
// payload (a Task) is wrapped as; its schema is in the event catalog.
const TaskType = events.TypeSagaTask

// Task is the payload a state machine sends a step function. The generated
// Parameters fill it; Phase tells the function whether to act or to
// compensate.
type Task struct {
	SagaID string `json:"sagaId"`
	Saga   string `json:"saga,omitempty"`
	Step   string `json:"step"`
	// Phase is PhaseForward ("forward", the action) or PhaseCompensation.
	Phase string `json:"phase"`
	// RetryCount is $$.State.RetryCount: 0 on the first attempt.
	RetryCount int `json:"retryCount,omitempty"`
	// TraceParent is the saga's W3C trace context: every step's span joins
	// the one trace of the saga.
	TraceParent string `json:"traceparent,omitempty"`
	// Baggage is the W3C baggage the saga's caller sent (empty for none):
	// the saga's events carry it on, as they carry the trace context.
	Baggage string `json:"baggage,omitempty"`
	// CorrelationID is the saga id again: the faas adapter makes it the
	// event's correlationid.
	CorrelationID string `json:"correlationId,omitempty"`
	// Input is the saga's input; the step decodes its own part. Its hash
	// identifies the saga's input in the saga record (PhaseBegin).
	Input json.RawMessage `json:"input,omitempty"`
	// Outcome is how the saga ended (PhaseEnd only).
	Outcome *Ending `json:"outcome,omitempty"`
	// Event is the data of the saga-level event the phase emits
	// (PhaseBegin: saga started; PhaseEnd: completed, compensated or
	// stuck), built by the definition.
	Event json.RawMessage `json:"event,omitempty"`
	// EventSource is the source of the saga-level events. Empty means
	// "cogniforge/saga/<saga>".
	EventSource string `json:"eventSource,omitempty"`
}

// Step is one step of a saga: an action and the compensation that undoes
// it, plain functions of the step's typed input. The saga id is in the
// context (InfoFrom); effects must be keyed by it so that running them
// again is harmless (see the package documentation).
type Step[In, Out any] struct {
	// Action does the step. Return Business or InvalidInput errors to
	// refuse (and leave no effect then); anything else is transient.
	// Required.
	Action func(ctx context.Context, in In) (Out, error)
	// Compensation undoes whatever Action did for this saga id, including
	// a partly applied Action, and leaves a mark so that a late Action for
	// the same saga id does nothing. Nil means the step needs no undo.
	Compensation func(ctx context.Context, in In) error
	// Names are the step names (the spec's "name") this function serves: a
	// task addressed to any other step is refused with ErrWrongStep before
	// anything is written, so a miswired definition cannot record one
	// step's effect as another's. Empty means the function's own name.
	Names []string
}

// Info describes the running phase; InfoFrom reads it from the context.
type Info struct {
	SagaID, Saga, Step, Phase string
}

type infoKey struct{}

// InfoFrom returns the saga, step and phase the context belongs to.
func InfoFrom(ctx context.Context) (Info, bool) {
	i, ok := ctx.Value(infoKey{}).(Info)
	return i, ok
}

// WithInfo returns ctx carrying i (tests of business code use it).
func WithInfo(ctx context.Context, i Info) context.Context {
	return context.WithValue(ctx, infoKey{}, i)
}

// Config is what a step function is built from.
type Config struct {
	// Store keeps the barrier records (and the fault counters). Required.
	Store store.Store
	// Bus receives the step events (succeeded/failed, compensation
	// succeeded/failed). Nil publishes nothing.
	Bus bus.Publisher
	// Logger reports events that could not be published. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Source is the source of the step events. Empty means
	// "cogniforge/<function name>".
	Source string
	// Faults turns on the test-only fault hook (see Fault). Off, a payload
	// that asks for faults is served normally.
	Faults bool
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("saga: Config.Store is required")
	}
	return nil
}

// NewFunction turns a step into a deployable function named name that
// serves both phases of the step behind the barrier.
func NewFunction[In, Out any](name, description string, step Step[In, Out], cfg Config) (faas.Function, error) {
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("saga: function name is required"))
	}
	if step.Action == nil {
		errs = append(errs, errors.New("saga: Step.Action is required"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return faas.Function{}, err
	}
	h, err := newHandler(name, step, cfg)
	if err != nil {
		return faas.Function{}, err
	}
	return faas.Function{
		Name:          name,
		Description:   description,
		Handler:       h.handle,
		Consumes:      []string{TaskType},
		TaskEventType: TaskType,
		Triggers:      []faas.Trigger{{Kind: faas.TriggerStepFunctions}},
	}, nil
}

type handler[In, Out any] struct {
	name    string
	steps   map[string]bool
	step    Step[In, Out]
	barrier *Barrier
	log     *sagaLog
	cfg     Config
	logger  *slog.Logger
	now     func() time.Time
	source  string
}

func newHandler[In, Out any](name string, step Step[In, Out], cfg Config) (*handler[In, Out], error) {
	b, err := NewBarrier(BarrierConfig{Store: cfg.Store, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	h := &handler[In, Out]{name: name, step: step, barrier: b, cfg: cfg, logger: cfg.Logger, now: cfg.Now, source: cfg.Source, steps: map[string]bool{}}
	for _, n := range step.Names {
		h.steps[n] = true
	}
	if len(h.steps) == 0 {
		h.steps[name] = true
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.source == "" {
		h.source = "cogniforge/" + name
	}
	h.log = &sagaLog{store: cfg.Store, bus: cfg.Bus, now: h.now, logger: h.logger}
	return h, nil
}

// DecodeTask parses a task payload strictly enough to key the barrier.
func DecodeTask(data []byte) (Task, error) {
	var t Task
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&t); err != nil {
		return t, InvalidInput("saga task payload: %v", err)
	}
	switch t.Phase {
	case PhaseForward, PhaseCompensation, PhaseBegin:
	case PhaseEnd:
		if t.Outcome == nil {
			return t, InvalidInput("saga task payload: phase %q needs an outcome", PhaseEnd)
		}
		switch t.Outcome.State {
		case SagaCompleted, SagaCompensated, SagaStuck:
		default:
			return t, InvalidInput("saga task payload: outcome state %q is not %s, %s or %s", t.Outcome.State, SagaCompleted, SagaCompensated, SagaStuck)
		}
	default:
		return t, InvalidInput("saga task payload: phase %q is not %q, %q, %q or %q", t.Phase, PhaseForward, PhaseCompensation, PhaseBegin, PhaseEnd)
	}
	id := ID{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step}
	if err := id.Validate(); err != nil {
		return t, err
	}
	return t, nil
}

// decodeInput decodes the step's input; a bad input is ErrInvalidInput.
func decodeInput[In any](raw json.RawMessage) (In, error) {
	var in In
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, InvalidInput("saga task payload: no input")
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, InvalidInput("saga task payload: input: %v", err)
	}
	return in, nil
}

func (h *handler[In, Out]) handle(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	start := h.now()
	t, err := DecodeTask(ev.Data())
	if err != nil {
		return nil, err
	}
	id := ID{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step}
	if !h.steps[t.Step] {
		return nil, h.wrongStep(t)
	}
	if h.cfg.Faults {
		if err := injectFault(ctx, h.cfg.Store, t); err != nil {
			_ = h.emit(ctx, t, start, Outcome{Attempt: t.RetryCount + 1}, nil, err) // logged; err is what counts
			return nil, err
		}
	}
	switch t.Phase {
	case PhaseBegin:
		res, err := h.log.begin(ctx, t)
		if err != nil {
			return nil, err
		}
		return h.reply(ev, res)
	case PhaseEnd:
		if err := h.log.end(ctx, t); err != nil {
			return nil, err
		}
		return h.reply(ev, map[string]string{"state": t.Outcome.State})
	}
	var out Outcome
	var reply any
	if t.Phase == PhaseForward {
		// The action remembers the input it ran for: a task for the same
		// saga and step with another input is a conflict, not a duplicate.
		if id.InputHash, err = InputHash(t.Input); err != nil {
			return nil, err
		}
		out, err = h.barrier.Forward(ctx, id, func(ctx context.Context) (json.RawMessage, error) {
			in, err := decodeInput[In](t.Input)
			if err != nil {
				return nil, err
			}
			ctx = WithInfo(ctx, Info{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step, Phase: t.Phase})
			res, err := h.step.Action(ctx, in)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(res)
			if err != nil {
				return nil, fmt.Errorf("saga: encode result of %s: %w", t.Step, err)
			}
			return b, nil
		}, h.undo(t))
		reply = out.Result
	} else {
		out, err = h.barrier.Compensate(ctx, id, h.undo(t))
		reply = CompensationResult{Step: t.Step, Compensated: err == nil && !out.Null, Duplicate: out.Duplicate}
	}
	// A duplicate success publishes its event again with the same id: the
	// first delivery's publish may have failed (see emit).
	if !out.Duplicate || err == nil {
		if eerr := h.emit(ctx, t, start, out, reply, err); eerr != nil && err == nil {
			return nil, &faas.Error{Name: ErrTransient, Retryable: true, Err: eerr,
				Message: fmt.Sprintf("saga: %s %s of %s done, but its event was not published: %v", t.Step, t.Phase, t.SagaID, eerr)}
		}
	}
	if err != nil {
		return nil, err
	}
	return h.reply(ev, reply)
}

// reply wraps a phase's answer as the reply event.
func (h *handler[In, Out]) reply(ev cloudevents.Event, reply any) (*cloudevents.Event, error) {
	e := cloudevents.NewEvent()
	e.SetID(ev.ID() + "/reply")
	e.SetSource(h.source)
	e.SetType(TaskType + ".result")
	e.SetTime(h.now())
	if raw, ok := reply.(json.RawMessage); ok {
		e.SetDataContentType(cloudevents.ApplicationJSON)
		e.DataEncoded = raw
	} else if err := e.SetData(cloudevents.ApplicationJSON, reply); err != nil {
		return nil, fmt.Errorf("saga: encode reply: %w", err)
	}
	return &e, nil
}

// CompensationResult is what a compensation answers the state machine.
type CompensationResult struct {
	Step string `json:"step"`
	// Compensated is false for a null compensation (nothing was undone).
	Compensated bool `json:"compensated"`
	// Duplicate: the compensation had already run; nothing ran now.
	Duplicate bool `json:"duplicate,omitempty"`
}

func (h *handler[In, Out]) undo(t Task) Effect {
	return func(ctx context.Context) (json.RawMessage, error) {
		if h.step.Compensation == nil {
			return nil, nil
		}
		in, err := decodeInput[In](t.Input)
		if err != nil {
			return nil, err
		}
		ctx = WithInfo(ctx, Info{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step, Phase: PhaseCompensation})
		return nil, h.step.Compensation(ctx, in)
	}
}

// wrongStep refuses a task addressed to a step this function does not
// serve.
func (h *handler[In, Out]) wrongStep(t Task) *faas.Error {
	own := make([]string, 0, len(h.steps))
	for n := range h.steps {
		own = append(own, n)
	}
	sort.Strings(own)
	return &faas.Error{Name: ErrWrongStep, Message: fmt.Sprintf("function %s serves step %s, not %q (saga %s): the task was sent to the wrong function",
		h.name, strings.Join(own, ", "), t.Step, t.SagaID)}
}
