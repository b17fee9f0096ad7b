package jsonv

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrSyntax is wrapped by the errors Decode returns for text that is not
// one JSON value.
var ErrSyntax = errors.New("jsonv: invalid JSON")

// SyntaxError is a decoding failure at Offset (in bytes).
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonv: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// maxDepth bounds nesting so hostile input cannot exhaust the stack
// (encoding/json uses the same limit).
const maxDepth = 10000

// Decode parses exactly one JSON value (surrounded by optional white space)
// into nil, bool, float64, string, []any or *Object, keeping object members
// in document order. Invalid UTF-8 in strings becomes U+FFFD, as with
// encoding/json; a number outside float64's range is an error.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	return d.decodeAll()
}

// DecodeString is Decode for JSON text held in a string. It is the faster
// way to decode a large document: strings without escapes become
// substrings of s instead of copies, so the values share s's memory (and
// keep all of it alive while any of them is), and objects are carved from
// blocks allocated a few hundred at a time. Compile uses it for
// definitions, which live as long as their state machine anyway.
func DecodeString(s string) (any, error) {
	d := decoder{data: unsafe.Slice(unsafe.StringData(s), len(s)), shared: s, slab: true}
	return d.decodeAll()
}

func (d *decoder) decodeAll() (any, error) {
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errf("text after the JSON value")
	}
	return v, nil
}

// DecodeFirst parses the first JSON value of data and returns it with the
// number of bytes it and the white space before it took, so a stream of
// values (JSON Lines, concatenated JSON) can be read one at a time.
func DecodeFirst(data []byte) (any, int, error) {
	d := decoder{data: data}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, d.pos, nil
}

type decoder struct {
	data []byte
	pos  int
	// shared is data as a string when the caller handed a string over
	// (DecodeString): unescaped strings are sliced from it, not copied.
	// data then aliases it and is never written.
	shared string
	// stack holds the members of the objects being decoded, innermost
	// last, so each object gets one slice of exactly its size.
	stack []Member
	// slab, when set, carves members and objects from blocks (members,
	// objects) instead of allocating each: far fewer allocations for large
	// documents, at the price of blocks living as long as any value in them.
	slab    bool
	members []Member
	objects []Object
	// interned holds short string values already boxed into an any, so a
	// value that repeats ("Pass", "$.result") is boxed once.
	interned []internSlot
	misses   int
}

// maxInterned is the longest string value interned. The table is direct
// mapped by a cheap hash, a newer string taking the slot of an older one:
// cheaper than a map for the lookup every short string costs. It starts
// small, so small documents pay little for it, and grows (forgetting what
// it held: it is only a cache) up to internSlots as misses add up.
const (
	maxInterned     = 16
	internSlots     = 512
	internFirstSize = 32
)

type internSlot struct {
	s string
	v any
}

func (d *decoder) intern(s string) any {
	if d.interned == nil {
		d.interned = make([]internSlot, internFirstSize)
	}
	// A few bytes make the hash: a collision costs a string comparison
	// and a slot, never a wrong value.
	n := len(s)
	h := uint32(n)*0x9E3779B1 ^ uint32(s[0])<<16 ^ uint32(s[n/2])<<8 ^ uint32(s[n-1])
	if n > 3 {
		h ^= uint32(s[n-2]) << 24
	}
	e := &d.interned[(h^h>>11)&uint32(len(d.interned)-1)]
	if e.v != nil && e.s == s {
		return e.v
	}
	var v any = s
	*e = internSlot{s, v}
	if d.misses++; d.misses > 4*len(d.interned) && len(d.interned) < internSlots {
		d.interned, d.misses = make([]internSlot, 4*len(d.interned)), 0
	}
	return v
}

// slabBlock is how many members or objects a block holds at most. Blocks
// start small and double, so a small document allocates little.
const slabBlock = 512

func blockSize(prev int) int {
	return min(max(2*prev, 16), slabBlock)
}

// newObject makes the object of the members d.stack[base:] and pops them.
func (d *decoder) newObject(base int) *Object {
	n := len(d.stack) - base
	if !d.slab {
		o := NewObjectCopy(d.stack[base:]) // one allocation for a small object
		clear(d.stack[base:])
		d.stack = d.stack[:base]
		return o
	}
	var members []Member
	if n <= slabBlock/8 {
		if len(d.members)+n > cap(d.members) {
			d.members = make([]Member, 0, blockSize(cap(d.members)))
		}
		start := len(d.members)
		d.members = append(d.members, d.stack[base:]...)
		members = d.members[start:len(d.members):len(d.members)]
	} else {
		members = make([]Member, n)
		copy(members, d.stack[base:])
	}
	clear(d.stack[base:]) // let the values go when the stack is reused
	d.stack = d.stack[:base]
	if n >= indexThreshold {
		return NewObject(members)
	}
	if len(d.objects) == cap(d.objects) {
		d.objects = make([]Object, 0, blockSize(cap(d.objects)))
	}
	d.objects = append(d.objects, Object{members: members})
	o := &d.objects[len(d.objects)-1]
	if hasDuplicateKeys(members) {
		o.dedup()
	}
	return o
}

// hasDuplicateKeys reports whether a small member list repeats a key.
func hasDuplicateKeys(members []Member) bool {
	for i := 1; i < len(members); i++ {
		for j := 0; j < i; j++ {
			if members[j].Key == members[i].Key {
				return true
			}
		}
	}
	return false
}

