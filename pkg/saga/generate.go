package saga

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// State names the generated definitions use besides the step names.
const (
	stateIdentify   = "Identify saga"
	stateFromInput  = "Saga id from input"
	stateFromName   = "Saga id from execution"
	stateTrace      = "Trace"
	stateJoinTrace  = "Join trace"
	stateNewTrace   = "New trace"
	stateBaggage    = "Baggage"
	stateJoinBag    = "Join baggage"
	stateNoBaggage  = "No baggage"
	stateStarted    = "Begin saga"
	stateReplay     = "Ended before?"
	stateReplayDone = "Already completed"
	stateReplayComp = "Already compensated"
	stateConflict   = "Conflict"
	stateCompleted  = "Completed"
	stateEmitDone   = "End saga completed"
	stateDone       = "Done"
	stateRolledBack = "Rolled back"
	stateReport     = "Report rollback"
	stateEmitComp   = "End saga compensated"
	stateCompFail   = "Compensated"
	stateEmitStuck  = "End saga stuck"
	stateStuck      = "Stuck"
)

type obj = map[string]any

// plan is a spec flattened for generation.
type plan struct {
	spec  *Spec
	steps []planStep // every step, in order
}

type planStep struct {
	StepSpec
	group      string // parallel group name, "" for a sequential step
	afterPivot bool
	resultPath string // where its forward result lives in the state
}

func newPlan(s *Spec) *plan {
	p := &plan{spec: s}
	after := false
	for _, e := range s.Steps {
		if e.Parallel != nil {
			for _, st := range e.Parallel.Steps {
				p.steps = append(p.steps, planStep{StepSpec: st, group: e.Parallel.Name, afterPivot: after,
					resultPath: "$.results." + e.Parallel.Name + "." + st.Name + ".result"})
			}
			continue
		}
		p.steps = append(p.steps, planStep{StepSpec: e.StepSpec, afterPivot: after, resultPath: "$.results." + e.Name + ".result"})
		if e.Pivot {
			after = true
		}
	}
	return p
}

func compensateState(step string) string { return "Compensate " + step }
func failedState(step string) string     { return "Failed " + step }

// compensationEntry is the first compensation state to run when the step
// at index i (or, for a group, the last step of the group) failed: the
// compensation of the nearest step at or before it that has one.
func (p *plan) compensationEntry(i int) string {
	for j := i; j >= 0; j-- {
		if p.steps[j].Compensation != "" && !p.steps[j].afterPivot {
			return compensateState(p.steps[j].Name)
		}
	}
	return stateRolledBack
}

func (p *plan) timeout(st StepSpec) int {
	switch {
	case st.TimeoutSeconds > 0:
		return st.TimeoutSeconds
	case p.spec.Defaults.TimeoutSeconds > 0:
		return p.spec.Defaults.TimeoutSeconds
	}
	return DefaultTimeoutSeconds
}

func pick(rs ...*Retry) Retry {
	for _, r := range rs {
		if r != nil {
			return *r
		}
	}
	return Retry{}
}

func retrier(errorsEquals []string, r Retry) obj {
	o := obj{"ErrorEquals": errorsEquals, "MaxAttempts": r.MaxAttempts}
	if r.IntervalSeconds > 0 {
		o["IntervalSeconds"] = r.IntervalSeconds
	}
	if r.BackoffRate > 0 {
		o["BackoffRate"] = r.BackoffRate
	}
	if r.MaxDelaySeconds > 0 {
		o["MaxDelaySeconds"] = r.MaxDelaySeconds
	}
	return o
}

// payload is the Task a step function receives.
func (p *plan) payload(step, phase string) obj {
	return obj{
		"sagaId.$":        "$.saga.id",
		"saga.$":          "$.saga.name",
		"step":            step,
		"phase":           phase,
		"retryCount.$":    "$$.State.RetryCount",
		"traceparent.$":   "$.saga.traceparent",
		"baggage.$":       "$.saga.baggage",
		"correlationId.$": "$.saga.id",
		"input.$":         "$.input",
	}
}

func invoke(function string, payload obj) obj {
	return obj{"FunctionName": functionPlaceholder(function), "Payload": payload}
}

// sagaTask is a saga-level Task (PhaseBegin or PhaseEnd) sent to the first
// step's function, which keeps the saga record: the input hash, how the
// saga ended, and the saga-level event (data) in the record's outbox, from
// where it is published at least once (see Relay). The event's
// correlationid and subject are the saga id.
func (p *plan) sagaTask(phase string, data, extra obj) obj {
	first := p.steps[0]
	payload := p.payload(first.Name, phase)
	payload["event"] = data
	payload["eventSource"] = p.source()
	for k, v := range extra {
		payload[k] = v
	}
	return obj{
		"Type":           "Task",
		"Resource":       "arn:aws:states:::lambda:invoke",
		"Parameters":     invoke(first.Function, payload),
		"TimeoutSeconds": p.timeout(first.StepSpec),
	}
}

