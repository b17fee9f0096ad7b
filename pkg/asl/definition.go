package asl

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

// StateMachine is a compiled definition. It is immutable and safe for
// concurrent use: start any number of executions from it.
type StateMachine struct {
	src            string // the definition's text
	comment        string
	timeoutSeconds int
	top            *machine
	paths          *pathCache
}

// Comment returns the definition's top-level Comment.
func (sm *StateMachine) Comment() string { return sm.comment }

// Definition returns the raw definition the machine was compiled from (a
// copy: the caller may keep or change it).
func (sm *StateMachine) Definition() []byte { return []byte(sm.src) }

// StateNames returns the names of the top-level states, sorted.
func (sm *StateMachine) StateNames() []string {
	names := make([]string, 0, len(sm.top.states))
	for n, st := range sm.top.states {
		if st != nil {
			names = append(names, n)
		}
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
	name      string
	kind      stateKind
	end       bool
	hasResult bool
	next      *state
	nextName  string

	// flow is the state's query language: how input becomes arguments and
	// a result becomes output (JSONPath today; JSONata would be another).
	flow dataFlow
	// jsonPath is flow for JSONPath states (InputPath, Parameters,
	// ResultSelector, ResultPath, OutputPath), kept here to save an
	// allocation.
	jsonPath jsonPathFlow
	result   any
	// handlers is Retry and Catch, nil for a state without either.
	handlers *handlers

	// The fields of the other types, allocated for states of that type
	// only, so a state costs a Pass chain little memory (and the
	// collector little scanning). Their fields are promoted: st.resource
	// reads st.taskSpec.resource.
	*choiceSpec
	*parallelSpec
	*waitSpec
	*failSpec
	*taskSpec
	*mapSpec
}

type handlers struct {
	retry []retrier
	catch []catcher
}

// retriers returns the state's Retry, nil when it has none.
func (st *state) retriers() []retrier {
	if st.handlers == nil {
		return nil
	}
	return st.handlers.retry
}

// catchers returns the state's Catch, nil when it has none.
func (st *state) catchers() []catcher {
	if st.handlers == nil {
		return nil
	}
	return st.handlers.catch
}

type choiceSpec struct {
	choices     []*choiceRule
	defaultNext *state
	defaultName string
	hasDefault  bool
}

type parallelSpec struct {
	branches []*machine
}

type waitSpec struct {
	waitSeconds      float64
	hasWaitSeconds   bool
	waitTimestamp    time.Time
	hasWaitTimestamp bool
	secondsPath      *jsonpath.Path
	timestampPath    *jsonpath.Path
}

type failSpec struct {
	errorName, cause   string
	hasError, hasCause bool
	errorExpr          *valueExpr
	causeExpr          *valueExpr
}

type taskSpec struct {
	resource         string
	res              resource
	timeoutSeconds   float64
	heartbeatSeconds float64
	timeoutPath      *jsonpath.Path
	heartbeatPath    *jsonpath.Path
	hasTimeout       bool
	hasHeartbeat     bool
	credentials      any
}

type mapSpec struct {
	itemsPath          pathField
	itemSelector       *template
	processor          *machine
	processorMode      string
	processorField     string // "ItemProcessor" or "Iterator", for messages
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

type compileConfig struct {
	owned    bool
	maxBytes int
}

// MaxDefinitionBytes is the largest definition Step Functions accepts
// (1 MiB); pass it to MaxDefinitionSize to refuse what AWS refuses.
const MaxDefinitionBytes = validate.MaxDefinitionBytes

// MaxDefinitionSize makes Compile refuse a definition longer than n bytes
// before reading it, as Step Functions refuses one over MaxDefinitionBytes.
// Zero or less means no limit, the default: the engine itself runs
// definitions of any size (benchmarks compile chains of 20,000 states).
func MaxDefinitionSize(n int) CompileOption {
	return func(c *compileConfig) { c.maxBytes = n }
}

// OwnedDefinition hands the definition's bytes over to Compile, which then
// keeps them instead of copying them (the state machine's strings share
// their memory): the caller must never change them afterwards. For a
// one-shot CLI that read the file only to compile it, this saves a copy of
// the whole text.
func OwnedDefinition() CompileOption {
	return func(c *compileConfig) { c.owned = true }
}

// Compile parses and checks a definition (JSONPath query language). Every
// path, template and intrinsic call is compiled here, once. Errors wrap
// ErrInvalidDefinition and join one *DefinitionError per problem.
//
// A definition that could never end is refused: one whose top level, or
// one of whose Parallel branches or Map processors, has no terminal state
// (Succeed, Fail, "End": true) that StartAt leads to. AWS refuses those
// (MISSING_END_STATE); run, such a loop would only stop at a limit
// (ExecutionConfig.MaxHistoryEvents, MaxTransitions). A loop with a way out
// (a Choice whose Default leaves it) compiles.
func Compile(raw []byte, opts ...CompileOption) (*StateMachine, error) {
	var cfg compileConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxBytes > 0 && len(raw) > cfg.maxBytes {
		msg := fmt.Sprintf(validate.MsgTooLarge, len(raw))
		if cfg.maxBytes != MaxDefinitionBytes {
			msg = fmt.Sprintf("definition is %d bytes, more than the limit of %d bytes", len(raw), cfg.maxBytes)
		}
		return nil, errors.Join(ErrInvalidDefinition, &DefinitionError{Msg: msg})
	}
	// Decoded in document order: payload templates and Pass results build
	// objects in the order they are written, as AWS does. The decoded
	// strings share the text's memory, which the machine keeps anyway.
	var src string
	if cfg.owned && len(raw) > 0 {
		src = unsafe.String(&raw[0], len(raw))
	} else {
		src = string(raw)
	}
	c := &compiler{paths: &pathCache{}, compiled: map[string]*jsonpath.Path{}}
	sm := &StateMachine{src: src, paths: c.paths}
	top, states, err := c.decodeTop(strings.TrimPrefix(src, "\xef\xbb\xbf"))
	if err != nil {
		return nil, err
	}
	// Errors in the order they have always come: the top-level fields',
	// then the states', then the transitions'.
	var stateErrs []error
	if states != nil {
		states.sortErrs()
		stateErrs, c.errs = c.errs, nil
	}
	if s, ok := top.at("Comment").(string); ok {
		sm.comment = s
	}
	if ql, ok := top.get("QueryLanguage"); ok && ql != "JSONPath" {
		c.errf("QueryLanguage", "query language %v is not supported (only JSONPath)", ql)
	}
	if v, ok := top.get("TimeoutSeconds"); ok {
		n, ok := c.posInt("TimeoutSeconds", v)
		if ok {
			sm.timeoutSeconds = n
		}
	}
	if states == nil {
		sm.top = c.machine("", top) // reports the missing States
	} else {
		c.errs = append(c.errs, stateErrs...)
		sm.top = states.finish(top)
	}
	if len(c.errs) == 0 {
		// Judged only once everything else is right: until then, a missing
		// end is more likely a consequence of another mistake.
		c.checkEnds("", sm.top)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(append([]error{ErrInvalidDefinition}, c.errs...)...)
	}
	return sm, nil
}

// decodeTop reads the definition's text. The States object, the bulk of
// a definition, is compiled state by state as it is read, each state's
// fields decoded into one reused buffer, so no tree of the whole
// definition is ever built; states is nil when there is no States object.
// top holds the other top-level fields. Only a text that is not one JSON
// object is an error here; the rest are the compiler's.
func (c *compiler) decodeTop(text string) (top fields, states *machineBuilder, err error) {
	in := jsonv.NewStream(text)
	if in.Peek() != '{' {
		if _, err := jsonv.DecodeString(text); err != nil {
			return nil, nil, fmt.Errorf("%w: not JSON: %w", ErrInvalidDefinition, err)
		}
		return nil, nil, fmt.Errorf("%w: the definition must be a JSON object", ErrInvalidDefinition)
	}
	var buf []jsonv.Member
	err = in.Members(func(key string) error {
		if key != "States" || in.Peek() != '{' {
			v, err := in.Value()
			if err != nil {
				return err
			}
			if key == "States" && states != nil {
				// A repeated key keeps its last value: forget the States
				// compiled so far.
				c.errs = c.errs[:states.from]
				states = nil
			}
			top = withMember(top, key, v)
			return nil
		}
		if states != nil {
			c.errs = c.errs[:states.from]
		}
		top = without(top, "States")
		// A guess at the number of states from the text's size (a
		// state takes 100 bytes and more), so the name map does not grow
		// step by step through a large definition.
		states = c.newMachine("", min(len(text)/100, 1<<17))
		return in.Members(func(name string) error {
			if in.Peek() != '{' {
				if _, err := in.Value(); err != nil {
					return err
				}
				states.add(name, nil, false)
				return nil
			}
			buf = buf[:0]
			err := in.Members(func(field string) error {
				v, err := in.Value()
				if err != nil {
					return err
				}
				buf = withMember(buf, field, v)
				return nil
			})
			if err != nil {
				return err
			}
			states.add(name, fields(buf), true)
			return nil
		})
	})
	if err == nil {
		err = in.End()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not JSON: %w", ErrInvalidDefinition, err)
	}
	return top, states, nil
}

// withMember adds a member as jsonv objects do: a repeated key keeps its
// first position and takes the last value.
func withMember(f []jsonv.Member, key string, v any) []jsonv.Member {
	for i := range f {
		if f[i].Key == key {
			f[i].Value = v
			return f
		}
	}
	return append(f, jsonv.Member{Key: key, Value: v})
}

func without(f fields, key string) fields {
	for i := range f {
		if f[i].Key == key {
			return append(f[:i:i], f[i+1:]...)
		}
	}
	return f
}

type compiler struct {
	paths *pathCache
	errs  []error
	// compiled memoises jsonpath.Compile: a definition repeats the same
	// few paths ("$.x", "$.result") over and over, and a compiled path is
	// immutable, so states share one.
	compiled map[string]*jsonpath.Path
	dyns     map[dynKey]*tnode
}

func (c *compiler) errf(path, format string, args ...any) {
	c.errs = append(c.errs, &DefinitionError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// compilePath is jsonpath.Compile through the compiler's memo.
func (c *compiler) compilePath(src string) (*jsonpath.Path, error) {
	if p, ok := c.compiled[src]; ok {
		return p, nil
	}
	p, err := jsonpath.Compile(src)
	if err != nil {
		return nil, err
	}
	c.compiled[src] = p
	return p, nil
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// errSpan is the errors one state produced, c.errs[from:to].
type errSpan struct {
	name     string
	from, to int
}

// machineBuilder compiles the states of one machine as they come, in
// document order, then resolves their transitions (finish).
type machineBuilder struct {
	c      *compiler
	prefix string
	m      *machine
	// order is the states in document order (nil for a state that did
	// not compile), a repeated name at its first position.
	order []namedState
	// spans are the errors of each state, from c.errs[from:] on.
	spans []errSpan
	from  int
}

type namedState struct {
	name string
	st   *state
}

// newMachine starts a machine of about sizeHint states.
func (c *compiler) newMachine(prefix string, sizeHint int) *machineBuilder {
	return &machineBuilder{c: c, prefix: prefix, m: &machine{states: make(map[string]*state, sizeHint)},
		order: make([]namedState, 0, sizeHint), from: len(c.errs)}
}

func (b *machineBuilder) statePath(name string) string {
	return where{base: b.prefix}.add("States").add(name).String()
}

// add compiles the state name (def is its fields; isObject is false when
// it is not an object). A state that does not compile is in the name map
// as nil, so that a repeated name is found with the one map write every
// state costs.
func (b *machineBuilder) add(name string, def fields, isObject bool) {
	c := b.c
	before := len(c.errs)
	var st *state
	if !isObject {
		c.errf(b.statePath(name), "a state must be an object")
	} else {
		if len(name) > 80 {
			c.errf(b.statePath(name), "state names must be at most 80 characters")
		}
		st = c.state(b.prefix, name, def)
	}
	n := len(b.m.states)
	b.m.states[name] = st
	if len(b.m.states) == n {
		// A repeated name: the last definition counts, at the first
		// position, as for any JSON object; the earlier one's errors go.
		b.spans = slices.DeleteFunc(b.spans, func(s errSpan) bool { return s.name == name })
		if len(c.errs) > before {
			b.spans = append(b.spans, errSpan{name, before, len(c.errs)})
		}
		for i := range b.order {
			if b.order[i].name == name {
				b.order[i].st = st
			}
		}
		return
	}
	if len(c.errs) > before {
		b.spans = append(b.spans, errSpan{name, before, len(c.errs)})
	}
	b.order = append(b.order, namedState{name, st})
}

// sortErrs puts the states' errors in state-name order: states are
// compiled in document order, and errors have always been reported by
// state name, whatever the order of the document.
func (b *machineBuilder) sortErrs() {
	c := b.c
	if len(c.errs) == b.from {
		return
	}
	tail := slices.Clone(c.errs[b.from:])
	spans := slices.Clone(b.spans)
	slices.SortStableFunc(spans, func(x, y errSpan) int { return strings.Compare(x.name, y.name) })
	out := c.errs[:b.from]
	for _, s := range spans {
		out = append(out, tail[s.from-b.from:s.to-b.from]...)
	}
	c.errs = out
	b.spans = nil
}

// finish resolves the transitions (Next cannot leave a branch or
// processor) and StartAt, from def, the machine's own fields.
func (b *machineBuilder) finish(def fields) *machine {
	c, m := b.c, b.m
	if len(b.order) == 0 {
		c.errf(join(b.prefix, "States"), "States must not be empty")
	}
	resolve := func(path where, name string) *state {
		st := m.states[name]
		if st == nil {
			c.errf(path.String(), "no state named %q", name)
		}
		return st
	}
	b.from = len(c.errs)
	for i, ns := range b.order {
		st := ns.st
		if st == nil {
			continue
		}
		before := len(c.errs)
		w := func() where { return where{base: b.prefix}.add("States").add(ns.name) }
		switch {
		case st.nextName == "":
		case i+1 < len(b.order) && b.order[i+1].name == st.nextName && b.order[i+1].st != nil:
			st.next = b.order[i+1].st // the usual case, Next is the state written after
		default:
			st.next = resolve(w().add("Next"), st.nextName)
		}
		for i, ct := range st.catchers() {
			st.handlers.catch[i].next = resolve(fixed(fmt.Sprintf("%s.Catch[%d].Next", w(), i)), ct.nextName)
		}
		if st.kind == kindChoice {
			for i, r := range st.choices {
				r.next = resolve(fixed(fmt.Sprintf("%s.Choices[%d].Next", w(), i)), r.nextName)
			}
			if st.hasDefault {
				st.defaultNext = resolve(w().add("Default"), st.defaultName)
			}
		}
		if len(c.errs) > before {
			b.spans = append(b.spans, errSpan{ns.name, before, len(c.errs)})
		}
	}
	b.sortErrs()
	startRaw, has := def.get("StartAt")
	start, ok := startRaw.(string)
	switch {
	case !has:
		c.errf(join(b.prefix, "StartAt"), validate.MsgRequired)
	case !ok:
		c.errf(join(b.prefix, "StartAt"), "must be a string, got %s", jsonKind(startRaw))
	default:
		m.startAt = m.states[start]
		if m.startAt == nil {
			c.errf(join(b.prefix, "StartAt"), "no state named %q", start)
		}
	}
	return m
}

// machine compiles a machine held in a decoded object: a Parallel branch,
// a Map processor, or a definition without a States object.
func (c *compiler) machine(prefix string, def fields) *machine {
	statesRaw, ok := asMap(def.at("States"))
	if !ok {
		c.errf(join(prefix, "States"), "States must be an object of states")
		return &machine{states: map[string]*state{}}
	}
	b := c.newMachine(prefix, len(statesRaw))
	for _, mem := range statesRaw {
		sdef, ok := asMap(mem.Value)
		b.add(mem.Key, sdef, ok)
	}
	b.sortErrs()
	return b.finish(def)
}

// allowed fields per state type (beyond Type, Comment and QueryLanguage).
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

// fieldKinds returns, for a field of a state, a bit (1<<kind) per state
// type that allows it: allowedFields turned around, as a switch, which
// the compiler calls for every field of every state. TestFieldKinds keeps
// it in step with allowedFields.
func fieldKinds(field string) uint16 {
	switch field {
	case "Type", "Comment", "QueryLanguage":
		return allKinds
	case "Next", "End":
		return 1<<kindPass | 1<<kindTask | 1<<kindWait | 1<<kindParallel | 1<<kindMap
	case "InputPath", "OutputPath":
		return 1<<kindPass | 1<<kindTask | 1<<kindChoice | 1<<kindWait | 1<<kindSucceed | 1<<kindParallel | 1<<kindMap
	case "ResultPath", "Parameters":
		return 1<<kindPass | 1<<kindTask | 1<<kindParallel | 1<<kindMap
	case "Result":
		return 1 << kindPass
	case "ResultSelector", "Retry", "Catch":
		return 1<<kindTask | 1<<kindParallel | 1<<kindMap
	case "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials":
		return 1 << kindTask
	case "Choices", "Default":
		return 1 << kindChoice
	case "Seconds", "Timestamp", "SecondsPath", "TimestampPath":
		return 1 << kindWait
	case "Error", "Cause", "ErrorPath", "CausePath":
		return 1 << kindFail
	case "Branches":
		return 1 << kindParallel
	case "ItemsPath", "ItemSelector", "Iterator", "ItemProcessor", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailurePercentage", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "ItemReader", "ItemBatcher", "ResultWriter", "Label":
		return 1 << kindMap
	}
	return 0
}

const allKinds = 1<<kindPass | 1<<kindTask | 1<<kindChoice | 1<<kindWait | 1<<kindSucceed | 1<<kindFail | 1<<kindParallel | 1<<kindMap

func (c *compiler) state(prefix, name string, def fields) *state {
	w := where{base: prefix, parts: [maxParts]string{"States", name}, n: 2}
	sp := w.String
	at := w.add
	var cf commonFields
	for _, mem := range def {
		if i := commonIndex(mem.Key); i >= 0 {
			cf.v[i], cf.has = mem.Value, cf.has|1<<i
		}
	}
	typ, _ := cf.v[fType].(string)
	kind, ok := kindNames[typ]
	if !ok {
		c.errf(sp()+".Type", "unknown state type %q", cf.v[fType])
		return nil
	}
	st := &state{name: name, kind: kind}
	for _, mem := range def {
		if fieldKinds(mem.Key)&(1<<kind) == 0 {
			c.errf(sp()+"."+mem.Key, "field %q is not allowed in a %s state", mem.Key, typ)
		}
	}
	if ql, ok := cf.get(fQueryLanguage); ok && ql != "JSONPath" {
		c.errf(sp()+".QueryLanguage", "query language %v is not supported (only JSONPath)", ql)
	}

	// Transitions.
	switch kind {
	case kindChoice, kindSucceed, kindFail:
	default:
		next, hasNext := cf.get(fNext)
		end, _ := cf.v[fEnd].(bool)
		switch {
		case hasNext && end:
			c.errf(sp(), "a state cannot have both Next and End")
		case hasNext:
			s, ok := next.(string)
			if !ok || s == "" {
				c.errf(sp()+".Next", "Next must be a state name")
			}
			st.nextName = s
		case end:
			st.end = true
		default:
			c.errf(sp(), "a %s state needs Next or End", typ)
		}
	}

	jp := &st.jsonPath
	if v, ok := cf.get(fInputPath); ok {
		jp.inputPath = c.pathValue(&w, "InputPath", v, false)
	}
	if v, ok := cf.get(fOutputPath); ok {
		jp.outputPath = c.pathValue(&w, "OutputPath", v, false)
	}
	if v, ok := cf.get(fResultPath); ok {
		jp.resultPath = c.pathValue(&w, "ResultPath", v, true)
	}
	if v, ok := cf.get(fParameters); ok {
		jp.parameters = c.template(at("Parameters"), v)
	}
	if v, ok := cf.get(fResultSelector); ok {
		jp.resultSelector = c.template(at("ResultSelector"), v)
	}
	if v, ok := cf.get(fResult); ok {
		st.result, st.hasResult = v, true
	}
	if v := cf.v[fRetry]; v != nil {
		if st.handlers == nil {
			st.handlers = &handlers{}
		}
		st.handlers.retry = c.retriers(sp()+".Retry", v)
	}
	if v := cf.v[fCatch]; v != nil {
		if st.handlers == nil {
			st.handlers = &handlers{}
		}
		st.handlers.catch = c.catchers(sp()+".Catch", v)
	}

	switch kind {
	case kindChoice:
		st.choiceSpec = &choiceSpec{}
		c.choiceState(sp(), st, def)
		if dn, ok := def.at("Default").(string); ok {
			st.defaultName, st.hasDefault = dn, true
		}
	case kindWait:
		st.waitSpec = &waitSpec{}
		c.waitState(sp(), st, def)
	case kindFail:
		st.failSpec = &failSpec{}
		c.failState(sp(), st, def)
	case kindTask:
		st.taskSpec = &taskSpec{}
		c.taskState(sp(), st, def)
	case kindParallel:
		st.parallelSpec = &parallelSpec{}
		branches, ok := def.at("Branches").([]any)
		if !ok || len(branches) == 0 {
			c.errf(sp()+".Branches", "Branches must be a non-empty array")
		}
		for i, b := range branches {
			bp := fmt.Sprintf("%s.Branches[%d]", sp(), i)
			bm, ok := asMap(b)
			if !ok {
				c.errf(bp, "a branch must be an object")
				continue
			}
			st.branches = append(st.branches, c.machine(bp, bm))
		}
	case kindMap:
		st.mapSpec = &mapSpec{}
		c.mapState(sp(), st, def)
	}
	st.flow = jp
	return st
}

// where locates an element of a definition for error messages: base, then
// up to maxParts more names joined by dots. String builds the path, which
// only an error needs, so compiling a valid definition builds none.
type where struct {
	base  string
	parts [maxParts]string
	n     int
}

const maxParts = 4

// The fields of a state that every type may have, which state() finds in
// one pass over the state's members instead of a scan each.
const (
	fType = iota
	fQueryLanguage
	fNext
	fEnd
	fInputPath
	fOutputPath
	fResultPath
	fParameters
	fResultSelector
	fResult
	fRetry
	fCatch
	numCommonFields
)

type commonFields struct {
	v   [numCommonFields]any
	has uint16
}

func (cf *commonFields) get(i int) (any, bool) { return cf.v[i], cf.has&(1<<i) != 0 }

func commonIndex(key string) int {
	switch key {
	case "Type":
		return fType
	case "QueryLanguage":
		return fQueryLanguage
	case "Next":
		return fNext
	case "End":
		return fEnd
	case "InputPath":
		return fInputPath
	case "OutputPath":
		return fOutputPath
	case "ResultPath":
		return fResultPath
	case "Parameters":
		return fParameters
	case "ResultSelector":
		return fResultSelector
	case "Result":
		return fResult
	case "Retry":
		return fRetry
	case "Catch":
		return fCatch
	}
	return -1
}

// fixed is the location of an element whose path is already built.
func fixed(path string) where { return where{base: path} }

// add returns the location of part inside w.
func (w where) add(part string) where {
	if w.n == maxParts {
		w = where{base: w.String()}
	}
	w.parts[w.n] = part
	w.n++
	return w
}

// String returns the path, as "States.A.Parameters.x".
func (w where) String() string {
	s := w.base
	for _, p := range w.parts[:w.n] {
		s = join(s, p)
	}
	return s
}

// pathField compiles the InputPath, OutputPath, ResultPath or ItemsPath
// field of the object at parent.
func (c *compiler) pathField(parent *where, def fields, field string, reference bool) pathField {
	v, ok := def.get(field)
	if !ok {
		return pathField{}
	}
	return c.pathValue(parent, field, v, reference)
}

// pathValue compiles v, the value of such a field.
func (c *compiler) pathValue(parent *where, field string, v any, reference bool) pathField {
	path := parent.add(field)
	if v == nil {
		return pathField{null: true}
	}
	s, ok := v.(string)
	if !ok {
		c.errf(path.String(), "must be a string path or null")
		return pathField{}
	}
	p, err := c.compilePath(s)
	if err != nil {
		c.errf(path.String(), "%v", err)
		return pathField{}
	}
	if reference && !p.IsReference() {
		c.errf(path.String(), "%q is not a reference path", s)
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
	p, err := c.compilePath(s)
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
		r.errorEquals = c.errorEquals(rp+".ErrorEquals", m.at("ErrorEquals"))
		if containsAll(r.errorEquals) && i != len(list)-1 {
			c.errf(rp, "a retrier with States.ALL must be the last one")
		}
		for _, mem := range m {
			k, val := mem.Key, mem.Value
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
		ct := catcher{errorEquals: c.errorEquals(cp+".ErrorEquals", m.at("ErrorEquals"))}
		if containsAll(ct.errorEquals) && i != len(list)-1 {
			c.errf(cp, "a catcher with States.ALL must be the last one")
		}
		if s, ok := m.at("Next").(string); ok {
			ct.nextName = s
		} else {
			c.errf(cp+".Next", "a catcher needs Next")
		}
		cw := fixed(cp)
		ct.resultPath = c.pathField(&cw, m, "ResultPath", true)
		for _, mem := range m {
			k := mem.Key
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

func (c *compiler) waitState(sp string, st *state, def fields) {
	n := 0
	if v, ok := def.get("Seconds"); ok {
		n++
		if s, ok := c.posInt(sp+".Seconds", v); ok {
			st.waitSeconds, st.hasWaitSeconds = float64(s), true
		}
	}
	if v, ok := def.get("Timestamp"); ok {
		n++
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			c.errf(sp+".Timestamp", "must be an RFC 3339 timestamp")
		}
		st.waitTimestamp, st.hasWaitTimestamp = t, true
	}
	if v, ok := def.get("SecondsPath"); ok {
		n++
		st.secondsPath = c.refPath(sp+".SecondsPath", v)
	}
	if v, ok := def.get("TimestampPath"); ok {
		n++
		st.timestampPath = c.refPath(sp+".TimestampPath", v)
	}
	if n != 1 {
		c.errf(sp, "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath")
	}
}

func (c *compiler) failState(sp string, st *state, def fields) {
	if v, ok := def.get("Error"); ok {
		s, ok := v.(string)
		if !ok {
			c.errf(sp+".Error", "must be a string")
		}
		st.errorName, st.hasError = s, true
	}
	if v, ok := def.get("Cause"); ok {
		s, ok := v.(string)
		if !ok {
			c.errf(sp+".Cause", "must be a string")
		}
		st.cause, st.hasCause = s, true
	}
	if v, ok := def.get("ErrorPath"); ok {
		if st.hasError {
			c.errf(sp, "Error and ErrorPath are exclusive")
		}
		st.errorExpr = c.valueExpr(sp+".ErrorPath", "ErrorPath", v)
	}
	if v, ok := def.get("CausePath"); ok {
		if st.hasCause {
			c.errf(sp, "Cause and CausePath are exclusive")
		}
		st.causeExpr = c.valueExpr(sp+".CausePath", "CausePath", v)
	}
}

func (c *compiler) taskState(sp string, st *state, def fields) {
	r, ok := def.at("Resource").(string)
	if !ok || r == "" {
		c.errf(sp+".Resource", "a Task needs a Resource ARN")
	}
	st.resource = r
	st.res = parseResource(r)
	if v, ok := def.get("TimeoutSeconds"); ok {
		if n, ok := c.posInt(sp+".TimeoutSeconds", v); ok {
			if n < 1 {
				c.errf(sp+".TimeoutSeconds", "must be positive")
			}
			st.timeoutSeconds, st.hasTimeout = float64(n), true
		}
	}
	if v, ok := def.get("HeartbeatSeconds"); ok {
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
	if v, ok := def.get("TimeoutSecondsPath"); ok {
		if st.hasTimeout {
			c.errf(sp, "TimeoutSeconds and TimeoutSecondsPath are exclusive")
		}
		st.timeoutPath = c.refPath(sp+".TimeoutSecondsPath", v)
	}
	if v, ok := def.get("HeartbeatSecondsPath"); ok {
		if st.hasHeartbeat {
			c.errf(sp, "HeartbeatSeconds and HeartbeatSecondsPath are exclusive")
		}
		st.heartbeatPath = c.refPath(sp+".HeartbeatSecondsPath", v)
	}
	st.credentials = def.at("Credentials")
}

func (c *compiler) mapState(sp string, st *state, def fields) {
	sw := fixed(sp)
	st.itemsPath = c.pathField(&sw, def, "ItemsPath", false)
	if v, ok := def.get("ItemSelector"); ok {
		if st.jsonPath.parameters != nil {
			c.errf(sp, "ItemSelector and Parameters are exclusive")
		}
		st.itemSelector = c.template(fixed(sp+".ItemSelector"), v)
	} else if st.jsonPath.parameters != nil {
		// Legacy form: Parameters of a Map state select each item.
		st.itemSelector, st.jsonPath.parameters = st.jsonPath.parameters, nil
	}
	proc, hasProc := asMap(def.at("ItemProcessor"))
	iter, hasIter := asMap(def.at("Iterator"))
	switch {
	case hasProc && hasIter:
		c.errf(sp, "ItemProcessor and Iterator are exclusive")
	case hasProc:
		st.processorField = "ItemProcessor"
		st.processor = c.machine(sp+".ItemProcessor", proc)
		if pc, ok := asMap(proc.at("ProcessorConfig")); ok {
			st.processorMode, _ = pc.at("Mode").(string)
		}
	case hasIter:
		st.processorField = "Iterator"
		st.processor = c.machine(sp+".Iterator", iter)
	default:
		c.errf(sp, "a Map state needs ItemProcessor (or Iterator)")
	}
	if v, ok := def.get("MaxConcurrency"); ok {
		if n, ok := c.posInt(sp+".MaxConcurrency", v); ok {
			st.maxConcurrency = n
		}
	}
	if v, ok := def.get("MaxConcurrencyPath"); ok {
		st.maxConcurrencyPath = c.refPath(sp+".MaxConcurrencyPath", v)
	}
	if v, ok := def.get("ToleratedFailureCount"); ok {
		if n, ok := c.posInt(sp+".ToleratedFailureCount", v); ok {
			st.toleratedCount, st.hasToleratedCount = float64(n), true
		}
	}
	if v, ok := def.get("ToleratedFailurePercentage"); ok {
		if f, ok := c.number(sp+".ToleratedFailurePercentage", v); ok {
			if f < 0 || f > 100 {
				c.errf(sp+".ToleratedFailurePercentage", "must be between 0 and 100")
			}
			st.toleratedPercent, st.hasToleratedPct = f, true
		}
	}
	if v, ok := def.get("ToleratedFailureCountPath"); ok {
		st.toleratedCountPath = c.refPath(sp+".ToleratedFailureCountPath", v)
	}
	if v, ok := def.get("ToleratedFailurePercentagePath"); ok {
		st.toleratedPctPath = c.refPath(sp+".ToleratedFailurePercentagePath", v)
	}
	if v, ok := def.get("ItemReader"); ok {
		st.reader = c.itemReader(sp+".ItemReader", v)
	}
	if v, ok := def.get("ItemBatcher"); ok {
		st.batcher = c.batcher(sp+".ItemBatcher", v)
	}
	st.resultWriter = def.at("ResultWriter")
	st.label, _ = def.at("Label").(string)
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
	for _, mem := range m {
		k, val := mem.Key, mem.Value
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
			b.batchInput = c.template(fixed(path+"."+k), val)
		default:
			c.errf(path+"."+k, "field %q is not allowed in ItemBatcher", k)
		}
	}
	return b
}

// fields is the compiler's view of a definition object: its members in
// document order (keys unique), looked up by a linear scan, which for the
// handful of fields of a state or rule beats building a map.
type fields []jsonv.Member

// get returns the value of field k and whether there is one.
func (f fields) get(k string) (any, bool) {
	for i := range f {
		if f[i].Key == k {
			return f[i].Value, true
		}
	}
	return nil, false
}

// at returns the value of field k, nil when there is none.
func (f fields) at(k string) any {
	v, _ := f.get(k)
	return v
}

// asMap gives the compiler a view of a definition object. The member
// values stay ordered values, so the templates and literals keep their
// document order. A plain map (from callers building definitions in Go)
// is viewed with its keys sorted.
func asMap(v any) (fields, bool) {
	switch t := v.(type) {
	case *jsonv.Object:
		return fields(t.Members()), true
	case map[string]any:
		o, _ := jsonv.FromAny(t).(*jsonv.Object)
		return fields(o.Members()), true
	}
	return nil, false
}
