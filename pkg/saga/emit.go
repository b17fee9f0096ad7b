package saga

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// maxMessage is the longest error message the catalog accepts.
const maxMessage = 4096

// stepEvent builds the catalog event of one finished (or failed) phase:
// correlationid and subject are the saga id; traceparent is the span in ctx
// or else the saga's own.
func stepEvent(ctx context.Context, source string, t Task, now time.Time, dur time.Duration, out Outcome, reply any, err error) (cloudevents.Event, error) {
	attempt := out.Attempt
	if attempt < 1 {
		attempt = t.RetryCount + 1
	}
	ms := float64(dur.Microseconds()) / 1000
	var typ string
	var data any
	if err == nil {
		typ = events.TypeSagaStepSucceeded
		if t.Phase == PhaseCompensation {
			typ = events.TypeSagaCompensationSucceeded
		}
		data = stepSucceeded{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step, Phase: t.Phase, Attempt: attempt, Result: asObject(reply), DurationMs: ms}
	} else {
		typ = events.TypeSagaStepFailed
		if t.Phase == PhaseCompensation {
			typ = events.TypeSagaCompensationFailed
		}
		msg := err.Error()
		if len(msg) > maxMessage {
			msg = msg[:maxMessage]
		}
		data = events.StepFailed{SagaID: t.SagaID, Saga: t.Saga, Step: t.Step, Phase: t.Phase, Attempt: attempt,
			Error: events.ErrorInfo{Name: faas.ErrorName(err), Message: msg}, Retryable: !IsBusiness(err), DurationMs: ms}
	}
	opts := []events.Option{events.Subject(t.SagaID), events.Time(now)}
	if err == nil {
		// One id per saga, step and phase outcome: a re-published success
		// (after a bus failure, or on a duplicate delivery) is the same
		// CloudEvent (same source and id), which consumers drop as a
		// duplicate, as the CloudEvents spec allows them to.
		opts = append(opts, events.ID(SuccessEventID(t)))
	}
	e, nerr := events.New(ctx, typ, source, data, opts...)
	if nerr != nil {
		return e, nerr
	}
	e.SetExtension(events.ExtCorrelationID, t.SagaID)
	if events.TraceParent(ctx) == "" && t.TraceParent != "" {
		e.SetExtension(events.ExtTraceParent, t.TraceParent)
	}
	if _, ok := e.Extensions()[events.ExtBaggage]; !ok && t.Baggage != "" {
		e.SetExtension(events.ExtBaggage, t.Baggage)
	}
	return e, nil
}

// stepSucceeded is events.StepSucceeded with the result kept as JSON text,
// so a step's answer is not decoded into a map only to be encoded again.
type stepSucceeded struct {
	SagaID     string          `json:"sagaId"`
	Saga       string          `json:"saga,omitempty"`
	Step       string          `json:"step"`
	Phase      string          `json:"phase,omitempty"`
	Attempt    int             `json:"attempt"`
	Result     json.RawMessage `json:"result,omitempty"`
	DurationMs float64         `json:"durationMs,omitempty"`
}

// asObject returns v as JSON when it is an object (the catalog's result is
// an object), or nil.
func asObject(v any) json.RawMessage {
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case json.RawMessage:
		b = x
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			return nil
		}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	return b
}

// SuccessEventID is the CloudEvent id of the event a step's successful
// phase emits: stable across retries and duplicate deliveries.
func SuccessEventID(t Task) string {
	return t.SagaID + "/" + t.Step + "/" + t.Phase + "/succeeded"
}

// emit publishes the phase's event and returns the bus's refusal. The
// caller fails a successful step with a transient error when its event was
// not published: the state machine's retry finds the effect recorded by
// the barrier (no second effect) and publishes the same event again, so
// the success event is delivered at least once, never lost. A failure
// event that cannot be published is logged: the failure itself reaches the
// state machine, which emits the saga-level events.
func (h *handler[In, Out]) emit(ctx context.Context, t Task, start time.Time, out Outcome, reply any, err error) error {
	if h.cfg.Bus == nil {
		return nil
	}
	now := h.now()
	e, eerr := stepEvent(ctx, h.source, t, now, now.Sub(start), out, reply, err)
	if eerr == nil {
		var res []error
		res, eerr = h.cfg.Bus.Publish(ctx, []cloudevents.Event{e})
		if eerr == nil && len(res) == 1 {
			eerr = res[0]
		}
	}
	if eerr == nil && err == nil {
		return nil
	}
	if eerr != nil {
		h.logger.ErrorContext(ctx, "saga: step event not published", "sagaId", t.SagaID, "step", t.Step, "phase", t.Phase, "error", eerr)
	}
	return eerr
}
