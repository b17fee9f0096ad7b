package asl

import (
	"fmt"
	"sort"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

// checkEnds refuses a machine, Parallel branch or Map processor that no
// path from its StartAt can end (see Compile), then looks inside its
// branches and processors. prefix locates the machine ("" for the top
// level); the messages are validate's, so `sfn run` and `sfn validate`
// say the same thing.
func (c *compiler) checkEnds(prefix string, m *machine) {
	if m == nil || m.startAt == nil {
		return
	}
	statesPath := join(prefix, "States")
	// Reachability over every transition: Next, Catch, Choice rules and
	// Default. A visited set sized for the machine: a chain of 20,000
	// states costs one pass over them.
	seen := make(map[*state]bool, len(m.states))
	stack := []*state{m.startAt}
	seen[m.startAt] = true
	reachedEnd := false
	visit := func(st *state) {
		if st != nil && !seen[st] {
			seen[st] = true
			stack = append(stack, st)
		}
	}
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if st.terminal() {
			reachedEnd = true
		}
		visit(st.next)
		for i := range st.catchers() {
			visit(st.handlers.catch[i].next)
		}
		if st.kind == kindChoice {
			for _, r := range st.choices {
				visit(r.next)
			}
			visit(st.defaultNext)
		}
	}
	if !reachedEnd {
		hasEnd := false
		for _, st := range m.states {
			if st != nil && st.terminal() {
				hasEnd = true
				break
			}
		}
		if hasEnd {
			c.errf(statesPath, validate.MsgTerminalUnreachable, m.startName())
		} else {
			c.errf(statesPath, validate.MsgNoTerminalState)
		}
	}
	// Nested machines, in state-name order as every other error.
	var nested []string
	for name, st := range m.states {
		if st != nil && (st.kind == kindParallel || st.kind == kindMap) {
			nested = append(nested, name)
		}
	}
	sort.Strings(nested)
	for _, name := range nested {
		st := m.states[name]
		sp := statesPath + "." + name
		if st.kind == kindParallel {
			for i, b := range st.branches {
				c.checkEnds(fmt.Sprintf("%s.Branches[%d]", sp, i), b)
			}
			continue
		}
		c.checkEnds(sp+"."+st.processorField, st.processor)
	}
}

// terminal reports whether the state can end its machine.
func (st *state) terminal() bool {
	return st.kind == kindSucceed || st.kind == kindFail || st.end
}

// startName is the name of the machine's StartAt state.
func (m *machine) startName() string { return m.startAt.name }

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
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
	case *jsonv.Object, []jsonv.Member, fields:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
