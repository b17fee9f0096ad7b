package slo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// ReplayLine is what `cogniforge slo replay` prints for each transition.
type ReplayLine struct {
	Time     time.Time `json:"time"`
	SLO      string    `json:"slo"`
	Severity string    `json:"severity"`
	State    string    `json:"state"`
	BurnRate BurnPair  `json:"burnRate"`
	Windows  []string  `json:"windows"`
}

// Line is t as replay prints it.
func (t Transition) Line() ReplayLine {
	return ReplayLine{Time: t.Time.UTC(), SLO: t.SLO, Severity: t.Severity, State: t.State, BurnRate: t.BurnRate, Windows: t.Windows}
}

// ReplayConfig configures Replay.
type ReplayConfig struct {
	SLOs []SLO
	// Step is the evaluation interval of virtual time. Zero means 1m.
	Step time.Duration
	// Emit receives every transition in order.
	Emit func(Transition) error
	// Refused, when not nil, receives the events the aggregator refused
	// (too old, invalid): they are reported, not silently skipped.
	Refused func(Event, error)
}

// Replay runs the aggregator and the evaluator in virtual time over a
// recorded stream, in a memory store: next returns the events in time
// order (ok false at the end). Evaluations happen at every multiple of Step
// of event time, from the first event's to the first one after the last
// event, as the schedule would run them; the events before a boundary are
// counted before it is evaluated.
func Replay(ctx context.Context, cfg ReplayConfig, next func() (Event, bool, error)) error {
	step := cfg.Step
	if step == 0 {
		step = time.Minute
	}
	if step < 0 {
		return fmt.Errorf("slo replay: step %s is not positive", step)
	}
	var now time.Time
	st := memory.New(memory.Config{Now: func() time.Time { return now }})
	agg, err := NewAggregator(AggregatorConfig{Store: st, SLOs: cfg.SLOs, Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	ev, err := NewEvaluator(EvaluatorConfig{Store: st, SLOs: cfg.SLOs, Notify: func(_ context.Context, t Transition) error {
		if cfg.Emit == nil {
			return nil
		}
		return cfg.Emit(t)
	}})
	if err != nil {
		return err
	}
	var batch []Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rep, err := agg.Count(ctx, batch)
		if err != nil {
			return err
		}
		for i, e := range rep.Errors {
			if e == nil {
				continue
			}
			var ee *EventError
			if errors.As(e, &ee) && ee.Name == ErrNameStoreFailed {
				return e
			}
			if cfg.Refused != nil {
				cfg.Refused(batch[i], e)
			}
		}
		batch = batch[:0]
		return nil
	}
	var boundary time.Time
	started := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if !started {
			started = true
			boundary = e.Time.Truncate(step).Add(step)
		}
		for !e.Time.Before(boundary) {
			now = boundary
			if err := flush(); err != nil {
				return err
			}
			if _, _, err := ev.Evaluate(ctx, boundary); err != nil {
				return err
			}
			boundary = boundary.Add(step)
		}
		if e.Time.After(now) {
			now = e.Time
		}
		batch = append(batch, e)
		if len(batch) >= 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if !started {
		return nil
	}
	now = boundary
	if err := flush(); err != nil {
		return err
	}
	_, _, err = ev.Evaluate(ctx, boundary)
	return err
}
