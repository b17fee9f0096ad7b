// Package jsonpath implements the JSONPath subset the Amazon States Language
// uses in its JSONPath query language: `$`, dot and bracket member names
// (`$.a.b`, `$['a b']`), indexes (`$.a[0]`, `$.a[-1]`), wildcards (`$.a[*].b`,
// `$.*`), slices (`$.a[0:2]`), unions (`$.a[0,2]`, `$['a','b']`), deep scan
// (`$..x`), filters (`$.a[?(@.x > 1 && @.y == 'z')]`) and the `length()`
// function.
//
// A path is compiled once (Compile) and evaluated many times; a compiled Path
// is immutable and safe for concurrent use. Values are those of package jsonv:
// *jsonv.Object, []any, string, float64, bool and nil. Evaluation never modifies its input: Set returns a
// new root that shares every untouched sub-value with the old one.
//
// A definite path (only member names and single indexes) selects at most one
// value and Get returns it, or an error wrapping ErrNotFound. Any other path
// is indefinite and Get returns the []any of every match, possibly empty, as
// Jayway JsonPath (which AWS uses) does. A reference path, as ResultPath and a
// Choice Variable need, is a definite path without functions.
//
// Objects are *jsonv.Object values, which keep their members in document
// order: a wildcard or deep scan visits members in that order, as Jayway
// (and so AWS) does, and Set replaces a member in place or appends a new one
// last. Plain map[string]any objects are not walked; convert them with
// jsonv.FromAny first.
package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// ErrNotFound is wrapped by the errors Get returns when a definite path
// selects nothing.
var ErrNotFound = errors.New("jsonpath: no value at path")

// ErrNotSettable is wrapped by the errors Set returns when the path cannot be
// applied to the value (it traverses a scalar, or indexes past an array's end).
var ErrNotSettable = errors.New("jsonpath: path cannot be set")

// SyntaxError reports a path that does not compile.
type SyntaxError struct {
	Path   string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath: invalid path %q at offset %d: %s", e.Path, e.Offset, e.Msg)
}

// Error is an evaluation failure: Err is ErrNotFound or ErrNotSettable.
type Error struct {
	Path   string
	Reason string
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Reason) }

// Unwrap returns ErrNotFound or ErrNotSettable.
func (e *Error) Unwrap() error { return e.Err }

type segKind uint8

const (
	segName segKind = iota
	segIndex
	segWildcard
	segSlice
	segNames // union of names
	segIndexes
	segFilter
	segDeep // deep scan; inner holds the selector applied at every level
	segLength
)

type segment struct {
	kind    segKind
	name    string
	index   int
	names   []string
	indexes []int
	// slice bounds; has* say whether the bound was written.
	start, end, step int
	hasStart, hasEnd bool
	filter           expr
	inner            *segment
}

// Path is a compiled JSONPath expression.
type Path struct {
	src       string
	segs      []segment
	definite  bool
	reference bool
}

// Compile parses a JSONPath expression. It must start with `$`.
func Compile(src string) (*Path, error) {
	p := &parser{src: src}
	segs, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	path := &Path{src: src, segs: segs, definite: true, reference: true}
	for i, s := range segs {
		switch s.kind {
		case segName, segIndex:
		case segLength:
			path.reference = false
			if i != len(segs)-1 {
				return nil, &SyntaxError{Path: src, Offset: len(src), Msg: "length() must be the last segment"}
			}
		default:
			path.definite = false
			path.reference = false
		}
	}
	return path, nil
}

