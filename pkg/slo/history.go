package slo

import (
	"context"
	"fmt"
	"time"
)

// Point is one step of an SLO's history: the data of a burn-down chart.
type Point struct {
	Time time.Time `json:"time"`
	// Good and Total are the events (slices for Timeslices) in the step
	// ending at Time.
	Good  int64 `json:"good"`
	Total int64 `json:"total"`
	// BudgetRemaining is the budget left at Time of the current window's:
	// what was spent from the window's start to Time, against the budget of
	// the whole window as it stands now, so the last point is the status.
	BudgetRemaining float64 `json:"budgetRemaining"`
	// BurnRate is the 1h burn rate at Time.
	BurnRate float64 `json:"burnRate"`
}

// History returns one SLO's points every step (zero means 1h) from the
// start of its window to now.
func (e *Evaluator) History(ctx context.Context, name string, now time.Time, step time.Duration) ([]Point, error) {
	i := -1
	for j := range e.slos {
		if e.slos[j].Name == name {
			i = j
		}
	}
	if i < 0 {
		return nil, fmt.Errorf("slo: no SLO named %q", name)
	}
	if step == 0 {
		step = time.Hour
	}
	if step < time.Minute {
		return nil, fmt.Errorf("slo: history step %s is under a minute, the finest bucket", step)
	}
	m, err := e.measure(ctx, i, now)
	if err != nil {
		return nil, err
	}
	s, sr := &e.slos[i], e.series[i]
	dataStart, _, err := sr.dataStart(ctx, e.store)
	if err != nil {
		return nil, err
	}
	start := m.status.WindowStart
	budget := 1 - s.Target
	// allowed is the window's budget in bad events (or slices).
	var allowed float64
	if s.Budgeting == Timeslices {
		allowed = budget * float64(m.length) / float64(s.TimeSliceWindow)
	} else {
		allowed = budget * float64(m.status.Total) / coverage(start, now, dataStart)
	}
	var out []Point
	var spent int64
	for from := start; from.Before(now); from = from.Add(step) {
		to := from.Add(step)
		if to.After(now) {
			to = now
		}
		var p Point
		if s.Budgeting == Timeslices {
			n, bad, _, err := sr.slices(ctx, e.store, from, to, int64(s.TimeSliceWindow/time.Minute), s.TimeSliceTarget)
			if err != nil {
				return nil, err
			}
			p.Good, p.Total, spent = n-bad, n, spent+bad
		} else {
			total, good, err := sr.sum(ctx, e.store, from, to)
			if err != nil {
				return nil, err
			}
			p.Good, p.Total, spent = good, total, spent+total-good
		}
		p.Time = to
		p.BudgetRemaining = 1
		if allowed > 0 {
			p.BudgetRemaining = round(1 - float64(spent)/allowed)
		}
		b, _, err := e.burnOver(ctx, s, sr, to, dataStart, time.Hour)
		if err != nil {
			return nil, err
		}
		p.BurnRate = round(b)
		out = append(out, p)
	}
	return out, nil
}
