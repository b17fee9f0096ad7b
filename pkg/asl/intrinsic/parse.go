package intrinsic

import (
	"fmt"
	"strconv"
	"strings"
)

var sprintf = fmt.Sprintf

type argKind uint8

const (
	argLiteral argKind = iota
	argPath
	argCall
)

// argument is one parsed argument of a call.
type argument struct {
	kind   argKind
	lit    any    // argLiteral: string, float64, bool or nil
	raw    string // argLiteral strings: the text between the quotes, escapes kept
	path   string // argPath
	call   *Expr  // argCall
	source string // the argument's source text, for messages
}

// template is a States.Format template: the output is parts[0], the first
// value, parts[1], ... so there are len(parts)-1 placeholders.
type template struct{ parts []string }

func (t *template) holes() int { return len(t.parts) - 1 }

// templateOfLiteral splits a quoted template at its unescaped "{}": an escaped
// brace (\{ or \}) is a literal brace, \' a quote and \\ a backslash.
func templateOfLiteral(raw string) *template {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			i++
			b.WriteByte(raw[i])
		case c == '{' && i+1 < len(raw) && raw[i+1] == '}':
			parts = append(parts, b.String())
			b.Reset()
			i++
		default:
			b.WriteByte(c)
		}
	}
	return &template{parts: append(parts, b.String())}
}

// templateOfValue splits a template read from a path: there is no escaping in
// JSON data, so every "{}" is a placeholder.
func templateOfValue(s string) *template {
	return &template{parts: strings.Split(s, "{}")}
}

// Parse parses an intrinsic function call such as
// "States.Format('{} items', $.count)". It reports syntax errors, unknown
// functions, wrong argument counts and argument types that are wrong
// statically (a literal or a nested call of the wrong type). Errors are *Error.
func Parse(s string) (*Expr, error) {
	src := strings.TrimSpace(s)
	p := &parser{src: src}
	e, err := p.call(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.src) {
		return nil, p.fail("unexpected %q after the call", p.src[p.pos:])
	}
	return e, nil
}

type parser struct {
	src string
	pos int
}

func (p *parser) fail(format string, args ...any) *Error {
	return &Error{Name: NameRuntime, Cause: sprintf("invalid intrinsic function %q at offset %d: %s", p.src, p.pos, sprintf(format, args...))}
}

func (p *parser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// call parses States.Name(args...) at p.pos.
func (p *parser) call(depth int) (*Expr, error) {
	if depth >= maxDepth {
		return nil, p.fail("intrinsic functions nest at most %d deep", maxDepth)
	}
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.fail("expected a States. function")
	}
	p.pos += len("States.")
	nameStart := p.pos
	for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if p.pos == nameStart {
		return nil, p.fail("expected a function name after States.")
	}
	fn := functions[name]
	if fn == nil {
		return nil, p.fail("unknown function %s", name)
	}
	p.space()
	if p.peek() != '(' {
		return nil, p.fail("expected ( after %s", name)
	}
	p.pos++
	var args []argument
	p.space()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			p.space()
			a, err := p.argument(depth)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			p.space()
			c := p.peek()
			p.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				p.pos--
				if c == 0 {
					return nil, p.fail("missing ) closing %s", name)
				}
				return nil, p.fail("expected , or ) in the arguments of %s", name)
			}
		}
	}
	e := &Expr{fn: fn, args: args, src: p.src[start:p.pos]}
	if err := fn.check(e); err != nil {
		return nil, err
	}
	return e, nil
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) argument(depth int) (argument, error) {
	start := p.pos
	c := p.peek()
	var a argument
	switch {
	case c == '\'':
		raw, val, err := p.quoted()
		if err != nil {
			return a, err
		}
		a = argument{kind: argLiteral, lit: val, raw: raw}
	case c == '$':
		path, err := p.path()
		if err != nil {
			return a, err
		}
		a = argument{kind: argPath, path: path}
	case c == '-' || c >= '0' && c <= '9':
		n, err := p.number()
		if err != nil {
			return a, err
		}
		a = argument{kind: argLiteral, lit: n}
	case c == 'S':
		e, err := p.call(depth + 1)
		if err != nil {
			return a, err
		}
		a = argument{kind: argCall, call: e}
	default:
		word := p.word()
		switch word {
		case "true":
			a = argument{kind: argLiteral, lit: true}
		case "false":
			a = argument{kind: argLiteral, lit: false}
		case "null":
			a = argument{kind: argLiteral, lit: nil}
		case "":
			if c == 0 {
				return a, p.fail("missing argument")
			}
			return a, p.fail("unexpected %q", string(c))
		default:
			p.pos = start
			return a, p.fail("unknown argument %q (strings are single-quoted)", word)
		}
	}
	a.source = p.src[start:p.pos]
	return a, nil
}

func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// quoted reads a single-quoted string. A backslash escapes the next
// character: \' is a quote, \\ a backslash, \{ and \} braces that are not a
// States.Format placeholder.
func (p *parser) quoted() (raw, val string, err error) {
	p.pos++ // opening quote
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", "", p.fail("unterminated string")
			}
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case '\'':
			raw = p.src[start:p.pos]
			p.pos++
			return raw, b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", "", p.fail("unterminated string")
}

// number reads a JSON number.
func (p *parser) number() (float64, error) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if digits() == 0 {
		return 0, p.fail("expected a number")
	}
	if p.peek() == '.' {
		p.pos++
		if digits() == 0 {
			return 0, p.fail("expected digits after the decimal point")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if digits() == 0 {
			return 0, p.fail("expected digits in the exponent")
		}
	}
	if isIdent(p.peek()) {
		return 0, p.fail("unexpected %q in a number", string(p.peek()))
	}
	text := p.src[start:p.pos]
	if len(text) > 1 && text[0] == '0' && text[1] >= '0' && text[1] <= '9' ||
		len(text) > 2 && text[0] == '-' && text[1] == '0' && text[2] >= '0' && text[2] <= '9' {
		p.pos = start
		return 0, p.fail("number %s has a leading zero", text)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.pos = start
		return 0, p.fail("number %s out of range", text)
	}
	return f, nil
}

// path reads a JSONPath argument: from "$" to the first ",", ")" or white
// space outside brackets. Brackets may hold quoted names and filters with
// commas and parentheses. The path's own syntax is the Resolver's business.
func (p *parser) path() (string, error) {
	start := p.pos
	depth := 0
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return "", p.fail("unbalanced ] in path")
			}
			depth--
		case (c == '\'' || c == '"') && depth > 0:
			end := p.pos + 1
			for end < len(p.src) && p.src[end] != c {
				if p.src[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(p.src) {
				return "", p.fail("unterminated quote in path")
			}
			p.pos = end
		case depth == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return p.src[start:p.pos], nil
		case depth == 0 && (c == '(' || c == '\''):
			return "", p.fail("unexpected %q in path", string(c))
		}
		p.pos++
	}
	if depth > 0 {
		return "", p.fail("unclosed [ in path")
	}
	return p.src[start:p.pos], nil
}