// MustCompile is Compile for paths known to be valid; it panics otherwise.
func MustCompile(src string) *Path {
	p, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the source text of the path.
func (p *Path) String() string { return p.src }

// IsDefinite reports whether the path selects at most one value.
func (p *Path) IsDefinite() bool { return p.definite }

// IsReference reports whether the path is a reference path: member names and
// single indexes only, so it can be the target of Set.
func (p *Path) IsReference() bool { return p.reference }

// IsRoot reports whether the path is `$` alone.
func (p *Path) IsRoot() bool { return len(p.segs) == 0 }

// Get evaluates the path against root. A definite path returns the selected
// value or an *Error wrapping ErrNotFound; an indefinite one returns a []any of
// all matches (empty when none match).
func (p *Path) Get(root any) (any, error) {
	if p.definite {
		cur := root
		for i := range p.segs {
			s := &p.segs[i]
			switch s.kind {
			case segName:
				m, ok := cur.(*jsonv.Object)
				if !ok {
					return nil, p.notFound(i, cur)
				}
				v, ok := m.Get(s.name)
				if !ok {
					return nil, p.notFound(i, cur)
				}
				cur = v
			case segIndex:
				a, ok := cur.([]any)
				if !ok {
					return nil, p.notFound(i, cur)
				}
				idx := s.index
				if idx < 0 {
					idx += len(a)
				}
				if idx < 0 || idx >= len(a) {
					return nil, p.notFound(i, cur)
				}
				cur = a[idx]
			case segLength:
				n, ok := length(cur)
				if !ok {
					return nil, &Error{Path: p.src, Reason: "length() needs an array, object or string", Err: ErrNotFound}
				}
				return float64(n), nil
			}
		}
		return cur, nil
	}
	nodes := []any{root}
	for i := range p.segs {
		s := &p.segs[i]
		if s.kind == segLength {
			// length() of an indefinite path is the number of matches.
			return float64(len(nodes)), nil
		}
		next := make([]any, 0, len(nodes))
		for _, n := range nodes {
			next = apply(s, n, root, next)
		}
		nodes = next
	}
	return nodes, nil
}

// Exists reports whether a definite path selects a value, or an indefinite
// one selects at least one.
func (p *Path) Exists(root any) bool {
	v, err := p.Get(root)
	if err != nil {
		return false
	}
	if !p.definite {
		a, _ := v.([]any)
		return len(a) > 0
	}
	return true
}

func (p *Path) notFound(seg int, at any) error {
	reason := "no results"
	switch s := p.segs[seg]; s.kind {
	case segName:
		if _, ok := at.(*jsonv.Object); ok {
			reason = fmt.Sprintf("no member %q", s.name)
		} else {
			reason = fmt.Sprintf("member %q of a %s", s.name, typeName(at))
		}
	case segIndex:
		if a, ok := at.([]any); ok {
			reason = fmt.Sprintf("index %d out of range (length %d)", s.index, len(a))
		} else {
			reason = fmt.Sprintf("index %d of a %s", s.index, typeName(at))
		}
	}
	return &Error{Path: p.src, Reason: reason, Err: ErrNotFound}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *jsonv.Object:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int, int64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func length(v any) (int, bool) {
	switch t := v.(type) {
	case []any:
		return len(t), true
	case *jsonv.Object:
		return t.Len(), true
	case string:
		return len([]rune(t)), true
	}
	return 0, false
}

// apply appends to out the matches of one segment at node n.
func apply(s *segment, n, root any, out []any) []any {
	switch s.kind {
	case segName:
		if m, ok := n.(*jsonv.Object); ok {
			if v, ok := m.Get(s.name); ok {
				out = append(out, v)
			}
		}
	case segNames:
		if m, ok := n.(*jsonv.Object); ok {
			for _, name := range s.names {
				if v, ok := m.Get(name); ok {
					out = append(out, v)
				}
			}
		}
	case segIndex:
		if a, ok := n.([]any); ok {
			if v, ok := at(a, s.index); ok {
				out = append(out, v)
			}
		}
	case segIndexes:
		if a, ok := n.([]any); ok {
			for _, i := range s.indexes {
				if v, ok := at(a, i); ok {
					out = append(out, v)
				}
			}
		}
	case segWildcard:
		switch t := n.(type) {
		case []any:
			out = append(out, t...)
		case *jsonv.Object:
			for _, m := range t.Members() {
				out = append(out, m.Value)
			}
		}
	case segSlice:
		if a, ok := n.([]any); ok {
			out = appendSlice(s, a, out)
		}
	case segFilter:
		switch t := n.(type) {
		case []any:
			for _, e := range t {
				if truthy(s.filter.eval(e, root)) {
					out = append(out, e)
				}
			}
		case *jsonv.Object:
			if truthy(s.filter.eval(t, root)) {
				out = append(out, t)
			}
		}
	case segDeep:
		out = deepScan(s.inner, n, root, out)
	}
	return out
}

func deepScan(inner *segment, n, root any, out []any) []any {
	out = apply(inner, n, root, out)
	switch t := n.(type) {
	case []any:
		for _, e := range t {
			out = deepScan(inner, e, root, out)
		}
	case *jsonv.Object:
		for _, m := range t.Members() {
			out = deepScan(inner, m.Value, root, out)
		}
	}
	return out
}

func at(a []any, i int) (any, bool) {
	if i < 0 {
		i += len(a)
	}
	if i < 0 || i >= len(a) {
		return nil, false
	}
	return a[i], true
}

func appendSlice(s *segment, a []any, out []any) []any {
	n := len(a)
	step := s.step
	if step == 0 {
		step = 1
	}
	norm := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	if step > 0 {
		start, end := 0, n
		if s.hasStart {
			start = norm(s.start)
		}
		if s.hasEnd {
			end = norm(s.end)
		}
		for i := start; i < end; i += step {
			out = append(out, a[i])
		}
		return out
	}
	start, end := n-1, -1
	if s.hasStart {
		start = norm(s.start)
		if start >= n {
			start = n - 1
		}
	}
	if s.hasEnd {
		end = norm(s.end)
	}
	for i := start; i > end && i >= 0; i += step {
		out = append(out, a[i])
	}
	return out
}

// Set returns a copy of root with the value at the path replaced by value.
// Missing objects along the way are created; objects and arrays on the way
// are copied (shallowly), never modified. A member that exists keeps its
// position; a new one is added last, as AWS's ResultPath does. The path must be a reference path.
// Set fails with an *Error wrapping ErrNotSettable when the path walks into a
// scalar or an array index that does not exist.
func (p *Path) Set(root, value any) (any, error) {
	if !p.reference {
		return nil, &Error{Path: p.src, Reason: "not a reference path", Err: ErrNotSettable}
	}
	return p.set(0, root, value)
}

func (p *Path) set(i int, cur, value any) (any, error) {
	if i == len(p.segs) {
		return value, nil
	}
	s := &p.segs[i]
	switch s.kind {
	case segName:
		var m *jsonv.Object
		switch t := cur.(type) {
		case *jsonv.Object:
			m = t
		case nil:
		default:
			return nil, &Error{Path: p.src, Reason: fmt.Sprintf("cannot set member %q of a %s", s.name, typeName(cur)), Err: ErrNotSettable}
		}
		old, _ := m.Get(s.name)
		child, err := p.set(i+1, old, value)
		if err != nil {
			return nil, err
		}
		return m.With(s.name, child), nil
	case segIndex:
		a, ok := cur.([]any)
		if !ok {
			return nil, &Error{Path: p.src, Reason: fmt.Sprintf("cannot set index %d of a %s", s.index, typeName(cur)), Err: ErrNotSettable}
		}
		idx := s.index
		if idx < 0 {
			idx += len(a)
		}
		if idx < 0 || idx >= len(a) {
			return nil, &Error{Path: p.src, Reason: fmt.Sprintf("index %d out of range (length %d)", s.index, len(a)), Err: ErrNotSettable}
		}
		child, err := p.set(i+1, a[idx], value)
		if err != nil {
			return nil, err
		}
		c := make([]any, len(a))
		copy(c, a)
		c[idx] = child
		return c, nil
	}
	return nil, &Error{Path: p.src, Reason: "not a reference path", Err: ErrNotSettable}
}

// ---- parser ----

type parser struct {
	src string
	pos int
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Path: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) parsePath() ([]segment, error) {
	if !strings.HasPrefix(p.src, "$") {
		return nil, p.errf("a path must start with $")
	}
	p.pos = 1
	return p.parseSegments(false)
}

// parseSegments parses segments until the end, or, inside a filter, until a
// character that cannot continue a path.
func (p *parser) parseSegments(inFilter bool) ([]segment, error) {
	var segs []segment
	for !p.eof() {
		c := p.peek()
		switch c {
		case '.':
			if strings.HasPrefix(p.src[p.pos:], "..") {
				p.pos += 2
				var inner segment
				if p.peek() == '[' {
					s, err := p.parseBracket()
					if err != nil {
						return nil, err
					}
					inner = s
				} else if p.peek() == '*' {
					p.pos++
					inner = segment{kind: segWildcard}
				} else {
					name := p.parseName()
					if name == "" {
						return nil, p.errf("expected a member name after ..")
					}
					inner = segment{kind: segName, name: name}
				}
				segs = append(segs, segment{kind: segDeep, inner: &inner})
				continue
			}
			p.pos++
			if p.peek() == '*' {
				p.pos++
				segs = append(segs, segment{kind: segWildcard})
				continue
			}
			if p.peek() == '[' {
				// "$.['a']" is accepted by Jayway; treat like "$['a']".
				continue
			}
			name := p.parseName()
			if name == "" {
				return nil, p.errf("expected a member name after .")
			}
			if name == "length()" || (strings.HasSuffix(name, "()") && p.eof()) {
				if name != "length()" {
					return nil, p.errf("unsupported function %s", name)
				}
				segs = append(segs, segment{kind: segLength})
				continue
			}
			segs = append(segs, segment{kind: segName, name: name})
		case '[':
			s, err := p.parseBracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, s)
		default:
			if inFilter {
				return segs, nil
			}
			return nil, p.errf("unexpected %q", c)
		}
	}
	return segs, nil
}

// parseName reads a dot-notation member name: everything up to the next
// '.', '[' or, in a filter, an operator or space. A trailing "()" is kept so
// that functions are recognised.
func (p *parser) parseName() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' || c == '[' || c == ' ' || c == '\t' || c == ')' || c == '=' || c == '!' ||
			c == '<' || c == '>' || c == '&' || c == '|' || c == ',' || c == ']' {
			if c == ')' && p.pos > start && p.src[p.pos-1] == '(' {
				p.pos++
				continue
			}
			break
		}
		if c == '(' && !strings.HasPrefix(p.src[p.pos:], "()") {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) parseBracket() (segment, error) {
	p.pos++ // '['
	p.skipSpace()
	var seg segment
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		seg = segment{kind: segWildcard}
	case c == '?':
		p.pos++
		p.skipSpace()
		if p.peek() != '(' {
			return seg, p.errf("expected ( after ?")
		}
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return seg, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return seg, p.errf("expected ) closing the filter")
		}
		p.pos++
		seg = segment{kind: segFilter, filter: e}
	case c == '\'' || c == '"':
		var names []string
		for {
			p.skipSpace()
			s, err := p.parseQuoted()
			if err != nil {
				return seg, err
			}
			names = append(names, s)
			p.skipSpace()
			if p.peek() != ',' {
				break
			}
			p.pos++
		}
		if len(names) == 1 {
			seg = segment{kind: segName, name: names[0]}
		} else {
			seg = segment{kind: segNames, names: names}
		}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		var err error
		seg, err = p.parseIndexOrSlice()
		if err != nil {
			return seg, err
		}
	default:
		if p.eof() {
			return seg, p.errf("unclosed [")
		}
		return seg, p.errf("unexpected %q in brackets", c)
	}
	p.skipSpace()
	if p.peek() != ']' {
		return seg, p.errf("expected ]")
	}
	p.pos++
	return seg, nil
}

