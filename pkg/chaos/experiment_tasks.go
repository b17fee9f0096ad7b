package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// The steps of statemachines/chaos-experiment.asl.json, each a Task on the
// chaos-injector.
const (
	StepPrepare    = "prepare" // validate the experiment, fill in its defaults
	StepHypothesis = "hypothesis"
	StepInject     = "inject"
	StepWatch      = "watch"
	StepRollback   = "rollback"
	StepReport     = "report"
)

// The statuses of an experiment.
const (
	StatusCompleted = "completed" // the method ran its whole duration
	StatusAborted   = "aborted"   // a stop condition held
	StatusFailed    = "failed"    // a step failed, or the hypothesis did not hold before the method
)

// ProbeResult is one probe's outcome.
type ProbeResult struct {
	Name   string   `json:"name"`
	Held   bool     `json:"held"`
	Value  *float64 `json:"value,omitempty"`
	Detail string   `json:"detail,omitempty"`
}

// ProbeRun says which run and phase a probe is part of.
type ProbeRun struct {
	Experiment string
	Run        string
	Phase      string // before, after, watch
}

// Prober evaluates probes and reads SLO alerts (chaosfn implements it over
// the SLO evaluator, HTTP and the local Step Functions engine).
type Prober interface {
	Probe(ctx context.Context, p Probe, run ProbeRun) ProbeResult
	// Firing reports whether slo's alert of severity fires now.
	Firing(ctx context.Context, slo, severity string) (bool, error)
}

// HypothesisResult is a hypothesis check.
type HypothesisResult struct {
	Held   bool          `json:"held"`
	Probes []ProbeResult `json:"probes"`
}

// Injection is what the inject step did.
type Injection struct {
	Faults    []Fault   `json:"faults"`
	StartedAt time.Time `json:"startedAt"`
	EndsAt    time.Time `json:"endsAt"`
}

// Watch is the state of the stop-condition loop.
type Watch struct {
	Evaluations int    `json:"evaluations"`
	Stop        bool   `json:"stop"`
	Done        bool   `json:"done"`
	Reason      string `json:"reason"`
}

// RollbackResult is what the rollback step cleared.
type RollbackResult struct {
	RolledBack bool     `json:"rolledBack"`
	Cleared    []string `json:"cleared"`
}

// Report is an experiment's outcome: the state machine's output, the data
// of dev.cogniforge.chaos.experiment.completed.v1, and what `cogniforge
// chaos report` lists.
type Report struct {
	Experiment string `json:"experiment"`
	Run        string `json:"run"`
	Status     string `json:"status"`
	Hypothesis struct {
		Before bool `json:"before"`
		After  bool `json:"after"`
	} `json:"hypothesis"`
	RolledBack bool    `json:"rolledBack"`
	Injected   []Fault `json:"injected"`
	// Verdict is "held" when the hypothesis held before and after,
	// "deviated" when it held before only (or a stop condition aborted the
	// method), "not run" otherwise.
	Verdict     string        `json:"verdict"`
	Reason      string        `json:"reason,omitempty"`
	Evaluations int           `json:"evaluations"`
	Before      []ProbeResult `json:"before"`
	After       []ProbeResult `json:"after"`
	// SLOBurn is each SLO probe's value after the method (the burn rate,
	// or the error ratio) while the faults were active.
	SLOBurn   map[string]float64 `json:"sloBurn,omitempty"`
	StartedAt time.Time          `json:"startedAt"`
	EndedAt   time.Time          `json:"endedAt"`
}

// ReportPartition is the store partition of the reports, sorted by start.
const ReportPartition = "chaos#reports"

// ExperimentTasks serves the experiment state machine's Tasks.
type ExperimentTasks struct {
	Service *Service
	Prober  Prober
	// Store keeps the reports (nil: not kept).
	Store  store.Store
	Bus    bus.Publisher
	Source string
	Logger *slog.Logger
	Now    func() time.Time
}

// taskInput is a Task's payload.
type taskInput struct {
	Step       string          `json:"step"`
	Phase      string          `json:"phase,omitempty"`
	Experiment Experiment      `json:"experiment"`
	Run        string          `json:"run,omitempty"`
	EndsAt     time.Time       `json:"endsAt,omitzero"`
	Watch      *Watch          `json:"watch,omitempty"`
	State      json.RawMessage `json:"state,omitempty"`
}