// end records how the saga ended. Failing to record it never changes the
// saga's outcome: it is retried like a compensation, then skipped (the
// saga record then stays "running"; re-running the saga with the same
// input records it).
func (p *plan) end(state string, outcome, data obj, next string) obj {
	outcome["state"] = state
	st := p.sagaTask(PhaseEnd, data, obj{"outcome": outcome})
	r := pick(p.spec.Defaults.CompensationRetry, &DefaultCompensationRetry)
	st["ResultPath"] = nil
	if r.MaxAttempts > 0 {
		st["Retry"] = []any{retrier([]string{"States.ALL"}, r)}
	}
	st["Catch"] = []any{obj{"ErrorEquals": []string{"States.ALL"}, "ResultPath": nil, "Next": next}}
	st["Next"] = next
	return st
}

func (p *plan) source() string {
	if p.spec.EventSource != "" {
		return p.spec.EventSource
	}
	return "cogniforge/saga/" + p.spec.Name
}

// Generate writes the ASL definition of a validated spec, indented, with a
// final newline. The same spec always gives the same bytes.
func Generate(s *Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	p := newPlan(s)
	states := obj{}
	p.begin(states)
	p.forward(states)
	p.compensations(states)
	p.endings(states)
	comment := s.Comment
	if comment == "" {
		comment = fmt.Sprintf("Saga %s (generated by `cogniforge saga generate` from %s.saga.yaml; do not edit).", s.Name, s.Name)
	}
	def := struct {
		Comment string `json:"Comment"`
		StartAt string `json:"StartAt"`
		States  obj    `json:"States"`
	}{comment, stateIdentify, states}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(def); err != nil {
		return nil, fmt.Errorf("saga: encode definition: %w", err)
	}
	return buf.Bytes(), nil
}