func (p *parser) parseInt() (int, bool, error) {
	p.skipSpace()
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil {
		return 0, false, p.errf("bad integer %q", p.src[start:p.pos])
	}
	p.skipSpace()
	return n, true, nil
}

func (p *parser) parseIndexOrSlice() (segment, error) {
	first, has, err := p.parseInt()
	if err != nil {
		return segment{}, err
	}
	if p.peek() == ':' {
		seg := segment{kind: segSlice, start: first, hasStart: has}
		p.pos++
		seg.end, seg.hasEnd, err = p.parseInt()
		if err != nil {
			return seg, err
		}
		if p.peek() == ':' {
			p.pos++
			var hasStep bool
			seg.step, hasStep, err = p.parseInt()
			if err != nil {
				return seg, err
			}
			if hasStep && seg.step == 0 {
				return seg, p.errf("slice step cannot be 0")
			}
		}
		return seg, nil
	}
	if !has {
		return segment{}, p.errf("expected an index")
	}
	idx := []int{first}
	for p.peek() == ',' {
		p.pos++
		n, ok, err := p.parseInt()
		if err != nil {
			return segment{}, err
		}
		if !ok {
			return segment{}, p.errf("expected an index after ,")
		}
		idx = append(idx, n)
	}
	if len(idx) == 1 {
		return segment{kind: segIndex, index: first}, nil
	}
	return segment{kind: segIndexes, indexes: idx}, nil
}

// parseQuoted reads a quoted string with backslash escapes.
func (p *parser) parseQuoted() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errf("expected a quoted string")
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
			p.pos++
		case c == q:
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errf("unterminated string")
}
