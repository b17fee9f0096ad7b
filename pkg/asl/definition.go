package asl

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// StateMachine is a compiled definition. It is immutable and safe for
// concurrent use: start any number of executions from it.
type StateMachine struct {
	raw            []byte
	comment        string
	timeoutSeconds int
	top            *machine
	paths          *pathCache
}

// Comment returns the definition's top-level Comment.
func (sm *StateMachine) Comment() string { return sm.comment }

// Definition returns the raw definition the machine was compiled from.
func (sm *StateMachine) Definition() []byte { return sm.raw }

// StateNames returns the names of the top-level states, sorted.
func (sm *StateMachine) StateNames() []string {
	names := make([]string, 0, len(sm.top.states))
	for n := range sm.top.states {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// machine is a state graph: the top level, a Parallel branch or a Map
// processor.
type machine struct {
	startAt *state
	states  map[string]*state
}

type stateKind uint8

const (
	kindPass stateKind = iota + 1
	kindTask
	kindChoice
	kindWait
	kindSucceed
	kindFail
	kindParallel
	kindMap
)

var kindNames = map[string]stateKind{
	"Pass": kindPass, "Task": kindTask, "Choice": kindChoice, "Wait": kindWait,
	"Succeed": kindSucceed, "Fail": kindFail, "Parallel": kindParallel, "Map": kindMap,
}

func (k stateKind) String() string {
	switch k {
	case kindPass:
		return "Pass"
	case kindTask:
		return "Task"
	case kindChoice:
		return "Choice"
	case kindWait:
		return "Wait"
	case kindSucceed:
		return "Succeed"
	case kindFail:
		return "Fail"
	case kindParallel:
		return "Parallel"
	case kindMap:
		return "Map"
	}
	return "Unknown"
}

// pathField is InputPath, OutputPath or ResultPath: absent means "$", null
// means "nothing" (InputPath/OutputPath: {}; ResultPath: discard the result).
type pathField struct {
	null bool
	path *jsonpath.Path // nil with null false: "$"
}

type state struct {
	name     string
	kind     stateKind
	next     *state
	nextName string
	end      bool

	// flow is the state's query language: how input becomes arguments and
	// a result becomes output (JSONPath today; JSONata would be another).
	flow                              dataFlow
	inputPath, outputPath, resultPath pathField
	parameters                        *template
	resultSelector                    *template
	result                            any
	hasResult                         bool
	retry                             []retrier
	catch                             []catcher

	// Choice
	choices     []*choiceRule
	defaultNext *state

	// Wait
	waitSeconds      float64
	hasWaitSeconds   bool
	waitTimestamp    time.Time
	hasWaitTimestamp bool
	secondsPath      *jsonpath.Path
	timestampPath    *jsonpath.Path

	// Fail
	errorName, cause   string
	hasError, hasCause bool
	errorExpr          *valueExpr
	causeExpr          *valueExpr

	// Task
	resource         string
	res              resource
	timeoutSeconds   float64
	heartbeatSeconds float64
	timeoutPath      *jsonpath.Path
	heartbeatPath    *jsonpath.Path
	hasTimeout       bool
	hasHeartbeat     bool
	credentials      any

	// Parallel
	branches []*machine

	// Map
	itemsPath          pathField
	itemSelector       *template
	processor          *machine
	processorMode      string
	maxConcurrency     int
	maxConcurrencyPath *jsonpath.Path
	toleratedCount     float64
	toleratedPercent   float64
	hasToleratedCount  bool
	hasToleratedPct    bool
	toleratedCountPath *jsonpath.Path
	toleratedPctPath   *jsonpath.Path
	reader             *itemReader
	batcher            *batcher
	resultWriter       any
	label              string
}

type retrier struct {
	errorEquals     []string
	intervalSeconds float64
	maxAttempts     int
	backoffRate     float64
	maxDelaySeconds float64
	jitterFull      bool
}

type catcher struct {
	errorEquals []string
	next        *state
	nextName    string
	resultPath  pathField
}

// pathCache compiles the JSONPaths intrinsic functions resolve at run time
// once per machine.
type pathCache struct{ m sync.Map }

func (c *pathCache) get(src string) (*jsonpath.Path, error) {
	if p, ok := c.m.Load(src); ok {
		return p.(*jsonpath.Path), nil
	}
	p, err := jsonpath.Compile(src)
	if err != nil {
		return nil, err
	}
	c.m.Store(src, p)
	return p, nil
}

// CompileOption tunes Compile.
type CompileOption func(*compileConfig)

type compileConfig struct{}

// Compile parses and checks a definition (JSONPath query language). Every
// path, template and intrinsic call is compiled here, once. Errors wrap
// ErrInvalidDefinition and join one *DefinitionError per problem.
func Compile(raw []byte, opts ...CompileOption) (*StateMachine, error) {
	var cfg compileConfig
	for _, o := range opts {
		o(&cfg)
	}
	// Decoded in document order: payload templates and Pass results build
	// objects in the order they are written, as AWS does.
	doc, err := jsonv.Decode(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, fmt.Errorf("%w: not JSON: %w", ErrInvalidDefinition, err)
	}
	top, ok := asMap(doc)
	if !ok {
		return nil, fmt.Errorf("%w: the definition must be a JSON object", ErrInvalidDefinition)
	}
	c := &compiler{paths: &pathCache{}}
	sm := &StateMachine{raw: append([]byte(nil), raw...), paths: c.paths}
	if s, ok := top["Comment"].(string); ok {
		sm.comment = s
	}
	if ql, ok := top["QueryLanguage"]; ok && ql != "JSONPath" {
		c.errf("QueryLanguage", "query language %v is not supported (only JSONPath)", ql)
	}
	if v, ok := top["TimeoutSeconds"]; ok {
		n, ok := c.posInt("TimeoutSeconds", v)
		if ok {
			sm.timeoutSeconds = n
		}
	}
	sm.top = c.machine("", top)
	if len(c.errs) > 0 {
		return nil, errors.Join(append([]error{ErrInvalidDefinition}, c.errs...)...)
	}
	return sm, nil
}

type compiler struct {
	paths *pathCache
	errs  []error
}

func (c *compiler) errf(path, format string, args ...any) {
	c.errs = append(c.errs, &DefinitionError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

func (c *compiler) machine(prefix string, def map[string]any) *machine {
	m := &machine{states: map[string]*state{}}
	statesRaw, ok := asMap(def["States"])
	if !ok {
		c.errf(join(prefix, "States"), "States must be an object of states")
		return m
	}
	if len(statesRaw) == 0 {
		c.errf(join(prefix, "States"), "States must not be empty")
	}
	names := make([]string, 0, len(statesRaw))
	for n := range statesRaw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sdef, ok := asMap(statesRaw[n])
		sp := join(prefix, "States."+n)
		if !ok {
			c.errf(sp, "a state must be an object")
			continue
		}
		if len(n) > 80 {
			c.errf(sp, "state names must be at most 80 characters")
		}
		if st := c.state(sp, n, sdef); st != nil {
			m.states[n] = st
		}
	}
	// Resolve transitions inside this machine only: Next cannot leave a
	// branch or processor.
	resolve := func(path, name string) *state {
		st, ok := m.states[name]
		if !ok {
			c.errf(path, "no state named %q", name)
		}
		return st
	}
	for _, n := range names {
		st := m.states[n]
		if st == nil {
			continue
		}
		sp := join(prefix, "States."+n)
		if st.nextName != "" {
			st.next = resolve(sp+".Next", st.nextName)
		}
		for i := range st.catch {
			st.catch[i].next = resolve(fmt.Sprintf("%s.Catch[%d].Next", sp, i), st.catch[i].nextName)
		}
		for i, r := range st.choices {
			r.next = resolve(fmt.Sprintf("%s.Choices[%d].Next", sp, i), r.nextName)
		}
		sdef, _ := asMap(statesRaw[n])
		if dn, ok := sdef["Default"].(string); ok && st.kind == kindChoice {
			st.defaultNext = resolve(sp+".Default", dn)
		}
	}
	start, ok := def["StartAt"].(string)
	if !ok {
		c.errf(join(prefix, "StartAt"), "StartAt must name a state")
	} else {
		m.startAt = m.states[start]
		if m.startAt == nil {
			c.errf(join(prefix, "StartAt"), "no state named %q", start)
		}
	}
	return m
}

// allowed fields per state type (beyond Type and Comment).
var allowedFields = map[stateKind][]string{
	kindPass:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	kindTask:     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
	kindChoice:   {"InputPath", "OutputPath", "Choices", "Default"},
	kindWait:     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
	kindSucceed:  {"InputPath", "OutputPath"},
	kindFail:     {"Error", "Cause", "ErrorPath", "CausePath"},
	kindParallel: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Branches"},
	kindMap: {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "ItemsPath",
		"ItemSelector", "Iterator", "ItemProcessor", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
		"ToleratedFailurePercentage", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "ItemReader", "ItemBatcher",
		"ResultWriter", "Label"},
}

func (c *compiler) state(sp, name string, def map[string]any) *state {
	typ, _ := def["Type"].(string)
	kind, ok := kindNames[typ]
	if !ok {
		c.errf(sp+".Type", "unknown state type %q", def["Type"])
		return nil
	}
	st := &state{name: name, kind: kind}
	allowed := map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}
	for _, f := range allowedFields[kind] {
		allowed[f] = true
	}
	for f := range def {
		if !allowed[f] {
			c.errf(sp+"."+f, "field %q is not allowed in a %s state", f, typ)
		}
	}
	if ql, ok := def["QueryLanguage"]; ok && ql != "JSONPath" {
		c.errf(sp+".QueryLanguage", "query language %v is not supported (only JSONPath)", ql)
	}

	// Transitions.
	switch kind {
	case kindChoice, kindSucceed, kindFail:
	default:
		next, hasNext := def["Next"]
		end, _ := def["End"].(bool)
		switch {
		case hasNext && end:
			c.errf(sp, "a state cannot have both Next and End")
		case hasNext:
			s, ok := next.(string)
			if !ok || s == "" {
				c.errf(sp+".Next", "Next must be a state name")
			}
			st.nextName = s
		case end:
			st.end = true
		default:
			c.errf(sp, "a %s state needs Next or End", typ)
		}
	}

	st.inputPath = c.pathField(sp+".InputPath", def, "InputPath", false)
	st.outputPath = c.pathField(sp+".OutputPath", def, "OutputPath", false)
	st.resultPath = c.pathField(sp+".ResultPath", def, "ResultPath", true)
	if v, ok := def["Parameters"]; ok {
		st.parameters = c.template(sp+".Parameters", v)
	}
	if v, ok := def["ResultSelector"]; ok {
		st.resultSelector = c.template(sp+".ResultSelector", v)
	}
	if v, ok := def["Result"]; ok {
		st.result, st.hasResult = v, true
	}
	st.retry = c.retriers(sp+".Retry", def["Retry"])
	st.catch = c.catchers(sp+".Catch", def["Catch"])

	switch kind {
	case kindChoice:
		c.choiceState(sp, st, def)
	case kindWait:
		c.waitState(sp, st, def)
	case kindFail:
		c.failState(sp, st, def)
	case kindTask:
		c.taskState(sp, st, def)
	case kindParallel:
		branches, ok := def["Branches"].([]any)
		if !ok || len(branches) == 0 {
			c.errf(sp+".Branches", "Branches must be a non-empty array")
		}
		for i, b := range branches {
			bp := fmt.Sprintf("%s.Branches[%d]", sp, i)
			bm, ok := asMap(b)
			if !ok {
				c.errf(bp, "a branch must be an object")
				continue
			}
			st.branches = append(st.branches, c.machine(bp, bm))
		}
	case kindMap:
		c.mapState(sp, st, def)
	}
	st.flow = &jsonPathFlow{inputPath: st.inputPath, outputPath: st.outputPath, resultPath: st.resultPath,
		parameters: st.parameters, resultSelector: st.resultSelector}
	return st
}

func (c *compiler) pathField(path string, def map[string]any, field string, reference bool) pathField {
	v, ok := def[field]
	if !ok {
		return pathField{}
	}
	if v == nil {
		return pathField{null: true}
	}
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string path or null")
		return pathField{}
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		c.errf(path, "%v", err)
		return pathField{}
	}
	if reference && !p.IsReference() {
		c.errf(path, "%q is not a reference path", s)
	}
	if p.IsRoot() {
		return pathField{}
	}
	return pathField{path: p}
}

func (c *compiler) refPath(path string, v any) *jsonpath.Path {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string path")
		return nil
	}
	if strings.HasPrefix(s, "$$") {
		c.errf(path, "context paths are not allowed here")
		return nil
	}
	p, err := jsonpath.Compile(s)
	if err != nil {
		c.errf(path, "%v", err)
		return nil
	}
	return p
}