func (t *ExperimentTasks) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Handle runs one step; its reply's data is the step's result.
func (t *ExperimentTasks) Handle(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	var in taskInput
	dec := json.NewDecoder(bytes.NewReader(ev.Data()))
	if err := dec.Decode(&in); err != nil {
		return nil, faas.Invalid("data", err)
	}
	out, err := t.step(ctx, in)
	if err != nil {
		return nil, err
	}
	return faas.JSONReply(ev, t.Source, t.now(), out)
}

func (t *ExperimentTasks) step(ctx context.Context, in taskInput) (any, error) {
	ex := in.Experiment
	switch in.Step {
	case StepPrepare:
		// A scheduled game day passes the experiment as written (the CLI
		// has parsed it already): validate it and set its defaults here.
		b, err := json.Marshal(ex)
		if err != nil {
			return nil, err
		}
		parsed, err := ParseExperiment("experiment", b, t.Service.Manager.Limits)
		if err != nil {
			return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: err.Error(), Err: err}
		}
		return parsed, nil
	case StepHypothesis:
		res := HypothesisResult{Held: true, Probes: []ProbeResult{}}
		for _, p := range ex.Hypothesis.Probes {
			r := t.Prober.Probe(ctx, p, ProbeRun{Experiment: ex.Name, Run: in.Run, Phase: in.Phase})
			res.Held = res.Held && r.Held
			res.Probes = append(res.Probes, r)
		}
		return res, nil
	case StepInject:
		now := t.now().UTC()
		inj := Injection{Faults: []Fault{}, StartedAt: now, EndsAt: now.Add(ex.Method.Duration.D())}
		for i, f := range ex.Method.Faults {
			f.ID = fmt.Sprintf("%s-%s-%d", ex.Name, in.Run, i)
			f.Experiment, f.CreatedBy = ex.Name, "experiment:"+ex.Name
			f.For, f.ExpiresAt = Duration(ex.faultLife()), time.Time{}
			stored, err := t.Service.Inject(ctx, f)
			if err != nil {
				return nil, &faas.Error{Name: ErrExperimentInject, Message: fmt.Sprintf("fault %d: %v", i, err), Err: err}
			}
			inj.Faults = append(inj.Faults, stored)
		}
		return inj, nil
	case StepWatch:
		w := Watch{}
		if in.Watch != nil {
			w = *in.Watch
		}
		w.Evaluations++
		for i, sc := range ex.StopConditions {
			switch {
			case sc.SLOAlert != nil:
				sev := sc.SLOAlert.Severity
				if sev == "" {
					sev = "page"
				}
				firing, err := t.Prober.Firing(ctx, sc.SLOAlert.SLO, sev)
				if err != nil {
					w.Stop, w.Reason = true, fmt.Sprintf("stop condition %d: reading %s's alerts failed: %v", i, sc.SLOAlert.SLO, err)
				} else if firing {
					w.Stop, w.Reason = true, fmt.Sprintf("stop condition %d: SLO %s's %s alert is firing", i, sc.SLOAlert.SLO, sev)
				}
			case sc.Probe != nil:
				if r := t.Prober.Probe(ctx, *sc.Probe, ProbeRun{Experiment: ex.Name, Run: in.Run, Phase: "watch"}); !r.Held {
					w.Stop, w.Reason = true, fmt.Sprintf("stop condition %d: probe %s failed: %s", i, r.Name, r.Detail)
				}
			}
			if w.Stop {
				break
			}
		}
		w.Done = !w.Stop && !t.now().Before(in.EndsAt)
		return w, nil
	case StepRollback:
		res := RollbackResult{RolledBack: true, Cleared: []string{}}
		removed, err := t.Service.Clear(ctx, ClearFilter{Experiment: ex.Name})
		if err != nil {
			return nil, err
		}
		for _, r := range ex.Rollbacks {
			more, err := t.Service.Clear(ctx, ClearFilter{Function: r.Clear.Function})
			if err != nil {
				return nil, err
			}
			removed = append(removed, more...)
		}
		for _, f := range removed {
			res.Cleared = append(res.Cleared, f.ID)
		}
		return res, nil
	case StepReport:
		return t.report(ctx, in.State)
	}
	return nil, faas.Invalid("step", fmt.Errorf("%q is not hypothesis, inject, watch, rollback or report", in.Step))
}

// ErrExperimentInject names a method fault the injector refused.
const ErrExperimentInject = "Chaos.InjectFailed"

