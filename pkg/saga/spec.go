package saga

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is a saga definition, written in YAML next to the ASL generated
// from it (statemachines/<name>.saga.yaml -> <name>.asl.json):
//
//	name: order-fulfillment
//	sagaId: $.orderId        # where the saga id is; else the execution name
//	defaults:
//	  timeoutSeconds: 30
//	  retry: {maxAttempts: 3, intervalSeconds: 1, backoffRate: 2}
//	  compensationRetry: {maxAttempts: 5, intervalSeconds: 1, backoffRate: 2}
//	steps:
//	  - {name: inventory, function: inventory, compensation: inventory}
//	  - parallel:
//	      name: fulfil
//	      steps:
//	        - {name: shipping, function: shipping, compensation: shipping}
//	        - {name: invoice, function: invoicing, compensation: invoicing}
//	  - {name: order, function: order, compensation: order, pivot: true}
//	  - {name: notify, function: notify}
type Spec struct {
	Name    string `yaml:"name"`
	Comment string `yaml:"comment,omitempty"`
	// SagaID is a JSONPath into the execution input naming the saga id
	// ("$.orderId"); when it selects no non-empty string the execution name
	// is the id. Empty means "$.sagaId".
	SagaID string `yaml:"sagaId,omitempty"`
	// EventSource is the source of the saga events. Empty means
	// "cogniforge/saga/<name>".
	EventSource string `yaml:"eventSource,omitempty"`
	// EventBus is kept so that existing specs still parse; it has no
	// effect: saga-level events go through the saga outbox to the bus of
	// the step functions (see Relay), no longer through events:putEvents.
	EventBus string   `yaml:"eventBus,omitempty"`
	Defaults Defaults `yaml:"defaults,omitempty"`
	Steps    []Entry  `yaml:"steps"`
}

// Defaults apply to every step that does not set its own.
type Defaults struct {
	// TimeoutSeconds bounds one attempt of a step. Zero means 30.
	TimeoutSeconds int `yaml:"timeoutSeconds,omitempty"`
	// Retry is the forward retry on transient errors. Nil means 3 attempts,
	// 1 s, backoff 2.
	Retry *Retry `yaml:"retry,omitempty"`
	// CompensationRetry retries a compensation on any error. Nil means 5
	// attempts, 1 s, backoff 2.
	CompensationRetry *Retry `yaml:"compensationRetry,omitempty"`
}

// Retry is an ASL retrier.
type Retry struct {
	MaxAttempts     int     `yaml:"maxAttempts"`
	IntervalSeconds int     `yaml:"intervalSeconds,omitempty"`
	BackoffRate     float64 `yaml:"backoffRate,omitempty"`
	MaxDelaySeconds int     `yaml:"maxDelaySeconds,omitempty"`
}

// Entry is a step or a group of steps that run in parallel.
type Entry struct {
	StepSpec `yaml:",inline"`
	Parallel *Group `yaml:"parallel,omitempty"`
}

// Group is a set of steps run as the branches of one Parallel state. If one
// fails, the others are stopped and every step of the group is compensated
// (those that never ran are null compensations).
type Group struct {
	Name  string     `yaml:"name"`
	Steps []StepSpec `yaml:"steps"`
}

// StepSpec is one step.
type StepSpec struct {
	// Name is the step's name: its Task state, its barrier key and its
	// key in the saga's results.
	Name string `yaml:"name,omitempty"`
	// Function serves the action (Payload phase "forward").
	Function string `yaml:"function,omitempty"`
	// Compensation serves the undo (phase "compensation"); usually the
	// same function. Empty: the step has nothing to undo.
	Compensation string `yaml:"compensation,omitempty"`
	// Pivot marks the go/no-go step: once it succeeds the saga only goes
	// forward (later steps retry and never compensate).
	Pivot             bool   `yaml:"pivot,omitempty"`
	TimeoutSeconds    int    `yaml:"timeoutSeconds,omitempty"`
	Retry             *Retry `yaml:"retry,omitempty"`
	CompensationRetry *Retry `yaml:"compensationRetry,omitempty"`
}