func (c *compiler) posInt(path string, v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		c.errf(path, "must be a non-negative integer")
		return 0, false
	}
	return int(f), true
}

func (c *compiler) number(path string, v any) (float64, bool) {
	f, ok := v.(float64)
	if !ok {
		c.errf(path, "must be a number")
	}
	return f, ok
}

func (c *compiler) errorEquals(path string, v any) []string {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.errf(path, "ErrorEquals must be a non-empty array of error names")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			c.errf(fmt.Sprintf("%s[%d]", path, i), "error names must be strings")
			continue
		}
		if s == ErrAll && len(list) > 1 {
			c.errf(path, "States.ALL must appear alone in ErrorEquals")
		}
		out = append(out, s)
	}
	return out
}

func (c *compiler) retriers(path string, v any) []retrier {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		c.errf(path, "Retry must be an array")
		return nil
	}
	out := make([]retrier, 0, len(list))
	for i, item := range list {
		rp := fmt.Sprintf("%s[%d]", path, i)
		m, ok := asMap(item)
		if !ok {
			c.errf(rp, "a retrier must be an object")
			continue
		}
		r := retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
		r.errorEquals = c.errorEquals(rp+".ErrorEquals", m["ErrorEquals"])
		if containsAll(r.errorEquals) && i != len(list)-1 {
			c.errf(rp, "a retrier with States.ALL must be the last one")
		}
		for k, val := range m {
			switch k {
			case "ErrorEquals", "Comment":
			case "IntervalSeconds":
				if n, ok := c.posInt(rp+"."+k, val); ok {
					if n < 1 {
						c.errf(rp+"."+k, "must be at least 1")
					}
					r.intervalSeconds = float64(n)
				}
			case "MaxAttempts":
				if n, ok := c.posInt(rp+"."+k, val); ok {
					r.maxAttempts = n
				}
			case "BackoffRate":
				if f, ok := c.number(rp+"."+k, val); ok {
					if f < 1 {
						c.errf(rp+"."+k, "must be at least 1.0")
					}
					r.backoffRate = f
				}
			case "MaxDelaySeconds":
				if n, ok := c.posInt(rp+"."+k, val); ok {
					if n < 1 {
						c.errf(rp+"."+k, "must be positive")
					}
					r.maxDelaySeconds = float64(n)
				}
			case "JitterStrategy":
				switch val {
				case "FULL":
					r.jitterFull = true
				case "NONE":
				default:
					c.errf(rp+"."+k, "must be FULL or NONE")
				}
			default:
				c.errf(rp+"."+k, "field %q is not allowed in a retrier", k)
			}
		}
		out = append(out, r)
	}
	return out
}

