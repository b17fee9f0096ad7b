// Package validate checks an Amazon States Language definition (JSONPath query
// language) statically, the way AWS Step Functions' validator does before it
// accepts a state machine: structure, transitions, reachability, the fields
// each state type allows, Retry/Catch, Choice rules, JSONPath and reference
// path syntax, payload templates and intrinsic function calls.
//
// It works on the raw JSON, independently of the interpreter's types, so a
// definition can be checked by tools (the CLI, CI) without loading it. The
// result is a list of Diagnostics naming the state and field at fault, sorted
// by path and free of duplicates, so the same definition always gives the same
// output. Definition never panics, whatever the input.
package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
)

// Diagnostic is one problem in a definition.
type Diagnostic struct {
	// Path locates the field, e.g. "States.P.Parameters.x.$" or
	// "States.M.ItemProcessor.States.Inner.Next"; empty for the document.
	Path    string
	Message string
	// Code is the error code ValidateStateMachineDefinition gives the
	// problem on AWS (CodeSchemaValidation unless another fits better).
	Code string
}

// Diagnostic codes, as AWS's ValidateStateMachineDefinition names them.
const (
	// CodeInvalidJSON: the definition is not one JSON object.
	CodeInvalidJSON = "INVALID_JSON_DESCRIPTION"
	// CodeSchemaValidation: a field is missing, misplaced or malformed.
	CodeSchemaValidation = "SCHEMA_VALIDATION_FAILED"
	// CodeMissingEndState: a state machine, Parallel branch or Map
	// processor has no terminal state that StartAt leads to, so it could
	// never end.
	CodeMissingEndState = "MISSING_END_STATE"
	// CodeMissingTransitionTarget: a transition names no state of its
	// scope, or a state is unreachable.
	CodeMissingTransitionTarget = "MISSING_TRANSITION_TARGET"
	// CodeDuplicateStateName: two states share a name.
	CodeDuplicateStateName = "DUPLICATE_STATE_NAME"
	// CodeDefinitionTooLarge: the definition is longer than
	// MaxDefinitionBytes. AWS answers that with a ValidationException
	// rather than a diagnostic; the code lets callers do the same.
	CodeDefinitionTooLarge = "DEFINITION_TOO_LARGE"
)

// MaxDefinitionBytes is the largest definition AWS accepts: 1 MiB.
const MaxDefinitionBytes = 1 << 20

// Messages shared with the interpreter's compiler (pkg/asl), so that `sfn
// validate` and `sfn run` word the same problem the same way.
const (
	// MsgNoTerminalState is the message of CodeMissingEndState when no
	// state of the machine can end it.
	MsgNoTerminalState = `has no terminal state (a Succeed or Fail state, or one with "End": true), so it could never end`
	// MsgTerminalUnreachable is the message of CodeMissingEndState when
	// terminal states exist but none is reachable from StartAt (%q).
	MsgTerminalUnreachable = `no terminal state (a Succeed or Fail state, or one with "End": true) is reachable from StartAt %q, so it could never end`
	// MsgTooLarge is the message of CodeDefinitionTooLarge (%d: the size).
	MsgTooLarge = "definition is %d bytes, more than the 1048576-byte (1 MiB) limit of Step Functions"
	// MsgRequired says a required field is missing.
	MsgRequired = "is required"
)

// String returns "path: message", or the message alone for the document.
func (d Diagnostic) String() string {
	if d.Path == "" {
		return d.Message
	}
	return d.Path + ": " + d.Message
}

// Limits AWS applies.
const (
	maxStateName = 80       // characters in a state name
	maxSeconds   = 99999999 // Wait Seconds, TimeoutSeconds, HeartbeatSeconds, IntervalSeconds, MaxAttempts
	maxDelay     = 31622400 // MaxDelaySeconds (one leap year)
)

