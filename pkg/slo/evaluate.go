package slo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Alert states.
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// BurnPair is the burn rate over a rule's long and short windows.
type BurnPair struct {
	Long  float64 `json:"long"`
	Short float64 `json:"short"`
}

// Alert is a firing (or resolved) alert of one SLO and severity.
type Alert struct {
	Severity  string    `json:"severity"`
	State     string    `json:"state"`
	Rule      string    `json:"rule"`
	Windows   []string  `json:"windows"`
	BurnRate  BurnPair  `json:"burnRate"`
	Threshold float64   `json:"threshold"`
	Since     time.Time `json:"since"`
}

// Status is one SLO's state at an instant.
type Status struct {
	SLO         string    `json:"slo"`
	Service     string    `json:"service,omitempty"`
	Time        time.Time `json:"time"`
	Target      float64   `json:"target"`
	Window      string    `json:"window"`
	WindowStart time.Time `json:"windowStart"`
	Budgeting   Budgeting `json:"budgetingMethod"`
	// Good and Total are the window's events (for Timeslices, Good and
	// Total count slices; Events counts the events in them).
	Good   int64 `json:"good"`
	Total  int64 `json:"total"`
	Events int64 `json:"events"`
	// SLI is Good/Total; nil with no events in the window.
	SLI *float64 `json:"sli"`
	// BudgetRemaining is the share of the window's error budget left: 1
	// untouched, 0 spent, below 0 overspent.
	BudgetRemaining float64 `json:"budgetRemaining"`
	// BurnRates maps each standard window ("5m" ... "3d") and every alert
	// rule's windows to the burn rate there: 1 spends the budget exactly
	// over the SLO window.
	BurnRates map[string]float64 `json:"burnRates"`
	// Exhaustion is when the budget runs out at the 1h burn rate; nil when
	// nothing burns. Past or now when already spent.
	Exhaustion *time.Time `json:"exhaustion"`
	// Alerts are the firing alerts.
	Alerts []Alert `json:"alerts"`
}

// Transition is an alert that fired or resolved: what the evaluator
// publishes (dev.cogniforge.slo.alert.firing.v1 / resolved.v1) and what
// `cogniforge slo replay` prints.
type Transition struct {
	// ID is stable for one transition (SLO, severity, state, since), so a
	// transition published twice after a failure is recognised.
	ID              string     `json:"id"`
	Time            time.Time  `json:"time"`
	SLO             string     `json:"slo"`
	Service         string     `json:"service,omitempty"`
	Severity        string     `json:"severity"`
	State           string     `json:"state"`
	Rule            string     `json:"rule"`
	Windows         []string   `json:"windows"`
	BurnRate        BurnPair   `json:"burnRate"`
	Threshold       float64    `json:"threshold"`
	Target          float64    `json:"target"`
	BudgetRemaining float64    `json:"budgetRemaining"`
	Exhaustion      *time.Time `json:"exhaustion"`
	Since           time.Time  `json:"since"`
}

// EvaluatorConfig configures an Evaluator.
type EvaluatorConfig struct {
	// Store holds the buckets the Aggregator writes and the alert states.
	Store store.Store
	// SLOs to evaluate; none evaluates nothing.
	SLOs []SLO
	// Notify is called for every transition, after its state is recorded
	// and before it is marked published: when it fails, the next evaluation
	// calls it again with the same Transition.ID. Nil records only.
	Notify func(ctx context.Context, t Transition) error
}

// Evaluator computes SLIs, error budgets and burn rates from the buckets,
// and fires and resolves alerts once each: the state of every SLO and
// severity is kept in the store and changed with conditional writes, so two
// evaluations at once (a schedule and a call) cannot both fire. It is safe
// for concurrent use.
type Evaluator struct {
	store  store.Store
	slos   []SLO
	series []*series
	notify func(ctx context.Context, t Transition) error
}