func containsAll(list []string) bool {
	for _, s := range list {
		if s == ErrAll {
			return true
		}
	}
	return false
}

func (c *compiler) catchers(path string, v any) []catcher {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		c.errf(path, "Catch must be an array")
		return nil
	}
	out := make([]catcher, 0, len(list))
	for i, item := range list {
		cp := fmt.Sprintf("%s[%d]", path, i)
		m, ok := asMap(item)
		if !ok {
			c.errf(cp, "a catcher must be an object")
			continue
		}
		ct := catcher{errorEquals: c.errorEquals(cp+".ErrorEquals", m["ErrorEquals"])}
		if containsAll(ct.errorEquals) && i != len(list)-1 {
			c.errf(cp, "a catcher with States.ALL must be the last one")
		}
		if s, ok := m["Next"].(string); ok {
			ct.nextName = s
		} else {
			c.errf(cp+".Next", "a catcher needs Next")
		}
		ct.resultPath = c.pathField(cp+".ResultPath", m, "ResultPath", true)
		for k := range m {
			switch k {
			case "ErrorEquals", "Next", "ResultPath", "Comment":
			default:
				c.errf(cp+"."+k, "field %q is not allowed in a catcher", k)
			}
		}
		out = append(out, ct)
	}
	return out
}

func (c *compiler) waitState(sp string, st *state, def map[string]any) {
	n := 0
	if v, ok := def["Seconds"]; ok {
		n++
		if s, ok := c.posInt(sp+".Seconds", v); ok {
			st.waitSeconds, st.hasWaitSeconds = float64(s), true
		}
	}
	if v, ok := def["Timestamp"]; ok {
		n++
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			c.errf(sp+".Timestamp", "must be an RFC 3339 timestamp")
		}
		st.waitTimestamp, st.hasWaitTimestamp = t, true
	}
	if v, ok := def["SecondsPath"]; ok {
		n++
		st.secondsPath = c.refPath(sp+".SecondsPath", v)
	}
	if v, ok := def["TimestampPath"]; ok {
		n++
		st.timestampPath = c.refPath(sp+".TimestampPath", v)
	}
	if n != 1 {
		c.errf(sp, "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath")
	}
}

