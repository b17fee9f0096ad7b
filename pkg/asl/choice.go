package asl

import (
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
)

type opKind uint8

const (
	opAnd opKind = iota + 1
	opOr
	opNot
	opCompare
)

type valueType uint8

const (
	vtString valueType = iota + 1
	vtNumber
	vtBoolean
	vtTimestamp
	vtTest // IsNull, IsPresent, ...
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota + 1
	cmpLt
	cmpGt
	cmpLte
	cmpGte
	cmpMatches
	isNull
	isPresent
	isNumeric
	isString
	isBoolean
	isTimestamp
)

type comparator struct {
	vt valueType
	op cmpOp
}

var comparators = map[string]comparator{
	"StringEquals": {vtString, cmpEq}, "StringLessThan": {vtString, cmpLt}, "StringGreaterThan": {vtString, cmpGt},
	"StringLessThanEquals": {vtString, cmpLte}, "StringGreaterThanEquals": {vtString, cmpGte}, "StringMatches": {vtString, cmpMatches},
	"NumericEquals": {vtNumber, cmpEq}, "NumericLessThan": {vtNumber, cmpLt}, "NumericGreaterThan": {vtNumber, cmpGt},
	"NumericLessThanEquals": {vtNumber, cmpLte}, "NumericGreaterThanEquals": {vtNumber, cmpGte},
	"BooleanEquals":   {vtBoolean, cmpEq},
	"TimestampEquals": {vtTimestamp, cmpEq}, "TimestampLessThan": {vtTimestamp, cmpLt}, "TimestampGreaterThan": {vtTimestamp, cmpGt},
	"TimestampLessThanEquals": {vtTimestamp, cmpLte}, "TimestampGreaterThanEquals": {vtTimestamp, cmpGte},
	"IsNull": {vtTest, isNull}, "IsPresent": {vtTest, isPresent}, "IsNumeric": {vtTest, isNumeric},
	"IsString": {vtTest, isString}, "IsBoolean": {vtTest, isBoolean}, "IsTimestamp": {vtTest, isTimestamp},
}

// choiceRule is a compiled Choice rule or nested boolean expression.
type choiceRule struct {
	op       opKind
	subs     []*choiceRule
	variable *jsonpath.Path
	varSrc   string
	varCtx   bool
	cmp      comparator
	operator string
	// the literal operand, or a path for the ...Path variants
	str      string
	num      float64
	boolean  bool
	ts       time.Time
	pattern  []matchPart
	operand  *jsonpath.Path
	operSrc  string
	operCtx  bool
	next     *state
	nextName string
}

func (c *compiler) choiceState(sp string, st *state, def fields) {
	rules, ok := def.at("Choices").([]any)
	if !ok || len(rules) == 0 {
		c.errf(sp+".Choices", "Choices must be a non-empty array")
		return
	}
	for i, r := range rules {
		rp := fmt.Sprintf("%s.Choices[%d]", sp, i)
		m, ok := asMap(r)
		if !ok {
			c.errf(rp, "a Choice rule must be an object")
			continue
		}
		rule := c.choiceRule(rp, m, true)
		if rule != nil {
			st.choices = append(st.choices, rule)
		}
	}
	if d, ok := def.get("Default"); ok {
		if _, ok := d.(string); !ok {
			c.errf(sp+".Default", "Default must be a state name")
		}
	}
}

func (c *compiler) choiceRule(rp string, m fields, top bool) *choiceRule {
	r := &choiceRule{}
	if next, ok := m.get("Next"); ok {
		if !top {
			c.errf(rp+".Next", "nested Choice rules cannot have Next")
		}
		s, ok := next.(string)
		if !ok {
			c.errf(rp+".Next", "Next must be a state name")
		}
		r.nextName = s
	} else if top {
		c.errf(rp, "a Choice rule needs Next")
	}
	n := 0
	for _, mem := range m {
		k, v := mem.Key, mem.Value
		switch k {
		case "Next", "Comment", "Variable":
			continue
		case "And", "Or":
			n++
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				c.errf(rp+"."+k, "%s must be a non-empty array of rules", k)
				continue
			}
			r.op = opAnd
			if k == "Or" {
				r.op = opOr
			}
			for i, s := range list {
				sm, ok := asMap(s)
				if !ok {
					c.errf(fmt.Sprintf("%s.%s[%d]", rp, k, i), "a rule must be an object")
					continue
				}
				if sub := c.choiceRule(fmt.Sprintf("%s.%s[%d]", rp, k, i), sm, false); sub != nil {
					r.subs = append(r.subs, sub)
				}
			}
		case "Not":
			n++
			r.op = opNot
			sm, ok := asMap(v)
			if !ok {
				c.errf(rp+".Not", "Not must be a rule object")
				continue
			}
			if sub := c.choiceRule(rp+".Not", sm, false); sub != nil {
				r.subs = []*choiceRule{sub}
			}
		default:
			name := strings.TrimSuffix(k, "Path")
			cmp, ok := comparators[name]
			if !ok || (name != k && cmp.vt == vtTest) {
				c.errf(rp+"."+k, "unknown Choice operator %q", k)
				continue
			}
			n++
			r.op, r.cmp, r.operator = opCompare, cmp, k
			if name != k {
				s, ok := v.(string)
				if !ok {
					c.errf(rp+"."+k, "must be a path")
					continue
				}
				r.operSrc = s
				r.operand, r.operCtx = c.choicePath(rp+"."+k, s)
				continue
			}
			c.choiceOperand(rp+"."+k, r, v)
		}
	}
	if n != 1 {
		c.errf(rp, "a Choice rule needs exactly one comparison or And/Or/Not")
		return nil
	}
	if r.op == opCompare {
		v, ok := m.at("Variable").(string)
		if !ok {
			c.errf(rp+".Variable", "a comparison needs a Variable path")
			return nil
		}
		r.varSrc = v
		r.variable, r.varCtx = c.choicePath(rp+".Variable", v)
	} else if _, ok := m.get("Variable"); ok {
		c.errf(rp+".Variable", "Variable is not allowed with And/Or/Not")
	}
	return r
}