// NewEvaluator checks cfg and returns an Evaluator.
func NewEvaluator(cfg EvaluatorConfig) (*Evaluator, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("slo: EvaluatorConfig.Store is required"))
	}
	for _, s := range cfg.SLOs {
		if s.Budgeting == Timeslices {
			m := int64(s.TimeSliceWindow / time.Minute)
			if s.TimeSliceWindow%time.Minute != 0 || m <= 0 || 60%m != 0 {
				errs = append(errs, fmt.Errorf("slo %s: timeSliceWindow %s must be whole minutes dividing an hour (1m, 2m, 5m, 10m, 15m, 30m, 60m ...)", s.Name, s.TimeSliceWindow))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e := &Evaluator{store: cfg.Store, slos: cfg.SLOs, notify: cfg.Notify}
	for _, s := range cfg.SLOs {
		e.series = append(e.series, newSeries(s.Name))
	}
	return e, nil
}

// SLOs returns the evaluated SLOs.
func (e *Evaluator) SLOs() []SLO { return e.slos }

// measure is one SLO's numbers at an instant, before alert state.
type measure struct {
	status Status
	burn   map[time.Duration]float64
	count  map[time.Duration]int64 // events per window, for the low-traffic gate
	length time.Duration
}

// coverage is the share of [from, now) after the SLO's first event: the
// part of a window the store has seen. An SLO younger than a window has no
// history for the rest, and a burn rate over a window is a claim about all
// of it, so the unseen part counts as good at the rate seen: a 2x burn
// from an SLO's first minute takes the Workbook's 36 hours to open the
// 3d/6h ticket, as it does after a healthy history, instead of minutes.
// Once the SLO is older than the window, coverage is 1 and burn rates are
// the plain bad/total ratio over the budget.
func coverage(from, now, dataStart time.Time) float64 {
	span := now.Sub(from)
	if span <= 0 {
		return 0
	}
	if dataStart.After(from) {
		return math.Max(float64(now.Sub(dataStart)), 0) / float64(span)
	}
	return 1
}

// burnOver returns the burn rate and event count over [now-w, now).
func (e *Evaluator) burnOver(ctx context.Context, s *SLO, sr *series, now, dataStart time.Time, w time.Duration) (float64, int64, error) {
	budget := 1 - s.Target
	cov := coverage(now.Add(-w), now, dataStart)
	if s.Budgeting == Timeslices {
		n, bad, events, err := sr.slices(ctx, e.store, now.Add(-w), now, int64(s.TimeSliceWindow/time.Minute), s.TimeSliceTarget)
		if err != nil || n == 0 {
			return 0, events, err
		}
		return float64(bad) / float64(n) / budget * cov, events, nil
	}
	total, good, err := sr.sum(ctx, e.store, now.Add(-w), now)
	if err != nil || total == 0 {
		return 0, total, err
	}
	return float64(total-good) / float64(total) / budget * cov, total, nil
}

func (e *Evaluator) measure(ctx context.Context, i int, now time.Time) (*measure, error) {
	s, sr := &e.slos[i], e.series[i]
	if err := sr.refresh(ctx, e.store); err != nil {
		return nil, err
	}
	start, length := s.Window.Bounds(now)
	dataStart, _, err := sr.dataStart(ctx, e.store)
	if err != nil {
		return nil, err
	}
	m := &measure{burn: map[time.Duration]float64{}, count: map[time.Duration]int64{}, length: length}
	st := &m.status
	*st = Status{SLO: s.Name, Service: s.Service, Time: now, Target: s.Target, Window: s.Window.String(),
		WindowStart: start, Budgeting: s.Budgeting, BurnRates: map[string]float64{}, Alerts: []Alert{}}
	if st.Budgeting == "" {
		st.Budgeting = Occurrences
	}
	budget := 1 - s.Target
	if s.Budgeting == Timeslices {
		slice := int64(s.TimeSliceWindow / time.Minute)
		n, bad, events, err := sr.slices(ctx, e.store, start, now, slice, s.TimeSliceTarget)
		if err != nil {
			return nil, err
		}
		st.Good, st.Total, st.Events = n-bad, n, events
		// The budget is time: the share of all the window's slices that
		// may be bad.
		allowed := budget * float64(length) / float64(s.TimeSliceWindow)
		st.BudgetRemaining = 1 - float64(bad)/allowed
	} else {
		total, good, err := sr.sum(ctx, e.store, start, now)
		if err != nil {
			return nil, err
		}
		st.Good, st.Total, st.Events = good, total, total
		st.BudgetRemaining = 1
		if total > 0 {
			st.BudgetRemaining = 1 - float64(total-good)/float64(total)/budget*coverage(start, now, dataStart)
		}
	}
	if st.Total > 0 {
		sli := float64(st.Good) / float64(st.Total)
		st.SLI = &sli
	}
	windows := append([]time.Duration(nil), StandardWindows...)
	for _, r := range s.Alerts {
		windows = append(windows, r.Long, r.Short)
	}
	for _, w := range windows {
		if _, done := m.burn[w]; done {
			continue
		}
		b, n, err := e.burnOver(ctx, s, sr, now, dataStart, w)
		if err != nil {
			return nil, err
		}
		m.burn[w], m.count[w] = b, n
		st.BurnRates[FormatWindow(w)] = round(b)
	}
	if b := m.burn[time.Hour]; b > 0 {
		left := time.Duration(math.Max(st.BudgetRemaining, 0) / b * float64(length))
		t := now.Add(left)
		st.Exhaustion = &t
	}
	return m, nil
}

// alert is rule r of severity sev as measured now.
func (m *measure) alert(sev, state string, r AlertRule, since time.Time) Alert {
	return Alert{Severity: sev, State: state, Rule: ruleName(r),
		Windows:  []string{FormatWindow(r.Long), FormatWindow(r.Short)},
		BurnRate: BurnPair{Long: round(m.burn[r.Long]), Short: round(m.burn[r.Short])}, Threshold: round(r.Factor(m.length)), Since: since}
}

// round keeps 6 significant decimals so JSON stays readable.
func round(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// firingRule returns the first rule of severity that holds, if any.
func firingRule(s *SLO, m *measure, severity string) (AlertRule, bool) {
	for _, r := range s.Alerts {
		if r.Severity != severity || m.count[r.Long] < s.MinEvents || m.count[r.Long] == 0 {
			continue
		}
		f := r.Factor(m.length)
		if r.Exceeds(m.burn[r.Long], f) && r.Exceeds(m.burn[r.Short], f) {
			return r, true
		}
	}
	return AlertRule{}, false
}

func ruleName(r AlertRule) string {
	if r.Name != "" {
		return r.Name
	}
	return FormatWindow(r.Long) + "/" + FormatWindow(r.Short)
}

// alertRecord is the stored state of one SLO and severity.
type alertRecord struct {
	State     string     `json:"state"`
	Rule      AlertRule  `json:"rule"`
	Since     time.Time  `json:"since"`
	Published bool       `json:"published"`
	Pending   Transition `json:"pending"`
}

func alertKey(slo, severity string) store.Key {
	return store.Key{Partition: "slo#alert#" + slo, Sort: severity}
}

func severities(s *SLO) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Alerts {
		if !seen[r.Severity] {
			seen[r.Severity] = true
			out = append(out, r.Severity)
		}
	}
	return out
}

// evalWorkers is how many SLOs an evaluation reads at once. The reads are
// store round trips (on DynamoDB a query and a get or two per SLO, each
// milliseconds away), so 1,000 SLOs read one after another would take
// seconds; the writes and Notify calls that follow stay one at a time, in
// SLO order.
const evalWorkers = 16

// reading is what an evaluation reads for one SLO: its numbers and the
// stored alert state of each of its severities (in severities order).
type reading struct {
	m      *measure
	alerts []alertRead
	err    error
}

type alertRead struct {
	item store.Item
	err  error
}

// readAll measures every SLO at now and reads its alert states,
// evalWorkers at a time.
func (e *Evaluator) readAll(ctx context.Context, now time.Time) []reading {
	out := make([]reading, len(e.slos))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(evalWorkers, len(e.slos)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(e.slos) {
					return
				}
				r, s := &out[i], &e.slos[i]
				if r.m, r.err = e.measure(ctx, i, now); r.err != nil {
					continue
				}
				for _, sev := range severities(s) {
					it, err := e.store.Get(ctx, alertKey(s.Name, sev))
					r.alerts = append(r.alerts, alertRead{item: it, err: err})
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// Evaluate computes every SLO at now, records alert transitions and calls
// Notify for each. It returns the statuses and the transitions made now
// (including ones whose earlier Notify failed and are sent again).
func (e *Evaluator) Evaluate(ctx context.Context, now time.Time) ([]Status, []Transition, error) {
	var out []Status
	var trans []Transition
	var errs []error
	reads := e.readAll(ctx, now)
	for i := range e.slos {
		st, ts, err := e.evaluateOne(ctx, i, &reads[i], now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, st)
		trans = append(trans, ts...)
	}
	return out, trans, errors.Join(errs...)
}

func (e *Evaluator) evaluateOne(ctx context.Context, i int, r *reading, now time.Time) (Status, []Transition, error) {
	s := &e.slos[i]
	if r.err != nil {
		return Status{}, nil, r.err
	}
	m := r.m
	var trans []Transition
	for k, sev := range severities(s) {
		t, alert, err := e.transition(ctx, s, m, sev, r.alerts[k], now)
		if err != nil {
			return Status{}, nil, err
		}
		if t != nil {
			trans = append(trans, *t)
		}
		if alert != nil {
			m.status.Alerts = append(m.status.Alerts, *alert)
		}
	}
	return m.status, trans, nil
}

// transition moves one severity's state if the rules say so, and sends a
// transition not yet published. read is the state as readAll found it: a
// write made since then fails its version condition, as it would have
// right after the read.
func (e *Evaluator) transition(ctx context.Context, s *SLO, m *measure, sev string, read alertRead, now time.Time) (*Transition, *Alert, error) {
	key := alertKey(s.Name, sev)
	var rec alertRecord
	var version int64
	it, err := read.item, read.err
	switch {
	case err == nil:
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return nil, nil, fmt.Errorf("slo %s: alert state %s: %w", s.Name, sev, err)
		}
		version = it.Version
	case errors.Is(err, store.ErrNotFound):
		rec = alertRecord{State: Resolved, Published: true}
	default:
		return nil, nil, fmt.Errorf("slo %s: read alert state %s: %w", s.Name, sev, err)
	}
	rule, fire := firingRule(s, m, sev)
	want := Resolved
	if fire {
		want = Firing
	}
	if want != rec.State {
		// The resolved transition reports the rule that fired.
		if !fire {
			rule = rec.Rule
		}
		a := m.alert(sev, want, rule, now)
		t := Transition{Time: now, SLO: s.Name, Service: s.Service, Severity: sev, State: want, Rule: a.Rule,
			Windows: a.Windows, BurnRate: a.BurnRate, Threshold: a.Threshold, Target: s.Target,
			BudgetRemaining: round(m.status.BudgetRemaining), Exhaustion: m.status.Exhaustion, Since: now}
		t.ID = fmt.Sprintf("%s/%s/%s/%d", s.Name, sev, want, now.UnixNano())
		rec = alertRecord{State: want, Rule: rule, Since: now, Pending: t}
		cond := store.Condition{IfVersion: version}
		if version == 0 {
			cond = store.Condition{IfAbsent: true}
		}
		b, _ := json.Marshal(rec)
		it, err := e.store.Put(ctx, store.Item{Key: key, Value: b}, cond)
		if errors.Is(err, store.ErrConditionFailed) {
			// Another evaluation moved this state first; it publishes.
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("slo %s: write alert state %s: %w", s.Name, sev, err)
		}
		version = it.Version
	}
	var alert *Alert
	if rec.State == Firing {
		a := m.alert(sev, Firing, rec.Rule, rec.Since)
		alert = &a
	}
	if rec.Published {
		return nil, alert, nil
	}
	t := rec.Pending
	if e.notify != nil {
		if err := e.notify(ctx, t); err != nil {
			return nil, alert, fmt.Errorf("slo %s: publish %s alert %s (sent again at the next evaluation): %w", s.Name, sev, t.State, err)
		}
	}
	rec.Published = true
	b, _ := json.Marshal(rec)
	if _, err := e.store.Put(ctx, store.Item{Key: key, Value: b}, store.Condition{IfVersion: version}); err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return &t, alert, fmt.Errorf("slo %s: mark %s alert published: %w", s.Name, sev, err)
	}
	return &t, alert, nil
}

// Status computes every SLO at now without changing alert state: the
// firing alerts are the recorded ones.
func (e *Evaluator) Status(ctx context.Context, now time.Time) ([]Status, error) {
	var out []Status
	reads := e.readAll(ctx, now)
	for i := range e.slos {
		s := &e.slos[i]
		r := &reads[i]
		if r.err != nil {
			return nil, r.err
		}
		m := r.m
		for k, sev := range severities(s) {
			it, err := r.alerts[k].item, r.alerts[k].err
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			var rec alertRecord
			if err := json.Unmarshal(it.Value, &rec); err != nil {
				return nil, fmt.Errorf("slo %s: alert state %s: %w", s.Name, sev, err)
			}
			if rec.State == Firing {
				m.status.Alerts = append(m.status.Alerts, m.alert(sev, Firing, rec.Rule, rec.Since))
			}
		}
		out = append(out, m.status)
	}
	return out, nil
}