func (c *compiler) failState(sp string, st *state, def map[string]any) {
	if v, ok := def["Error"]; ok {
		s, ok := v.(string)
		if !ok {
			c.errf(sp+".Error", "must be a string")
		}
		st.errorName, st.hasError = s, true
	}
	if v, ok := def["Cause"]; ok {
		s, ok := v.(string)
		if !ok {
			c.errf(sp+".Cause", "must be a string")
		}
		st.cause, st.hasCause = s, true
	}
	if v, ok := def["ErrorPath"]; ok {
		if st.hasError {
			c.errf(sp, "Error and ErrorPath are exclusive")
		}
		st.errorExpr = c.valueExpr(sp+".ErrorPath", "ErrorPath", v)
	}
	if v, ok := def["CausePath"]; ok {
		if st.hasCause {
			c.errf(sp, "Cause and CausePath are exclusive")
		}
		st.causeExpr = c.valueExpr(sp+".CausePath", "CausePath", v)
	}
}

func (c *compiler) taskState(sp string, st *state, def map[string]any) {
	r, ok := def["Resource"].(string)
	if !ok || r == "" {
		c.errf(sp+".Resource", "a Task needs a Resource ARN")
	}
	st.resource = r
	st.res = parseResource(r)
	if v, ok := def["TimeoutSeconds"]; ok {
		if n, ok := c.posInt(sp+".TimeoutSeconds", v); ok {
			if n < 1 {
				c.errf(sp+".TimeoutSeconds", "must be positive")
			}
			st.timeoutSeconds, st.hasTimeout = float64(n), true
		}
	}
	if v, ok := def["HeartbeatSeconds"]; ok {
		if n, ok := c.posInt(sp+".HeartbeatSeconds", v); ok {
			if n < 1 {
				c.errf(sp+".HeartbeatSeconds", "must be positive")
			}
			st.heartbeatSeconds, st.hasHeartbeat = float64(n), true
		}
	}
	if st.hasTimeout && st.hasHeartbeat && st.heartbeatSeconds >= st.timeoutSeconds {
		c.errf(sp+".HeartbeatSeconds", "must be smaller than TimeoutSeconds")
	}
	if v, ok := def["TimeoutSecondsPath"]; ok {
		if st.hasTimeout {
			c.errf(sp, "TimeoutSeconds and TimeoutSecondsPath are exclusive")
		}
		st.timeoutPath = c.refPath(sp+".TimeoutSecondsPath", v)
	}
	if v, ok := def["HeartbeatSecondsPath"]; ok {
		if st.hasHeartbeat {
			c.errf(sp, "HeartbeatSeconds and HeartbeatSecondsPath are exclusive")
		}
		st.heartbeatPath = c.refPath(sp+".HeartbeatSecondsPath", v)
	}
	st.credentials = def["Credentials"]
}