// Definition validates a state machine definition. It returns nil when the
// definition is valid.
//
// A definition longer than MaxDefinitionBytes gets that one diagnostic
// (CodeDefinitionTooLarge) and is not parsed: AWS refuses it before
// looking inside, and parsing a huge document would cost what the limit is
// there to prevent.
func Definition(raw []byte) []Diagnostic {
	v := &validator{seen: map[string]string{}, all: map[string]bool{}}
	if len(raw) > MaxDefinitionBytes {
		v.addCode(CodeDefinitionTooLarge, "", MsgTooLarge, len(raw))
		return v.result()
	}
	doc, dups, err := decode(raw)
	if err != nil {
		v.addCode(CodeInvalidJSON, "", "definition is not valid JSON: %v", err)
		return v.result()
	}
	for _, p := range dups {
		v.add(p, "field appears more than once (JSON keeps only the last)")
	}
	root, ok := doc.(map[string]any)
	if !ok {
		v.add("", "definition must be a JSON object, got %s", typeName(doc))
		return v.result()
	}
	collectNames(root, v.all)
	if ql, ok := root["QueryLanguage"]; ok && ql != "JSONPath" {
		if ql == "JSONata" {
			v.add("QueryLanguage", "JSONata is not supported; use JSONPath")
		} else {
			v.add("QueryLanguage", "must be \"JSONPath\" or \"JSONata\", got %s", show(ql))
		}
	}
	v.fields("", root, topFields, "a state machine")
	if t, ok := root["TimeoutSeconds"]; ok {
		v.integer("TimeoutSeconds", t, 1, maxSeconds)
	}
	v.optString("", root, "Comment")
	v.optString("", root, "Version")
	v.machine("", root)
	return v.result()
}

type validator struct {
	diags []Diagnostic
	seen  map[string]string // state name -> path of the state that has it
	all   map[string]bool   // every state name in the definition, any scope
}

// collectNames records the state names of machine m and of every branch and
// Map processor inside it.
func collectNames(m map[string]any, into map[string]bool) {
	states, _ := m["States"].(map[string]any)
	for name, raw := range states {
		into[name] = true
		st, _ := raw.(map[string]any)
		if st == nil {
			continue
		}
		if branches, ok := st["Branches"].([]any); ok {
			for _, b := range branches {
				if bm, ok := b.(map[string]any); ok {
					collectNames(bm, into)
				}
			}
		}
		for _, f := range []string{"ItemProcessor", "Iterator"} {
			if pm, ok := st[f].(map[string]any); ok {
				collectNames(pm, into)
			}
		}
	}
}

func (v *validator) add(path, format string, args ...any) {
	v.addCode(CodeSchemaValidation, path, format, args...)
}

func (v *validator) addCode(code, path, format string, args ...any) {
	v.diags = append(v.diags, Diagnostic{Path: path, Message: fmt.Sprintf(format, args...), Code: code})
}

func (v *validator) result() []Diagnostic {
	if len(v.diags) == 0 {
		return nil
	}
	slices.SortFunc(v.diags, func(a, b Diagnostic) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if c := strings.Compare(a.Message, b.Message); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return slices.Compact(v.diags)
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	topFields         = set("StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage")
	branchFields      = set("StartAt", "States", "Comment")
	processorFields   = set("StartAt", "States", "Comment", "ProcessorConfig")
	retrierFields     = set("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
	catcherFields     = set("ErrorEquals", "Next", "ResultPath", "Comment", "Assign")
	processorCfgField = set("Mode", "ExecutionType")
)

// stateFields lists the fields each state type allows in JSONPath mode.
var stateFields = map[string]map[string]bool{
	"Pass": set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "Result", "Assign"),
	"Task": set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath",
		"HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"),
	"Choice":  set("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath", "Choices", "Default", "Assign"),
	"Wait":    set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"),
	"Succeed": set("Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"),
	"Fail":    set("Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause", "CausePath"),
	"Parallel": set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "Retry", "Catch", "Branches", "Assign"),
	"Map": set("Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath",
		"Parameters", "ResultSelector", "Retry", "Catch", "Iterator", "ItemProcessor", "ItemsPath", "ItemSelector",
		"ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
		"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
		"ToleratedFailureCountPath", "Label", "Assign"),
}

