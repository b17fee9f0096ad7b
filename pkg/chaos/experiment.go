package chaos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Experiment is a chaos experiment in the spirit of Chaos Toolkit
// (config/chaos/*.yaml): a steady-state hypothesis checked before and after
// the method (faults injected for a duration), rollbacks that always run,
// and stop conditions evaluated every interval that abort at once.
// statemachines/chaos-experiment.asl.json runs it, its Tasks served by
// the chaos-injector (ExperimentTasks).
type Experiment struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Hypothesis holds when every probe holds.
	Hypothesis struct {
		Title  string  `json:"title,omitempty"`
		Probes []Probe `json:"probes"`
	} `json:"hypothesis"`
	Method struct {
		// Duration is how long the faults stay before the hypothesis is
		// checked again.
		Duration Duration `json:"duration"`
		// Faults are injected for Duration (plus a grace of two intervals
		// as their expiry, so none outlives a stopped execution by more).
		Faults []Fault `json:"faults"`
	} `json:"method"`
	// Rollbacks run after the experiment's own faults are cleared.
	Rollbacks []Rollback `json:"rollbacks,omitempty"`
	// StopConditions abort the experiment when any holds.
	StopConditions []StopCondition `json:"stopConditions,omitempty"`
	// EvaluationInterval is how often stop conditions are evaluated
	// (default 10s).
	EvaluationInterval Duration `json:"evaluationInterval,omitempty"`
	// IntervalSeconds is EvaluationInterval in whole seconds (at least 1),
	// what the state machine's Wait reads; set by ParseExperiment.
	IntervalSeconds int `json:"intervalSeconds,omitempty"`
}

// Probe types.
const (
	ProbeSLOBurnRate  = "sloBurnRate"  // SLO's burn rate over Window at most Max
	ProbeSLOErrorRate = "sloErrorRate" // SLO's error ratio (1-SLI) over its window at most Max
	ProbeHTTP         = "http"         // a function URL (or a function in-process) answers ExpectedStatus
	ProbeStateMachine = "stateMachine" // Count executions of Definition fail at most MaxFailureRate
)

// Probe is one check of the hypothesis or a stop condition.
type Probe struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// SLO probes.
	SLO    string   `json:"slo,omitempty"`
	Window string   `json:"window,omitempty"` // burn rate window, default 1h
	Max    *float64 `json:"max,omitempty"`
	// HTTP probes: URL, or Function and Path served in-process (locally).
	URL            string `json:"url,omitempty"`
	Function       string `json:"function,omitempty"`
	Path           string `json:"path,omitempty"`
	Method         string `json:"method,omitempty"`
	Body           string `json:"body,omitempty"`
	ExpectedStatus int    `json:"expectedStatus,omitempty"`
	// State machine probes: Count executions of Definition (a file,
	// locally) with Input, where strings may hold {{experiment}},
	// {{phase}} and {{i}}; the share that does not succeed must be at most
	// MaxFailureRate (default 0).
	Definition     string          `json:"definition,omitempty"`
	Count          int             `json:"count,omitempty"`
	Input          json.RawMessage `json:"input,omitempty"`
	MaxFailureRate *float64        `json:"maxFailureRate,omitempty"`
}

// Rollback is an action run after the experiment's faults are cleared.
type Rollback struct {
	// Clear removes every active fault of Function (not only the
	// experiment's).
	Clear struct {
		Function string `json:"function"`
	} `json:"clear"`
}

// StopCondition aborts the experiment: an SLO alert of Severity firing,
// or a probe failing.
type StopCondition struct {
	SLOAlert *struct {
		SLO      string `json:"slo"`
		Severity string `json:"severity,omitempty"` // default page
	} `json:"sloAlert,omitempty"`
	Probe *Probe `json:"probe,omitempty"`
}

// DefaultEvaluationInterval is how often stop conditions are evaluated.
const DefaultEvaluationInterval = 10 * time.Second