func (c *compiler) mapState(sp string, st *state, def map[string]any) {
	st.itemsPath = c.pathField(sp+".ItemsPath", def, "ItemsPath", false)
	if v, ok := def["ItemSelector"]; ok {
		if st.parameters != nil {
			c.errf(sp, "ItemSelector and Parameters are exclusive")
		}
		st.itemSelector = c.template(sp+".ItemSelector", v)
	} else if st.parameters != nil {
		// Legacy form: Parameters of a Map state select each item.
		st.itemSelector, st.parameters = st.parameters, nil
	}
	proc, hasProc := asMap(def["ItemProcessor"])
	iter, hasIter := asMap(def["Iterator"])
	switch {
	case hasProc && hasIter:
		c.errf(sp, "ItemProcessor and Iterator are exclusive")
	case hasProc:
		st.processor = c.machine(sp+".ItemProcessor", proc)
		if pc, ok := asMap(proc["ProcessorConfig"]); ok {
			st.processorMode, _ = pc["Mode"].(string)
		}
	case hasIter:
		st.processor = c.machine(sp+".Iterator", iter)
	default:
		c.errf(sp, "a Map state needs ItemProcessor (or Iterator)")
	}
	if v, ok := def["MaxConcurrency"]; ok {
		if n, ok := c.posInt(sp+".MaxConcurrency", v); ok {
			st.maxConcurrency = n
		}
	}
	if v, ok := def["MaxConcurrencyPath"]; ok {
		st.maxConcurrencyPath = c.refPath(sp+".MaxConcurrencyPath", v)
	}
	if v, ok := def["ToleratedFailureCount"]; ok {
		if n, ok := c.posInt(sp+".ToleratedFailureCount", v); ok {
			st.toleratedCount, st.hasToleratedCount = float64(n), true
		}
	}
	if v, ok := def["ToleratedFailurePercentage"]; ok {
		if f, ok := c.number(sp+".ToleratedFailurePercentage", v); ok {
			if f < 0 || f > 100 {
				c.errf(sp+".ToleratedFailurePercentage", "must be between 0 and 100")
			}
			st.toleratedPercent, st.hasToleratedPct = f, true
		}
	}
	if v, ok := def["ToleratedFailureCountPath"]; ok {
		st.toleratedCountPath = c.refPath(sp+".ToleratedFailureCountPath", v)
	}
	if v, ok := def["ToleratedFailurePercentagePath"]; ok {
		st.toleratedPctPath = c.refPath(sp+".ToleratedFailurePercentagePath", v)
	}
	if v, ok := def["ItemReader"]; ok {
		st.reader = c.itemReader(sp+".ItemReader", v)
	}
	if v, ok := def["ItemBatcher"]; ok {
		st.batcher = c.batcher(sp+".ItemBatcher", v)
	}
	st.resultWriter = def["ResultWriter"]
	st.label, _ = def["Label"].(string)
}

