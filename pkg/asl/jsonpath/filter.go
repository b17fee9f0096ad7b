package jsonpath

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// expr is a compiled filter expression. eval returns a JSON value; filters
// keep an element when the value is truthy.
type expr interface {
	eval(cur, root any) any
}

// missing marks an operand path that selected nothing; it compares unequal
// to everything, including null.
type missingT struct{}

var missing = missingT{}

type litExpr struct{ v any }

func (e litExpr) eval(_, _ any) any { return e.v }

type pathExpr struct {
	fromRoot bool
	path     *Path
}

func (e pathExpr) eval(cur, root any) any {
	base := cur
	if e.fromRoot {
		base = root
	}
	v, err := e.path.Get(base)
	if err != nil {
		return missing
	}
	return v
}

type notExpr struct{ x expr }

func (e notExpr) eval(cur, root any) any { return !truthy(e.x.eval(cur, root)) }

type andExpr struct{ l, r expr }

func (e andExpr) eval(cur, root any) any {
	return truthy(e.l.eval(cur, root)) && truthy(e.r.eval(cur, root))
}

type orExpr struct{ l, r expr }

func (e orExpr) eval(cur, root any) any {
	return truthy(e.l.eval(cur, root)) || truthy(e.r.eval(cur, root))
}

type cmpExpr struct {
	op   string
	l, r expr
	re   *regexp.Regexp
}

func (e cmpExpr) eval(cur, root any) any {
	l := e.l.eval(cur, root)
	if e.op == "=~" {
		s, ok := l.(string)
		return ok && e.re.MatchString(s)
	}
	r := e.r.eval(cur, root)
	if l == missing || r == missing {
		return e.op == "!=" && !(l == missing && r == missing)
	}
	switch e.op {
	case "==":
		return Equal(l, r)
	case "!=":
		return !Equal(l, r)
	case "in", "nin":
		a, ok := r.([]any)
		found := false
		if ok {
			for _, x := range a {
				if Equal(l, x) {
					found = true
					break
				}
			}
		}
		if e.op == "in" {
			return found
		}
		return ok && !found
	}
	c, ok := compare(l, r)
	if !ok {
		return false
	}
	switch e.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// truthy: an existence test (@.x) keeps elements where the value exists;
// booleans are themselves.
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case missingT:
		return false
	}
	return true
}

func compare(l, r any) (int, bool) {
	switch a := l.(type) {
	case float64:
		b, ok := r.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	case string:
		b, ok := r.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(a, b), true
	}
	return 0, false
}

// Equal reports whether two JSON values are equal by value (numbers by
// numeric value, objects regardless of key order; plain map[string]any
// objects compare equal to *jsonv.Object ones with the same members).
func Equal(a, b any) bool { return jsonv.Equal(a, b) }

// ---- filter parser: or := and ('||' and)*; and := unary ('&&' unary)*;
// unary := '!' unary | '(' or ')' | operand [op operand] ----

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (p *parser) parseUnary() (expr, error) {
	p.skipSpace()
	if p.peek() == '!' && !strings.HasPrefix(p.src[p.pos:], "!=") {
		p.pos++
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	if p.peek() == '(' {
		p.pos++
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errf("expected )")
		}
		p.pos++
		return x, nil
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	rest := p.src[p.pos:]
	var op string
	for _, o := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, w := range []string{"in", "nin"} {
			if strings.HasPrefix(rest, w+" ") || strings.HasPrefix(rest, w+"[") {
				op = w
				break
			}
		}
	}
	p.pos += len(op)
	if op == "" {
		return l, nil
	}
	p.skipSpace()
	if op == "=~" {
		re, err := p.parseRegex()
		if err != nil {
			return nil, err
		}
		return cmpExpr{op: op, l: l, re: re}, nil
	}
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	return cmpExpr{op: op, l: l, r: r}, nil
}

func (p *parser) parseRegex() (*regexp.Regexp, error) {
	if p.peek() != '/' {
		return nil, p.errf("expected /regex/ after =~")
	}
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return nil, p.errf("unterminated regex")
		}
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/' {
			b.WriteByte('/')
			p.pos += 2
			continue
		}
		p.pos++
		if c == '/' {
			break
		}
		b.WriteByte(c)
	}
	flags := ""
	for !p.eof() && p.peek() >= 'a' && p.peek() <= 'z' {
		if p.peek() == 'i' {
			flags = "(?i)"
		}
		p.pos++
	}
	re, err := regexp.Compile(flags + b.String())
	if err != nil {
		return nil, p.errf("bad regex: %v", err)
	}
	return re, nil
}

func (p *parser) parseOperand() (expr, error) {
	p.skipSpace()
	c := p.peek()
	switch {
	case c == '@' || c == '$':
		p.pos++
		segs, err := p.parseSegments(true)
		if err != nil {
			return nil, err
		}
		path := &Path{src: "filter operand", segs: segs, definite: true}
		for _, s := range segs {
			if s.kind != segName && s.kind != segIndex && s.kind != segLength {
				path.definite = false
			}
		}
		return pathExpr{fromRoot: c == '$', path: path}, nil
	case c == '\'' || c == '"':
		s, err := p.parseQuoted()
		if err != nil {
			return nil, err
		}
		return litExpr{s}, nil
	case c == '[':
		// array literal of scalars, for in/nin
		p.pos++
		var arr []any
		for {
			p.skipSpace()
			if p.peek() == ']' {
				p.pos++
				break
			}
			x, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			lit, ok := x.(litExpr)
			if !ok {
				return nil, p.errf("array literals may hold only literals")
			}
			arr = append(arr, lit.v)
			p.skipSpace()
			if p.peek() == ',' {
				p.pos++
			}
		}
		if arr == nil {
			arr = []any{}
		}
		return litExpr{arr}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for !p.eof() {
			d := p.peek()
			if (d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-' {
				p.pos++
				continue
			}
			break
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, p.errf("bad number %q", p.src[start:p.pos])
		}
		return litExpr{f}, nil
	}
	for _, w := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], w.s) {
			p.pos += len(w.s)
			return litExpr{w.v}, nil
		}
	}
	return nil, p.errf("expected an operand")
}