// begin: pick the saga id, set up the state ($.input, $.saga, $.results,
// $.compensations), join or start the trace, emit saga started.
func (p *plan) begin(states obj) {
	idPath := p.spec.SagaID
	if idPath == "" {
		idPath = "$.sagaId"
	}
	states[stateIdentify] = obj{
		"Type": "Choice",
		"Choices": []any{obj{
			"And": []any{
				obj{"Variable": idPath, "IsPresent": true},
				obj{"Variable": idPath, "IsString": true},
				obj{"Not": obj{"Variable": idPath, "StringEquals": ""}},
			},
			"Next": stateFromInput,
		}},
		"Default": stateFromName,
	}
	comps := obj{}
	for _, st := range p.steps {
		if st.Compensation != "" && !st.afterPivot {
			comps[st.Name] = obj{"step": st.Name, "compensated": false}
		}
	}
	init := func(id string) obj {
		return obj{
			"Type": "Pass",
			"Parameters": obj{
				"input.$":       "$",
				"saga":          obj{"id.$": id, "name": p.spec.Name, "emptyCause": obj{"Cause": ""}},
				"results":       obj{},
				"compensations": comps,
			},
			"Next": stateTrace,
		}
	}
	states[stateFromInput] = init(idPath)
	states[stateFromName] = init("$$.Execution.Name")
	states[stateTrace] = obj{
		"Type": "Choice",
		"Choices": []any{obj{
			"And":  []any{obj{"Variable": "$.input.traceparent", "IsPresent": true}, obj{"Variable": "$.input.traceparent", "IsString": true}},
			"Next": stateJoinTrace,
		}},
		"Default": stateNewTrace,
	}
	sagaObj := func(tp string) obj {
		return obj{
			"Type":       "Pass",
			"Parameters": obj{"id.$": "$.saga.id", "name.$": "$.saga.name", "emptyCause.$": "$.saga.emptyCause", "traceparent.$": tp},
			"ResultPath": "$.saga",
			"Next":       stateBaggage,
		}
	}
	states[stateJoinTrace] = sagaObj("$.input.traceparent")
	// W3C baggage the caller sent travels with the trace context to every
	// task (an empty string when there is none, so the tasks' payloads
	// need no Choice of their own).
	states[stateBaggage] = obj{
		"Type": "Choice",
		"Choices": []any{obj{
			"And":  []any{obj{"Variable": "$.input.baggage", "IsPresent": true}, obj{"Variable": "$.input.baggage", "IsString": true}},
			"Next": stateJoinBag,
		}},
		"Default": stateNoBaggage,
	}
	states[stateJoinBag] = obj{"Type": "Pass", "InputPath": "$.input.baggage", "ResultPath": "$.saga.baggage", "Next": stateStarted}
	states[stateNoBaggage] = obj{"Type": "Pass", "Result": "", "ResultPath": "$.saga.baggage", "Next": stateStarted}
	// A W3C trace id derived from the execution, a random parent span id:
	// every step of the saga joins this one trace.
	split := "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), %d)"
	states[stateNewTrace] = sagaObj("States.Format('00-{}-{}{}{}-01', States.Hash($$.Execution.Id, 'MD5'), " +
		fmt.Sprintf(split, 0) + ", " + fmt.Sprintf(split, 1) + ", " + fmt.Sprintf(split, 2) + ")")
	// Begin: record the saga and its input hash, or learn that this saga
	// id already ran: with the same input it answers the recorded outcome
	// (completed, compensated) or resumes (running, stuck); with another
	// input the execution fails with Saga.Conflict and touches nothing.
	begin := p.sagaTask(PhaseBegin, obj{
		"sagaId.$": "$.saga.id", "saga.$": "$.saga.name", "steps": p.spec.StepNames(), "input.$": "$.input",
	}, nil)
	begin["ResultSelector"] = obj{"decision.$": "$.Payload.decision", "answer.$": "$.Payload"}
	begin["ResultPath"] = "$.begin"
	if r := pick(p.spec.Defaults.Retry, &DefaultRetry); r.MaxAttempts > 0 {
		begin["Retry"] = []any{retrier(RetryableErrors, r)}
	}
	begin["Catch"] = []any{obj{"ErrorEquals": []string{ErrConflict}, "ResultPath": "$.conflict", "Next": stateConflict}}
	begin["Next"] = stateReplay
	states[stateStarted] = begin
	states[stateConflict] = obj{"Type": "Fail", "Error": ErrConflict, "CausePath": "$.conflict.Cause"}
	states[stateReplay] = obj{
		"Type": "Choice",
		"Choices": []any{
			obj{"Variable": "$.begin.decision", "StringEquals": DecisionCompleted, "Next": stateReplayDone},
			obj{"Variable": "$.begin.decision", "StringEquals": DecisionCompensated, "Next": stateReplayComp},
		},
		"Default": p.firstEntry(),
	}
	states[stateReplayDone] = obj{"Type": "Succeed", "OutputPath": "$.begin.answer.output"}
	states[stateReplayComp] = obj{"Type": "Fail", "ErrorPath": "$.begin.answer.error", "CausePath": "$.begin.answer.cause"}
}

func (p *plan) firstEntry() string {
	e := p.spec.Steps[0]
	if e.Parallel != nil {
		return e.Parallel.Name
	}
	return e.Name
}