// parseTimestamp accepts the RFC 3339 forms AWS accepts (upper-case T and Z,
// optional fractional seconds, numeric offsets).
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// compileIntrinsic parses an intrinsic and pre-compiles its path arguments.
func (c *compiler) compileIntrinsic(path, src string) *intrinsic.Expr {
	e, err := intrinsic.Parse(src)
	if err != nil {
		c.errf(path, "%v", err)
		return nil
	}
	for _, p := range e.Paths() {
		ps := strings.TrimPrefix(p, "$")
		if strings.HasPrefix(p, "$$") {
			ps = strings.TrimPrefix(p, "$$")
		}
		if _, err := c.paths.get("$" + ps); err != nil {
			c.errf(path, "%v", err)
		}
	}
	return e
}

// batcher is a Map's ItemBatcher: iterations get {"Items": [...],
// "BatchInput": ...} instead of single items.
type batcher struct {
	maxItems     int
	maxItemsPath *jsonpath.Path
	maxBytes     int
	maxBytesPath *jsonpath.Path
	batchInput   *template
}

func (c *compiler) batcher(path string, v any) *batcher {
	m, ok := asMap(v)
	if !ok {
		c.errf(path, "ItemBatcher must be an object")
		return nil
	}
	b := &batcher{}
	for k, val := range m {
		switch k {
		case "MaxItemsPerBatch":
			b.maxItems, _ = c.posInt(path+"."+k, val)
		case "MaxItemsPerBatchPath":
			b.maxItemsPath = c.refPath(path+"."+k, val)
		case "MaxInputBytesPerBatch":
			b.maxBytes, _ = c.posInt(path+"."+k, val)
		case "MaxInputBytesPerBatchPath":
			b.maxBytesPath = c.refPath(path+"."+k, val)
		case "BatchInput":
			b.batchInput = c.template(path+"."+k, val)
		default:
			c.errf(path+"."+k, "field %q is not allowed in ItemBatcher", k)
		}
	}
	return b
}

// asMap gives the compiler a keyed view of a definition object. Only the
// view is a map: the member values stay ordered values, so the templates and
// literals below keep their document order.
func asMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case *jsonv.Object:
		m := make(map[string]any, t.Len())
		for _, mem := range t.Members() {
			m[mem.Key] = mem.Value
		}
		return m, true
	case map[string]any:
		return t, true
	}
	return nil, false
}