// Defaults of a spec.
var (
	DefaultRetry             = Retry{MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2}
	DefaultCompensationRetry = Retry{MaxAttempts: 5, IntervalSeconds: 1, BackoffRate: 2}
)

// DefaultTimeoutSeconds bounds a step attempt when the spec does not.
const DefaultTimeoutSeconds = 30

// ErrInvalidSpec wraps every spec problem.
var ErrInvalidSpec = errors.New("saga: invalid spec")

var (
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	pathPattern = regexp.MustCompile(`^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$`)
)

// ParseSpec decodes and validates a YAML spec; unknown fields are errors.
func ParseSpec(data []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate reports every problem with s, joined.
func (s *Spec) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidSpec}, args...)...))
	}
	if !namePattern.MatchString(s.Name) {
		add("name %q must be lower-case letters, digits and dashes", s.Name)
	}
	if s.SagaID != "" && !pathPattern.MatchString(s.SagaID) {
		add("sagaId %q must be a plain JSONPath like $.orderId", s.SagaID)
	}
	if s.Defaults.TimeoutSeconds < 0 {
		add("defaults.timeoutSeconds must not be negative")
	}
	checkRetry := func(at string, r *Retry) {
		if r == nil {
			return
		}
		if r.MaxAttempts < 0 || r.MaxAttempts > 99999999 || r.IntervalSeconds < 0 || r.MaxDelaySeconds < 0 || (r.BackoffRate != 0 && r.BackoffRate < 1) {
			add("%s: maxAttempts and intervalSeconds must be >= 0, backoffRate >= 1", at)
		}
	}
	checkRetry("defaults.retry", s.Defaults.Retry)
	checkRetry("defaults.compensationRetry", s.Defaults.CompensationRetry)
	if len(s.Steps) == 0 {
		add("no steps")
	}
	seen := map[string]bool{}
	name := func(at, n string) {
		if !namePattern.MatchString(n) {
			add("%s: name %q must be lower-case letters, digits and dashes", at, n)
		} else if seen[n] {
			add("%s: name %q is used twice", at, n)
		}
		seen[n] = true
	}
	pivots, afterPivot := 0, false
	checkStep := func(at string, st StepSpec, inGroup bool) {
		name(at, st.Name)
		if st.Function == "" {
			add("%s: function is required", at)
		}
		if st.TimeoutSeconds < 0 {
			add("%s: timeoutSeconds must not be negative", at)
		}
		checkRetry(at+".retry", st.Retry)
		checkRetry(at+".compensationRetry", st.CompensationRetry)
		if st.Pivot {
			pivots++
			if inGroup {
				add("%s: a pivot cannot be inside a parallel group", at)
			}
		} else if afterPivot && st.Compensation != "" {
			add("%s: steps after the pivot are never compensated; remove compensation", at)
		}
	}
	for i, e := range s.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		if e.Parallel != nil {
			if e.StepSpec != (StepSpec{}) {
				add("%s: an entry is a step or a parallel group, not both", at)
			}
			name(at+".parallel", e.Parallel.Name)
			if len(e.Parallel.Steps) < 2 {
				add("%s.parallel: a group needs at least two steps", at)
			}
			for j, st := range e.Parallel.Steps {
				checkStep(fmt.Sprintf("%s.parallel.steps[%d]", at, j), st, true)
			}
		} else {
			checkStep(at, e.StepSpec, false)
			if e.Pivot {
				afterPivot = true
			}
		}
	}
	if pivots > 1 {
		add("%d pivots; a saga has at most one", pivots)
	}
	return errors.Join(errs...)
}

// StepNames lists every step in order (group steps in declaration order).
func (s *Spec) StepNames() []string {
	var out []string
	for _, e := range s.Steps {
		if e.Parallel != nil {
			for _, st := range e.Parallel.Steps {
				out = append(out, st.Name)
			}
			continue
		}
		out = append(out, e.Name)
	}
	return out
}

// functionPlaceholder is the Terraform placeholder of a function's ARN (see
// infra/main.tf): dashes become underscores.
func functionPlaceholder(fn string) string {
	return "${function_arn_" + strings.ReplaceAll(fn, "-", "_") + "}"
}