// stepTask is the forward Task of a step; onError is where its Catch goes.
func (p *plan) stepTask(st planStep, resultPath, onError string) obj {
	task := obj{
		"Type":           "Task",
		"Resource":       "arn:aws:states:::lambda:invoke",
		"Parameters":     invoke(st.Function, p.payload(st.Name, PhaseForward)),
		"TimeoutSeconds": p.timeout(st.StepSpec),
		"ResultSelector": obj{"result.$": "$.Payload"},
		"ResultPath":     resultPath,
		"Catch":          []any{obj{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.failure", "Next": onError}},
	}
	if st.group == "" {
		// A step that already ran for another input of this saga id (an
		// execution that got past begin, e.g. started by an older
		// definition) ends the execution as a conflict: compensating would
		// undo the other input's saga.
		task["Catch"] = append([]any{obj{"ErrorEquals": []string{ErrConflict}, "ResultPath": "$.conflict", "Next": stateConflict}}, task["Catch"].([]any)...)
	}
	r := pick(st.Retry, p.spec.Defaults.Retry, &DefaultRetry)
	if r.MaxAttempts > 0 {
		task["Retry"] = []any{retrier(RetryableErrors, r)}
	}
	return task
}

// failed records which step failed and why at $.failure.
func failed(step, next string) obj {
	return obj{
		"Type": "Pass",
		"Parameters": obj{
			"failedStep": step,
			"error.$":    "$.failure.Error",
			"caught.$":   "States.JsonMerge($.saga.emptyCause, $.failure, false)",
		},
		"ResultPath": "$.failure",
		"Next":       next,
	}
}

// stuckForward is where a step after the pivot ends when it keeps failing.
func stuckForward(step string) obj {
	return obj{
		"Type": "Pass",
		"Parameters": obj{
			"step":     step,
			"phase":    PhaseForward,
			"reason":   fmt.Sprintf("step %s after the pivot kept failing; the saga cannot go back, an operator must finish it", step),
			"error.$":  "$.failure.Error",
			"caught.$": "States.JsonMerge($.saga.emptyCause, $.failure, false)",
		},
		"ResultPath": "$.stuck",
		"Next":       stateEmitStuck,
	}
}

func (p *plan) forward(states obj) {
	idx := 0
	for ei, e := range p.spec.Steps {
		next := stateCompleted
		if ei+1 < len(p.spec.Steps) {
			if n := p.spec.Steps[ei+1]; n.Parallel != nil {
				next = n.Parallel.Name
			} else {
				next = n.Name
			}
		}
		if e.Parallel == nil {
			st := p.steps[idx]
			var task obj
			if st.afterPivot {
				task = p.stepTask(st, "$.results."+st.Name, "Stuck "+st.Name)
				states["Stuck "+st.Name] = stuckForward(st.Name)
			} else {
				task = p.stepTask(st, "$.results."+st.Name, failedState(st.Name))
				states[failedState(st.Name)] = failed(st.Name, p.compensationEntry(idx))
			}
			task["Next"] = next
			states[st.Name] = task
			idx++
			continue
		}
		g := e.Parallel
		first := idx
		var branches []any
		sel := obj{}
		for bi, gs := range g.Steps {
			st := p.steps[idx]
			task := p.stepTask(st, "$.results."+gs.Name, failedState(gs.Name))
			task["End"] = true
			abort := "Abort " + gs.Name
			fs := failed(gs.Name, abort)
			branches = append(branches, obj{
				"StartAt": gs.Name,
				"States": obj{
					gs.Name:              task,
					failedState(gs.Name): fs,
					abort: obj{
						"Type":      "Fail",
						"ErrorPath": "$.failure.error",
						"CausePath": "States.JsonToString($.failure)",
					},
				},
			})
			sel[gs.Name+".$"] = fmt.Sprintf("$[%d].results.%s", bi, gs.Name)
			idx++
		}
		last := idx - 1
		parsed := "Parse " + g.Name + " failure"
		onFailure := p.compensationEntry(last)
		if p.steps[first].afterPivot {
			// Past the pivot a failed group cannot go back: it is stuck.
			onFailure = "Stuck " + g.Name
			states[onFailure] = obj{
				"Type": "Pass",
				"Parameters": obj{
					"step.$":   "$.failure.failedStep",
					"phase":    PhaseForward,
					"reason":   fmt.Sprintf("a step of group %s after the pivot kept failing; the saga cannot go back, an operator must finish it", g.Name),
					"error.$":  "$.failure.error",
					"caught.$": "$.failure.caught",
				},
				"ResultPath": "$.stuck",
				"Next":       stateEmitStuck,
			}
		}
		states[g.Name] = obj{
			"Type":           "Parallel",
			"Branches":       branches,
			"ResultSelector": sel,
			"ResultPath":     "$.results." + g.Name,
			"Catch":          []any{obj{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.failure", "Next": failedState(g.Name)}},
			"Next":           next,
		}
		states[failedState(g.Name)] = obj{
			"Type":       "Pass",
			"Parameters": obj{"parsed.$": "States.StringToJson($.failure.Cause)"},
			"ResultPath": "$.failure",
			"Next":       parsed,
		}
		states[parsed] = obj{
			"Type":       "Pass",
			"Parameters": obj{"failedStep.$": "$.failure.parsed.failedStep", "error.$": "$.failure.parsed.error", "caught.$": "$.failure.parsed.caught"},
			"ResultPath": "$.failure",
			"Next":       onFailure,
		}
	}
}

// compensations chains the compensation of every step before the pivot (and
// the pivot's own) in reverse order, each retried, each stuck when it keeps
// failing.
func (p *plan) compensations(states obj) {
	var chain []planStep
	for i := len(p.steps) - 1; i >= 0; i-- {
		if st := p.steps[i]; st.Compensation != "" && !st.afterPivot {
			chain = append(chain, st)
		}
	}
	for i, st := range chain {
		next := stateRolledBack
		if i+1 < len(chain) {
			next = compensateState(chain[i+1].Name)
		}
		stuck := "Stuck compensating " + st.Name
		r := pick(st.CompensationRetry, p.spec.Defaults.CompensationRetry, &DefaultCompensationRetry)
		task := obj{
			"Type":           "Task",
			"Resource":       "arn:aws:states:::lambda:invoke",
			"Parameters":     invoke(st.Compensation, p.payload(st.Name, PhaseCompensation)),
			"TimeoutSeconds": p.timeout(st.StepSpec),
			"ResultSelector": obj{"step": st.Name, "compensated.$": "$.Payload.compensated"},
			"ResultPath":     "$.compensations." + st.Name,
			"Catch":          []any{obj{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.stuck", "Next": stuck}},
			"Next":           next,
		}
		if r.MaxAttempts > 0 {
			task["Retry"] = []any{retrier([]string{"States.ALL"}, r)}
		}
		states[compensateState(st.Name)] = task
		states[stuck] = obj{
			"Type": "Pass",
			"Parameters": obj{
				"step":         st.Name,
				"phase":        PhaseCompensation,
				"failedStep.$": "$.failure.failedStep",
				"reason":       fmt.Sprintf("the compensation of %s kept failing after %d attempts; an operator must finish it", st.Name, r.MaxAttempts+1),
				"error.$":      "$.stuck.Error",
				"caught.$":     "States.JsonMerge($.saga.emptyCause, $.stuck, false)",
			},
			"ResultPath": "$.stuck",
			"Next":       stateEmitStuck,
		}
	}
	var list []string
	for _, st := range chain {
		list = append(list, "$.compensations."+st.Name)
	}
	rolled := obj{"Type": "Pass", "ResultPath": "$.rollback", "Next": stateReport}
	if len(list) > 0 {
		rolled["Parameters"] = obj{"list.$": "States.Array(" + strings.Join(list, ", ") + ")"}
	} else {
		rolled["Parameters"] = obj{"list": []any{}}
	}
	states[stateRolledBack] = rolled
	states[stateReport] = obj{
		"Type": "Pass",
		"Parameters": obj{
			"failedStep.$":  "$.failure.failedStep",
			"error.$":       "$.failure.error",
			"message.$":     "$.failure.caught.Cause",
			"compensated.$": "$.rollback.list[?(@.compensated == true)].step",
		},
		"ResultPath": "$.rollback",
		"Next":       stateEmitComp,
	}
	states[stateEmitComp] = p.end(SagaCompensated, obj{"error": ErrCompensated, "cause.$": "States.JsonToString($.rollback)"}, obj{
		"sagaId.$":           "$.saga.id",
		"saga.$":             "$.saga.name",
		"failedStep.$":       "$.rollback.failedStep",
		"error":              obj{"name.$": "$.rollback.error", "message.$": "$.rollback.message"},
		"compensatedSteps.$": "$.rollback.compensated",
	}, stateCompFail)
	states[stateCompFail] = obj{"Type": "Fail", "Error": ErrCompensated, "CausePath": "States.JsonToString($.rollback)"}
}

// canStick reports whether anything can end stuck: a compensation or a
// step after the pivot.
func (p *plan) canStick() bool {
	for _, st := range p.steps {
		if st.afterPivot || st.Compensation != "" {
			return true
		}
	}
	return false
}

// endings: success (every result, saga completed) and stuck (saga stuck).
func (p *plan) endings(states obj) {
	results := obj{}
	for _, st := range p.steps {
		results[st.Name+".$"] = st.resultPath
	}
	states[stateCompleted] = obj{
		"Type":       "Pass",
		"Parameters": obj{"sagaId.$": "$.saga.id", "saga.$": "$.saga.name", "results": results},
		"ResultPath": "$.output",
		"Next":       stateEmitDone,
	}
	states[stateEmitDone] = p.end(SagaCompleted, obj{"output.$": "$.output"}, obj{
		"sagaId.$": "$.saga.id", "saga.$": "$.saga.name", "result.$": "$.output.results",
	}, stateDone)
	states[stateDone] = obj{"Type": "Succeed", "OutputPath": "$.output"}
	if !p.canStick() {
		return
	}
	states[stateEmitStuck] = p.end(SagaStuck, obj{"error": ErrStuck, "cause.$": "States.JsonToString($.stuck)"}, obj{
		"sagaId.$": "$.saga.id",
		"saga.$":   "$.saga.name",
		"step.$":   "$.stuck.step",
		"phase.$":  "$.stuck.phase",
		"reason.$": "$.stuck.reason",
		"error":    obj{"name.$": "$.stuck.error", "message.$": "$.stuck.caught.Cause"},
		"since.$":  "$$.State.EnteredTime",
	}, stateStuck)
	states[stateStuck] = obj{"Type": "Fail", "Error": ErrStuck, "CausePath": "States.JsonToString($.stuck)"}
}