// executionState is the experiment state machine's state as the report
// step receives it.
type executionState struct {
	Experiment Experiment `json:"experiment"`
	Run        struct {
		ID        string    `json:"id"`
		StartedAt time.Time `json:"startedAt"`
	} `json:"run"`
	Before *struct {
		Result HypothesisResult `json:"result"`
	} `json:"before"`
	After *struct {
		Result HypothesisResult `json:"result"`
	} `json:"after"`
	Injected *struct {
		Result Injection `json:"result"`
	} `json:"injected"`
	Watch *struct {
		Result Watch `json:"result"`
	} `json:"watch"`
	Rollback *struct {
		Result RollbackResult `json:"result"`
	} `json:"rollback"`
	Failure *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"failure"`
}

func (t *ExperimentTasks) report(ctx context.Context, raw json.RawMessage) (Report, error) {
	var st executionState
	if err := json.Unmarshal(raw, &st); err != nil {
		return Report{}, faas.Invalid("state", err)
	}
	r := Report{Experiment: st.Experiment.Name, Run: st.Run.ID, StartedAt: st.Run.StartedAt, EndedAt: t.now().UTC(),
		Injected: []Fault{}, Before: []ProbeResult{}, After: []ProbeResult{}, Status: StatusCompleted}
	if st.Before != nil {
		r.Hypothesis.Before, r.Before = st.Before.Result.Held, st.Before.Result.Probes
	}
	if st.After != nil {
		r.Hypothesis.After, r.After = st.After.Result.Held, st.After.Result.Probes
	}
	if st.Injected != nil {
		r.Injected = st.Injected.Result.Faults
	}
	if st.Rollback != nil {
		r.RolledBack = st.Rollback.Result.RolledBack
	}
	if st.Watch != nil {
		r.Evaluations = st.Watch.Result.Evaluations
	}
	switch {
	case st.Failure != nil:
		r.Status, r.Reason = StatusFailed, st.Failure.Error+": "+st.Failure.Cause
	case st.Before != nil && !st.Before.Result.Held:
		r.Status, r.Reason = StatusFailed, "the steady-state hypothesis did not hold before the method; nothing was injected"
	case st.Watch != nil && st.Watch.Result.Stop:
		r.Status, r.Reason = StatusAborted, st.Watch.Result.Reason
	}
	switch {
	case r.Hypothesis.Before && r.Hypothesis.After && r.Status == StatusCompleted:
		r.Verdict = "held"
	case r.Hypothesis.Before && (st.After != nil || r.Status == StatusAborted):
		r.Verdict = "deviated"
	default:
		r.Verdict = "not run"
	}
	probes := map[string]Probe{}
	for _, p := range st.Experiment.Hypothesis.Probes {
		probes[p.Name] = p
	}
	for _, pr := range r.After {
		if p, ok := probes[pr.Name]; ok && (p.Type == ProbeSLOBurnRate || p.Type == ProbeSLOErrorRate) && pr.Value != nil {
			if r.SLOBurn == nil {
				r.SLOBurn = map[string]float64{}
			}
			r.SLOBurn[p.SLO] = *pr.Value
		}
	}
	if t.Store != nil {
		b, err := json.Marshal(r)
		if err != nil {
			return Report{}, err
		}
		key := store.Key{Partition: ReportPartition, Sort: r.StartedAt.Format(time.RFC3339Nano) + "#" + r.Experiment + "#" + r.Run}
		if _, err := t.Store.Put(ctx, store.Item{Key: key, Value: b}, store.Condition{}); err != nil {
			return Report{}, err
		}
	}
	if t.Service != nil {
		t.Service.publish(ctx, events.TypeChaosExperimentCompleted, r.Experiment+"/"+r.Run+"/report", r.Experiment, r)
	}
	return r, nil
}

// Reports returns the stored reports started at or after since, oldest
// first.
func Reports(ctx context.Context, st store.Store, since time.Time) ([]Report, error) {
	items, err := st.Query(ctx, ReportPartition, "", 0)
	if err != nil {
		return nil, err
	}
	out := []Report{}
	for _, it := range items {
		var r Report
		if err := json.Unmarshal(it.Value, &r); err != nil {
			return nil, fmt.Errorf("chaos: report %s: %w", it.Key.Sort, err)
		}
		if !r.StartedAt.Before(since) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out, nil
}