func (c *compiler) choicePath(path, s string) (*jsonpath.Path, bool) {
	ctx := strings.HasPrefix(s, "$$")
	src := s
	if ctx {
		src = s[1:]
	}
	p, err := c.compilePath(src)
	if err != nil {
		c.errf(path, "%v", err)
		return nil, ctx
	}
	return p, ctx
}

func (c *compiler) choiceOperand(path string, r *choiceRule, v any) {
	switch r.cmp.vt {
	case vtString:
		s, ok := v.(string)
		if !ok {
			c.errf(path, "must be a string")
		}
		r.str = s
		if r.cmp.op == cmpMatches {
			r.pattern = compilePattern(s)
		}
	case vtNumber:
		f, ok := v.(float64)
		if !ok {
			c.errf(path, "must be a number")
		}
		r.num = f
	case vtBoolean, vtTest:
		b, ok := v.(bool)
		if !ok {
			c.errf(path, "must be a boolean")
		}
		r.boolean = b
	case vtTimestamp:
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			c.errf(path, "must be an RFC 3339 timestamp")
		}
		r.ts = t
	}
}

// eval evaluates a rule against the state's effective input.
func (r *choiceRule) eval(f *frame, input any) (bool, *Error) {
	switch r.op {
	case opAnd:
		for _, s := range r.subs {
			ok, err := s.eval(f, input)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case opOr:
		for _, s := range r.subs {
			ok, err := s.eval(f, input)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case opNot:
		ok, err := r.subs[0].eval(f, input)
		return !ok, err
	}
	root := input
	if r.varCtx {
		root = f.contextObject()
	}
	v, err := r.variable.Get(root)
	present := err == nil
	if r.cmp.op == isPresent {
		return present == r.boolean, nil
	}
	if !present {
		return false, errorf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.varSrc)
	}
	if r.cmp.vt == vtTest {
		var is bool
		switch r.cmp.op {
		case isNull:
			is = v == nil
		case isNumeric:
			_, is = v.(float64)
		case isString:
			_, is = v.(string)
		case isBoolean:
			_, is = v.(bool)
		case isTimestamp:
			s, ok := v.(string)
			if ok {
				_, is = parseTimestamp(s)
			}
		}
		return is == r.boolean, nil
	}
	// The operand: a literal, or the value at a path.
	str, num, boolean, ts := r.str, r.num, r.boolean, r.ts
	if r.operand != nil {
		oroot := input
		if r.operCtx {
			oroot = f.contextObject()
		}
		ov, err := r.operand.Get(oroot)
		if err != nil {
			return false, errorf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.operSrc)
		}
		var ok bool
		switch r.cmp.vt {
		case vtString:
			str, ok = ov.(string)
		case vtNumber:
			num, ok = ov.(float64)
		case vtBoolean:
			boolean, ok = ov.(bool)
		case vtTimestamp:
			s, isStr := ov.(string)
			if isStr {
				ts, ok = parseTimestamp(s)
			}
		}
		if !ok {
			return false, nil
		}
	}
	switch r.cmp.vt {
	case vtString:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		if r.cmp.op == cmpMatches {
			return matchPattern(r.pattern, s), nil
		}
		return order(r.cmp.op, strings.Compare(s, str)), nil
	case vtNumber:
		n, ok := v.(float64)
		if !ok {
			return false, nil
		}
		c := 0
		if n < num {
			c = -1
		} else if n > num {
			c = 1
		}
		return order(r.cmp.op, c), nil
	case vtBoolean:
		b, ok := v.(bool)
		return ok && b == boolean, nil
	case vtTimestamp:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return false, nil
		}
		return order(r.cmp.op, t.Compare(ts)), nil
	}
	return false, nil
}

func order(op cmpOp, c int) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpLt:
		return c < 0
	case cmpGt:
		return c > 0
	case cmpLte:
		return c <= 0
	case cmpGte:
		return c >= 0
	}
	return false
}

// StringMatches patterns: '*' matches any run of characters, "\*" a literal
// star and "\\" a literal backslash.
type matchPart struct {
	star bool
	lit  string
}

func compilePattern(p string) []matchPart {
	var parts []matchPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, matchPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\'):
			lit.WriteByte(p[i+1])
			i++
		case c == '*':
			flush()
			parts = append(parts, matchPart{star: true})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return parts
}

func matchPattern(parts []matchPart, s string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	p := parts[0]
	if !p.star {
		if !strings.HasPrefix(s, p.lit) {
			return false
		}
		return matchPattern(parts[1:], s[len(p.lit):])
	}
	rest := parts[1:]
	if len(rest) == 0 {
		return true
	}
	for i := 0; i <= len(s); i++ {
		if matchPattern(rest, s[i:]) {
			return true
		}
	}
	return false
}