func (d *decoder) errf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errf("unexpected end of input")
	}
	if depth > maxDepth {
		return nil, d.errf("nested too deeply")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		if d.slab && len(s) <= maxInterned && len(s) > 0 {
			return d.intern(s), nil
		}
		return s, nil
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errf("unexpected character %q", c)
	}
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.errf("invalid literal, expected %s", word)
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // '{'
	base := len(d.stack)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return NewObject(nil), nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errf("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errf("expected ':' after an object key")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, Member{Key: k, Value: v})
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errf("unexpected end of input in an object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.newObject(base), nil
		default:
			return nil, d.errf("expected ',' or '}' in an object")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // '['
	out := []any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return out, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errf("unexpected end of input in an array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return out, nil
		default:
			return nil, d.errf("expected ',' or ']' in an array")
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.pos
	data := d.data
	if data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(data) && data[d.pos] == '0':
		d.pos++
	case d.pos < len(data) && data[d.pos] >= '1' && data[d.pos] <= '9':
		for d.pos < len(data) && data[d.pos] >= '0' && data[d.pos] <= '9' {
			d.pos++
		}
	default:
		return nil, d.errf("invalid number")
	}
	if d.pos < len(data) && data[d.pos] == '.' {
		d.pos++
		digits := d.pos
		for d.pos < len(data) && data[d.pos] >= '0' && data[d.pos] <= '9' {
			d.pos++
		}
		if d.pos == digits {
			return nil, d.errf("invalid number: no digits after '.'")
		}
	}
	if d.pos < len(data) && (data[d.pos] == 'e' || data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(data) && (data[d.pos] == '+' || data[d.pos] == '-') {
			d.pos++
		}
		digits := d.pos
		for d.pos < len(data) && data[d.pos] >= '0' && data[d.pos] <= '9' {
			d.pos++
		}
		if d.pos == digits {
			return nil, d.errf("invalid number: no digits in the exponent")
		}
	}
	if n, ok := smallInt(data[start:d.pos]); ok {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(data[start:d.pos]), 64)
	if err != nil {
		return nil, &SyntaxError{Offset: start, Msg: fmt.Sprintf("number %s does not fit a float64", data[start:d.pos])}
	}
	return f, nil
}

func (d *decoder) str() (string, error) {
	d.pos++ // '"'
	data := d.data
	start := d.pos
	// Fast path: no escapes, ASCII or valid UTF-8.
	for d.pos < len(data) {
		c := data[d.pos]
		if c == '"' {
			var s string
			if d.shared != "" {
				s = d.shared[start:d.pos]
			} else {
				s = string(data[start:d.pos])
			}
			d.pos++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.pos++
	}
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, data[start:d.pos]...)
	for d.pos < len(data) {
		c := data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.errf("control character in a string")
		case c == '\\':
			if d.pos+1 >= len(data) {
				return "", d.errf("unterminated escape")
			}
			e := data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.pos+1 < len(data) && data[d.pos] == '\\' && data[d.pos+1] == 'u' {
						save := d.pos
						d.pos += 2
						if x, ok := d.hex4(); ok {
							r2 = x
						} else {
							d.pos = save
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						// Not a pair: the lone surrogate becomes U+FFFD and
						// the second escape is read on its own.
						d.pos = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", d.errf("invalid escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, data[d.pos:d.pos+size]...)
			}
			d.pos += size
		}
	}
	return "", d.errf("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// smallInt parses an integer of at most 15 digits, which float64 holds
// exactly, without strconv (most numbers in definitions and payloads).
func smallInt(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), true
		}
		return float64(-n), true
	}
	return float64(n), true
}

// Stream decodes one JSON document held in a string part by part, so a
// caller can walk a large object member by member and keep only what it
// needs instead of building the whole tree first. Values it returns are
// those of DecodeString (sharing s's memory). A Stream is not safe for
// concurrent use.
type Stream struct {
	d     decoder
	depth int
}

// NewStream returns a Stream positioned before the document's value.
func NewStream(s string) *Stream {
	st := &Stream{d: decoder{data: unsafe.Slice(unsafe.StringData(s), len(s)), shared: s, slab: true}}
	st.d.skipSpace()
	return st
}

// Peek returns the first byte of the next value (after white space), or 0
// at the end of the text: '{' announces an object.
func (s *Stream) Peek() byte {
	s.d.skipSpace()
	if s.d.pos >= len(s.d.data) {
		return 0
	}
	return s.d.data[s.d.pos]
}

// Value decodes the next value whole.
func (s *Stream) Value() (any, error) {
	s.d.skipSpace()
	return s.d.value(s.depth)
}

// Members walks the object that is the next value: for each member in
// document order it calls fn with the key, positioned before the member's
// value, which fn must consume with Value or Members. Keys are passed as
// they come: a repeated key is passed again. An error from fn stops the
// walk and is returned.
func (s *Stream) Members(fn func(key string) error) error {
	d := &s.d
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return d.errf("expected an object")
	}
	if s.depth >= maxDepth {
		return d.errf("nested too deeply")
	}
	d.pos++
	s.depth++
	defer func() { s.depth-- }()
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return d.errf("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return d.errf("expected ':' after an object key")
		}
		d.pos++
		d.skipSpace()
		if err := fn(k); err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return d.errf("unexpected end of input in an object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.errf("expected ',' or '}' in an object")
		}
	}
}

// End checks that only white space follows the document's value.
func (s *Stream) End() error {
	s.d.skipSpace()
	if s.d.pos != len(s.d.data) {
		return s.d.errf("text after the JSON value")
	}
	return nil
}