// fields reports every field of obj that allowed does not list.
func (v *validator) fields(path string, obj map[string]any, allowed map[string]bool, what string) {
	for _, k := range sortedKeys(obj) {
		if !allowed[k] {
			v.add(path, "field %q is not allowed in %s", k, what)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// machine validates StartAt and States of the top level, a Parallel branch or
// a Map processor, and the transitions and reachability inside it.
func (v *validator) machine(prefix string, m map[string]any) {
	statesPath := join(prefix, "States")
	rawStates, ok := m["States"]
	if !ok {
		v.add(statesPath, "is required")
	}
	states, isObj := rawStates.(map[string]any)
	if ok && !isObj {
		v.add(statesPath, "must be an object of states, got %s", typeName(rawStates))
	}
	if ok && isObj && len(states) == 0 {
		v.add(statesPath, "must have at least one state")
	}
	start, ok := m["StartAt"]
	startName, isStr := start.(string)
	switch {
	case !ok:
		v.add(join(prefix, "StartAt"), MsgRequired)
	case !isStr:
		v.add(join(prefix, "StartAt"), "must be a string, got %s", typeName(start))
	case states != nil && states[startName] == nil:
		v.add(join(prefix, "StartAt"), "no state named %q", startName)
	}
	if states == nil {
		return
	}
	sc := &scope{states: states, edges: map[string][]string{}, terminal: map[string]bool{}}
	for _, name := range sortedKeys(states) {
		path := statesPath + "." + name
		if first, dup := v.seen[name]; dup {
			v.addCode(CodeDuplicateStateName, path, "state name %q is already used at %s; names must be unique in the whole state machine", name, first)
		} else {
			v.seen[name] = path
		}
		if name == "" {
			v.add(path, "state name must not be empty")
		}
		if n := utf8.RuneCountInString(name); n > maxStateName {
			v.add(path, "state name is %d characters long, more than %d", n, maxStateName)
		}
		st, ok := states[name].(map[string]any)
		if !ok {
			v.add(path, "state must be an object, got %s", typeName(states[name]))
			sc.broken = true
			continue
		}
		v.state(path, name, st, sc)
	}
	// Reachability from StartAt.
	if states[startName] == nil {
		if len(states) > 0 && len(sc.terminal) == 0 && !sc.broken {
			v.addCode(CodeMissingEndState, statesPath, MsgNoTerminalState)
		}
		return
	}
	reached := map[string]bool{startName: true}
	queue := []string{startName}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, next := range sc.edges[n] {
			if !reached[next] && states[next] != nil {
				reached[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, name := range sortedKeys(states) {
		if !reached[name] {
			v.addCode(CodeMissingTransitionTarget, statesPath+"."+name, unreachable+" %q", startName)
		}
	}
	v.endState(statesPath, startName, sc, reached)
}

// endState reports a machine that could never end: AWS refuses one without
// a terminal state (MISSING_END_STATE), and so does this validator when
// the terminal states it has are all out of StartAt's reach, which AWS
// refuses too (as unreachable states). A loop is fine as long as some way
// out exists: a Choice whose Default leaves the loop for a Succeed state
// passes. A machine whose transitions are already wrong (a Next naming no
// state, a state without Type, Next or End) is not judged: the end it
// lacks is likely that mistake's.
func (v *validator) endState(statesPath, startName string, sc *scope, reached map[string]bool) {
	if sc.broken {
		return
	}
	if len(sc.terminal) == 0 {
		v.addCode(CodeMissingEndState, statesPath, MsgNoTerminalState)
		return
	}
	for name := range sc.terminal {
		if reached[name] {
			return
		}
	}
	v.addCode(CodeMissingEndState, statesPath, MsgTerminalUnreachable, startName)
}

const unreachable = "state is not reachable from StartAt"

// Unreachable reports whether d is only about a state that no transition
// reaches (its Code is CodeMissingTransitionTarget). AWS rejects such definitions (MISSING_TRANSITION_TARGET), but the
// state does no harm at run time, so a local runner may treat d as a warning:
// conformance case 25-succeed-with-paths, which AWS's validator would refuse,
// still runs.
func Unreachable(d Diagnostic) bool { return strings.HasPrefix(d.Message, unreachable) }

// scope is one machine's states and the transitions found so far.
type scope struct {
	states map[string]any
	edges  map[string][]string
	// terminal holds the states that end the machine: Succeed, Fail, and
	// those with "End": true.
	terminal map[string]bool
	// broken is set when a state's transitions could not be read (no
	// Type, neither Next nor End, a target that does not exist).
	broken bool
}

// target checks a transition field and records the edge.
func (v *validator) target(path, from string, val any, sc *scope) {
	name, ok := val.(string)
	if !ok {
		v.add(path, "must be a state name (string), got %s", typeName(val))
		sc.broken = true
		return
	}
	if sc.states[name] == nil {
		sc.broken = true
		if v.all[name] {
			v.addCode(CodeMissingTransitionTarget, path, "no state named %q in this scope; a transition cannot leave or enter a Parallel branch or Map processor", name)
		} else {
			v.addCode(CodeMissingTransitionTarget, path, "no state named %q", name)
		}
		return
	}
	sc.edges[from] = append(sc.edges[from], name)
}

func (v *validator) state(path, name string, st map[string]any, sc *scope) {
	typ, ok := st["Type"]
	if !ok {
		v.add(join(path, "Type"), MsgRequired)
		sc.broken = true
		return
	}
	t, _ := typ.(string)
	allowed := stateFields[t]
	if allowed == nil {
		v.add(join(path, "Type"), "unknown state type %s (one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)", show(typ))
		sc.broken = true
		return
	}
	v.fields(path, st, allowed, "a "+t+" state")
	v.optString(path, st, "Comment")
	if ql, ok := st["QueryLanguage"]; ok && ql != "JSONPath" {
		v.add(join(path, "QueryLanguage"), "must be \"JSONPath\" (JSONata is not supported), got %s", show(ql))
	}

	// Transitions: Next or End where required.
	switch t {
	case "Pass", "Task", "Wait", "Parallel", "Map":
		next, hasNext := st["Next"]
		end, hasEnd := st["End"]
		if hasEnd {
			if b, ok := end.(bool); !ok {
				v.add(join(path, "End"), "must be true, got %s", typeName(end))
			} else if !b {
				hasEnd = false
			}
		}
		switch {
		case hasNext && hasEnd:
			v.add(path, "has both Next and End; a %s state needs exactly one", t)
			sc.broken = true
		case !hasNext && !hasEnd:
			v.add(path, "needs Next or End: true")
			sc.broken = true
		case hasNext:
			v.target(join(path, "Next"), name, next, sc)
		default:
			sc.terminal[name] = true
		}
	case "Succeed", "Fail":
		sc.terminal[name] = true
	}

	// Paths shared by most types.
	for _, f := range []string{"InputPath", "OutputPath"} {
		if val, ok := st[f]; ok && allowed[f] && val != nil {
			v.path(join(path, f), val, anyPath)
		}
	}
	if val, ok := st["ResultPath"]; ok && allowed["ResultPath"] && val != nil {
		v.resultPath(join(path, "ResultPath"), val)
	}
	for _, f := range []string{"Parameters", "ResultSelector", "ItemSelector"} {
		if val, ok := st[f]; ok && allowed[f] {
			v.template(join(path, f), val)
		}
	}
	if val, ok := st["Assign"]; ok && allowed["Assign"] {
		v.template(join(path, "Assign"), val)
	}
	if allowed["Retry"] {
		v.retry(join(path, "Retry"), st["Retry"])
		v.catch(join(path, "Catch"), name, st["Catch"], sc)
	}

	switch t {
	case "Task":
		v.task(path, st)
	case "Choice":
		v.choice(path, name, st, sc)
	case "Wait":
		v.wait(path, st)
	case "Fail":
		v.fail(path, st)
	case "Parallel":
		v.parallel(path, st)
	case "Map":
		v.mapState(path, st)
	}
}

func (v *validator) optString(path string, obj map[string]any, field string) {
	if val, ok := obj[field]; ok {
		if _, isStr := val.(string); !isStr {
			v.add(join(path, field), "must be a string, got %s", typeName(val))
		}
	}
}

// path checks a JSONPath-valued field.
func (v *validator) path(path string, val any, mode pathMode) {
	s, ok := val.(string)
	if !ok {
		v.add(path, "must be a JSONPath string, got %s", typeName(val))
		return
	}
	if err := checkPath(s, mode); err != nil {
		v.add(path, "%v", err)
	}
}

// resultPath checks ResultPath: null or a reference path into the state input.
func (v *validator) resultPath(path string, val any) {
	if s, ok := val.(string); ok && strings.HasPrefix(s, "$$") {
		v.add(path, "%q: ResultPath cannot write to the context object", s)
		return
	}
	v.path(path, val, referencePath)
}

// template checks a payload template (Parameters, ResultSelector,
// ItemSelector, Assign): an object whose "key.$" fields hold a path, a
// context path or an intrinsic function.
func (v *validator) template(path string, val any) {
	obj, ok := val.(map[string]any)
	if !ok {
		v.add(path, "must be an object, got %s", typeName(val))
		return
	}
	v.templateValue(path, obj)
}

func (v *validator) templateValue(path string, val any) {
	switch x := val.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := path + "." + k
			base, dynamic := strings.CutSuffix(k, ".$")
			if !dynamic {
				v.templateValue(p, x[k])
				continue
			}
			if _, clash := x[base]; clash {
				v.add(p, "field %q is also set without .$", base)
			}
			s, ok := x[k].(string)
			if !ok {
				v.add(p, "a field ending in .$ must have a string value (a path or an intrinsic function), got %s", typeName(x[k]))
				continue
			}
			v.dynamicValue(p, s, nil)
		}
	case []any:
		for i, e := range x {
			v.templateValue(fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

// dynamicValue checks a path or intrinsic value; allowed, when non-nil,
// restricts the intrinsic functions.
func (v *validator) dynamicValue(path, s string, allowed map[string]bool) {
	switch {
	case strings.HasPrefix(strings.TrimSpace(s), "States."):
		e, err := intrinsic.Parse(s)
		if err != nil {
			var ie *intrinsic.Error
			if ok := asIntrinsic(err, &ie); ok {
				v.add(path, "%s", ie.Cause)
			} else {
				v.add(path, "%v", err)
			}
			return
		}
		if allowed != nil && !allowed[e.Name()] {
			v.add(path, "%s cannot be used here", e.Name())
		}
		for _, p := range e.Paths() {
			if err := checkPath(p, anyPath); err != nil {
				v.add(path, "%v", err)
			}
		}
	case strings.HasPrefix(s, "$"):
		if err := checkPath(s, anyPath); err != nil {
			v.add(path, "%v", err)
		}
	default:
		v.add(path, "%q is neither a JSONPath, a context path ($$) nor an intrinsic function", s)
	}
}

func asIntrinsic(err error, target **intrinsic.Error) bool {
	ie, ok := err.(*intrinsic.Error)
	if ok {
		*target = ie
	}
	return ok
}

// integer checks a whole number in [min, max].
func (v *validator) integer(path string, val any, min, max float64) (float64, bool) {
	f, ok := val.(float64)
	if !ok || f != math.Trunc(f) {
		v.add(path, "must be an integer, got %s", show(val))
		return 0, false
	}
	if f < min || f > max {
		v.add(path, "must be between %d and %d, got %s", int64(min), int64(max), show(val))
		return f, false
	}
	return f, true
}

func (v *validator) errorEquals(path string, obj map[string]any) bool {
	raw, ok := obj["ErrorEquals"]
	p := join(path, "ErrorEquals")
	if !ok {
		v.add(p, "is required")
		return false
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		v.add(p, "must be a non-empty array of error names")
		return false
	}
	hasAll := false
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			v.add(fmt.Sprintf("%s[%d]", p, i), "must be a string, got %s", typeName(e))
			continue
		}
		if s == "States.ALL" {
			hasAll = true
		}
	}
	if hasAll && len(list) > 1 {
		v.add(p, "States.ALL must appear alone in ErrorEquals")
	}
	return hasAll
}

func (v *validator) retry(path string, val any) {
	if val == nil {
		return
	}
	list, ok := val.([]any)
	if !ok {
		v.add(path, "must be an array of retriers, got %s", typeName(val))
		return
	}
	for i, e := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		r, ok := e.(map[string]any)
		if !ok {
			v.add(p, "retrier must be an object, got %s", typeName(e))
			continue
		}
		v.fields(p, r, retrierFields, "a retrier")
		v.optString(p, r, "Comment")
		if v.errorEquals(p, r) && i != len(list)-1 {
			v.add(p, "a retrier with States.ALL must be the last one")
		}
		if x, ok := r["IntervalSeconds"]; ok {
			v.integer(join(p, "IntervalSeconds"), x, 1, maxSeconds)
		}
		if x, ok := r["MaxAttempts"]; ok {
			v.integer(join(p, "MaxAttempts"), x, 0, maxSeconds)
		}
		if x, ok := r["MaxDelaySeconds"]; ok {
			v.integer(join(p, "MaxDelaySeconds"), x, 1, maxDelay)
		}
		if x, ok := r["BackoffRate"]; ok {
			if f, isNum := x.(float64); !isNum || f < 1 {
				v.add(join(p, "BackoffRate"), "must be a number >= 1.0, got %s", show(x))
			}
		}
		if x, ok := r["JitterStrategy"]; ok && x != "FULL" && x != "NONE" {
			v.add(join(p, "JitterStrategy"), "must be \"FULL\" or \"NONE\", got %s", show(x))
		}
	}
}

func (v *validator) catch(path, from string, val any, sc *scope) {
	if val == nil {
		return
	}
	list, ok := val.([]any)
	if !ok {
		v.add(path, "must be an array of catchers, got %s", typeName(val))
		return
	}
	for i, e := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		c, ok := e.(map[string]any)
		if !ok {
			v.add(p, "catcher must be an object, got %s", typeName(e))
			continue
		}
		v.fields(p, c, catcherFields, "a catcher")
		v.optString(p, c, "Comment")
		if v.errorEquals(p, c) && i != len(list)-1 {
			v.add(p, "a catcher with States.ALL must be the last one")
		}
		if next, ok := c["Next"]; ok {
			v.target(join(p, "Next"), from, next, sc)
		} else {
			v.add(join(p, "Next"), "is required")
		}
		if rp, ok := c["ResultPath"]; ok && rp != nil {
			v.resultPath(join(p, "ResultPath"), rp)
		}
		if a, ok := c["Assign"]; ok {
			v.template(join(p, "Assign"), a)
		}
	}
}

// onlyOne reports when more than one of fields is set; it returns how many are.
func (v *validator) onlyOne(path string, obj map[string]any, fields ...string) int {
	var set []string
	for _, f := range fields {
		if _, ok := obj[f]; ok {
			set = append(set, f)
		}
	}
	if len(set) > 1 {
		v.add(path, "has %s; only one of them is allowed", strings.Join(set, " and "))
	}
	return len(set)
}

var arnRE = regexp.MustCompile(`^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$`)

func (v *validator) task(path string, st map[string]any) {
	res, ok := st["Resource"]
	switch s, isStr := res.(string); {
	case !ok:
		v.add(join(path, "Resource"), "is required")
	case !isStr:
		v.add(join(path, "Resource"), "must be an ARN string, got %s", typeName(res))
	case !arnRE.MatchString(s):
		v.add(join(path, "Resource"), "%q is not an ARN (arn:partition:service:region:account:resource)", s)
	}
	v.onlyOne(path, st, "TimeoutSeconds", "TimeoutSecondsPath")
	v.onlyOne(path, st, "HeartbeatSeconds", "HeartbeatSecondsPath")
	timeout, okT := 0.0, false
	if x, ok := st["TimeoutSeconds"]; ok {
		timeout, okT = v.integer(join(path, "TimeoutSeconds"), x, 1, maxSeconds)
	}
	if x, ok := st["HeartbeatSeconds"]; ok {
		if hb, okH := v.integer(join(path, "HeartbeatSeconds"), x, 1, maxSeconds); okH && okT && hb >= timeout {
			v.add(join(path, "HeartbeatSeconds"), "must be smaller than TimeoutSeconds (%s)", show(timeout))
		}
	}
	for _, f := range []string{"TimeoutSecondsPath", "HeartbeatSecondsPath"} {
		if x, ok := st[f]; ok {
			v.path(join(path, f), x, referencePath)
		}
	}
	if c, ok := st["Credentials"]; ok {
		v.template(join(path, "Credentials"), c)
	}
}

// RFC 3339 as AWS requires it: upper-case T and Z, seconds present.
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

func isTimestamp(s string) bool {
	if !timestampRE.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func (v *validator) wait(path string, st map[string]any) {
	if v.onlyOne(path, st, "Seconds", "Timestamp", "SecondsPath", "TimestampPath") == 0 {
		v.add(path, "a Wait state needs one of Seconds, Timestamp, SecondsPath or TimestampPath")
	}
	if x, ok := st["Seconds"]; ok {
		v.integer(join(path, "Seconds"), x, 0, maxSeconds)
	}
	if x, ok := st["Timestamp"]; ok {
		if s, isStr := x.(string); !isStr || !isTimestamp(s) {
			v.add(join(path, "Timestamp"), "must be an RFC 3339 timestamp like 2016-03-14T01:59:00Z, got %s", show(x))
		}
	}
	for _, f := range []string{"SecondsPath", "TimestampPath"} {
		if x, ok := st[f]; ok {
			v.path(join(path, f), x, referencePath)
		}
	}
}

// failIntrinsics are the intrinsic functions AWS allows in ErrorPath and
// CausePath.
var failIntrinsics = set("States.Format", "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode",
	"States.Base64Decode", "States.Hash", "States.UUID")

func (v *validator) fail(path string, st map[string]any) {
	v.onlyOne(path, st, "Error", "ErrorPath")
	v.onlyOne(path, st, "Cause", "CausePath")
	v.optString(path, st, "Error")
	v.optString(path, st, "Cause")
	for _, f := range []string{"ErrorPath", "CausePath"} {
		x, ok := st[f]
		if !ok {
			continue
		}
		s, isStr := x.(string)
		switch {
		case !isStr:
			v.add(join(path, f), "must be a reference path or an intrinsic function, got %s", typeName(x))
		case strings.HasPrefix(strings.TrimSpace(s), "States."):
			v.dynamicValue(join(path, f), s, failIntrinsics)
		default:
			v.path(join(path, f), s, referencePath)
		}
	}
}

func (v *validator) parallel(path string, st map[string]any) {
	p := join(path, "Branches")
	raw, ok := st["Branches"]
	if !ok {
		v.add(p, "is required")
		return
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		v.add(p, "must be a non-empty array of branches")
		return
	}
	for i, b := range list {
		bp := fmt.Sprintf("%s[%d]", p, i)
		m, ok := b.(map[string]any)
		if !ok {
			v.add(bp, "branch must be an object, got %s", typeName(b))
			continue
		}
		v.fields(bp, m, branchFields, "a Parallel branch")
		v.optString(bp, m, "Comment")
		v.machine(bp, m)
	}
}

func (v *validator) mapState(path string, st map[string]any) {
	switch v.onlyOne(path, st, "ItemProcessor", "Iterator") {
	case 0:
		v.add(path, "a Map state needs ItemProcessor (or the older Iterator)")
	case 1:
		for _, f := range []string{"ItemProcessor", "Iterator"} {
			raw, ok := st[f]
			if !ok {
				continue
			}
			p := join(path, f)
			m, isObj := raw.(map[string]any)
			if !isObj {
				v.add(p, "must be an object, got %s", typeName(raw))
				continue
			}
			allowed := processorFields
			if f == "Iterator" {
				allowed = branchFields
			}
			v.fields(p, m, allowed, "a Map "+f)
			v.optString(p, m, "Comment")
			if cfg, ok := m["ProcessorConfig"]; ok {
				v.processorConfig(join(p, "ProcessorConfig"), cfg)
			}
			v.machine(p, m)
		}
	}
	v.onlyOne(path, st, "Parameters", "ItemSelector")
	v.onlyOne(path, st, "MaxConcurrency", "MaxConcurrencyPath")
	v.onlyOne(path, st, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	v.onlyOne(path, st, "ToleratedFailureCount", "ToleratedFailureCountPath")
	if x, ok := st["ItemsPath"]; ok {
		v.path(join(path, "ItemsPath"), x, anyPath)
	}
	if x, ok := st["MaxConcurrency"]; ok {
		v.integer(join(path, "MaxConcurrency"), x, 0, math.MaxInt32)
	}
	if x, ok := st["ToleratedFailurePercentage"]; ok {
		if f, isNum := x.(float64); !isNum || f < 0 || f > 100 {
			v.add(join(path, "ToleratedFailurePercentage"), "must be a number from 0 to 100, got %s", show(x))
		}
	}
	if x, ok := st["ToleratedFailureCount"]; ok {
		v.integer(join(path, "ToleratedFailureCount"), x, 0, math.MaxInt32)
	}
	for _, f := range []string{"MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"} {
		if x, ok := st[f]; ok {
			v.path(join(path, f), x, referencePath)
		}
	}
	for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter"} {
		if x, ok := st[f]; ok {
			if _, isObj := x.(map[string]any); !isObj {
				v.add(join(path, f), "must be an object, got %s", typeName(x))
			}
		}
	}
	v.optString(path, st, "Label")
}

func (v *validator) processorConfig(path string, raw any) {
	cfg, ok := raw.(map[string]any)
	if !ok {
		v.add(path, "must be an object, got %s", typeName(raw))
		return
	}
	v.fields(path, cfg, processorCfgField, "a ProcessorConfig")
	mode, hasMode := cfg["Mode"]
	if hasMode && mode != "INLINE" && mode != "DISTRIBUTED" {
		v.add(join(path, "Mode"), "must be \"INLINE\" or \"DISTRIBUTED\", got %s", show(mode))
	}
	et, hasET := cfg["ExecutionType"]
	if hasET && et != "STANDARD" && et != "EXPRESS" {
		v.add(join(path, "ExecutionType"), "must be \"STANDARD\" or \"EXPRESS\", got %s", show(et))
	}
	if mode == "DISTRIBUTED" && !hasET {
		v.add(join(path, "ExecutionType"), "is required when Mode is DISTRIBUTED")
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// show prints a value briefly for a message.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return typeName(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