// ParseExperiment reads an experiment from YAML or JSON, strictly, and
// validates it against limits (each method fault as it would be injected).
func ParseExperiment(name string, data []byte, limits Limits) (Experiment, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Experiment{}, fmt.Errorf("%s: %w", name, err)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return Experiment{}, fmt.Errorf("%s: %w", name, err)
	}
	var ex Experiment
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ex); err != nil {
		return Experiment{}, fmt.Errorf("%s: %w", name, err)
	}
	if ex.EvaluationInterval == 0 {
		ex.EvaluationInterval = Duration(DefaultEvaluationInterval)
	}
	ex.IntervalSeconds = max(1, int(math.Ceil(ex.EvaluationInterval.D().Seconds())))
	if err := ex.Validate(limits); err != nil {
		return Experiment{}, fmt.Errorf("%s: %w", name, err)
	}
	return ex, nil
}

// Validate joins every problem of the experiment, each naming its field.
func (ex Experiment) Validate(limits Limits) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(ex.Name) == "" || strings.ContainsAny(ex.Name, " /") {
		bad("name", "%q: a name without spaces or slashes is required", ex.Name)
	}
	if len(ex.Hypothesis.Probes) == 0 {
		bad("hypothesis.probes", "at least one probe is required")
	}
	for i, p := range ex.Hypothesis.Probes {
		if err := p.validate(); err != nil {
			bad(fmt.Sprintf("hypothesis.probes[%d]", i), "%v", err)
		}
	}
	if ex.Method.Duration <= 0 {
		bad("method.duration", "a positive duration is required")
	}
	if ex.EvaluationInterval < 0 {
		bad("evaluationInterval", "is negative")
	}
	now := time.Now()
	for i, f := range ex.Method.Faults {
		f.ExpiresAt = now.Add(ex.faultLife())
		if f.Rate == nil {
			f.Rate = new(float64)
			*f.Rate = 1
		}
		if err := f.Validate(limits, now); err != nil {
			bad(fmt.Sprintf("method.faults[%d]", i), "%v", err)
		}
	}
	for i, r := range ex.Rollbacks {
		if r.Clear.Function == "" {
			bad(fmt.Sprintf("rollbacks[%d].clear.function", i), "is required")
		}
	}
	for i, s := range ex.StopConditions {
		switch {
		case (s.SLOAlert == nil) == (s.Probe == nil):
			bad(fmt.Sprintf("stopConditions[%d]", i), "needs one of sloAlert or probe")
		case s.SLOAlert != nil && s.SLOAlert.SLO == "":
			bad(fmt.Sprintf("stopConditions[%d].sloAlert.slo", i), "is required")
		case s.Probe != nil:
			if err := s.Probe.validate(); err != nil {
				bad(fmt.Sprintf("stopConditions[%d].probe", i), "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

// faultLife is how long the method's faults live: the duration and two
// evaluation intervals, so a fault outlives an execution that was stopped
// before its rollback by at most that.
func (ex Experiment) faultLife() time.Duration {
	iv := ex.EvaluationInterval.D()
	if iv <= 0 {
		iv = DefaultEvaluationInterval
	}
	return ex.Method.Duration.D() + 2*iv + 30*time.Second
}

func (p Probe) validate() error {
	if p.Name == "" {
		return errors.New("name is required")
	}
	switch p.Type {
	case ProbeSLOBurnRate, ProbeSLOErrorRate:
		if p.SLO == "" || p.Max == nil {
			return fmt.Errorf("%s needs slo and max", p.Type)
		}
		if p.Window != "" {
			if _, err := time.ParseDuration(p.Window); err != nil && !strings.HasSuffix(p.Window, "d") {
				return fmt.Errorf("window %q is not a duration", p.Window)
			}
		}
	case ProbeHTTP:
		if (p.URL == "") == (p.Function == "") {
			return errors.New("http needs one of url or function (with path)")
		}
		if p.ExpectedStatus < 100 || p.ExpectedStatus > 599 {
			return fmt.Errorf("expectedStatus %d is not an HTTP status", p.ExpectedStatus)
		}
	case ProbeStateMachine:
		if p.Definition == "" || p.Count <= 0 {
			return errors.New("stateMachine needs definition and a positive count")
		}
		if p.MaxFailureRate != nil && (*p.MaxFailureRate < 0 || *p.MaxFailureRate > 1) {
			return errors.New("maxFailureRate is outside [0,1]")
		}
	default:
		return fmt.Errorf("type %q is not sloBurnRate, sloErrorRate, http or stateMachine", p.Type)
	}
	return nil
}
