package events

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// The fast checker answers "is this data valid?" straight from the JSON bytes,
// without building a value tree and without allocating, for schemas that use
// only the keywords the catalog supports. It is built by compileSchema
// (schema.go) and is the hot path of Validate; describe, which decodes the
// data, runs only to explain an invalid event. Differential fuzz tests keep
// the two, and a general JSON Schema validator, in agreement. The one
// deliberate difference: a declared property given twice is invalid here,
// while encoding/json would silently keep the last one.

const (
	tNull uint8 = 1 << iota
	tBool
	tInteger
	tNumber
	tString
	tArray
	tObject
)

// fnode is one compiled (sub)schema.
type fnode struct {
	types    uint8    // 0: any type
	typeList []string // the declared type names, for messages

	propIndex map[string]int
	props     []*fnode
	required  uint64 // bit i: props[i] is required
	// requiredList is required in the schema's order, for messages.
	requiredList []string
	// additional is the schema of undeclared properties; nil with
	// noAdditional false means anything.
	additional   *fnode
	noAdditional bool

	items *fnode

	enum    []string
	hasEnum bool

	min, max, exMin, exMax             float64
	hasMin, hasMax, hasExMin, hasExMax bool
	minLen, maxLen, minItems, maxItems int // -1: none

	dateTime bool // format: date-time
}

// fastResult is the verdict of the fast checker.
type fastResult uint8

const (
	fastValid fastResult = iota
	fastInvalid
	fastDuplicate // a declared property appears twice
)

type scanner struct {
	b     []byte
	i     int
	depth int
	dup   bool
}

// check reports whether data is valid under n.
func (n *fnode) check(data []byte) fastResult {
	s := scanner{b: data}
	ok := s.value(n)
	if ok {
		s.ws()
		ok = s.i == len(s.b)
	}
	switch {
	case ok:
		return fastValid
	case s.dup:
		return fastDuplicate
	}
	return fastInvalid
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value parses one JSON value and checks it against n (nil: anything).
func (s *scanner) value(n *fnode) bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(n)
	case c == '[':
		return s.array(n)
	case c == '"':
		return s.stringValue(n)
	case c == 't':
		return s.literal("true") && s.typeOK(n, tBool) && !s.enumOnly(n)
	case c == 'f':
		return s.literal("false") && s.typeOK(n, tBool) && !s.enumOnly(n)
	case c == 'n':
		return s.literal("null") && s.typeOK(n, tNull) && !s.enumOnly(n)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(n)
	}
	return false
}

func (s *scanner) typeOK(n *fnode, t uint8) bool {
	return n == nil || n.types == 0 || n.types&t != 0
}

// enumOnly reports whether n has an enum, which holds only strings.
func (s *scanner) enumOnly(n *fnode) bool { return n != nil && n.hasEnum }

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

func (s *scanner) number(n *fnode) bool {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		k := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			k++
		}
		return k
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil {
		return false // out of range: encoding/json refuses it too
	}
	if n == nil {
		return true
	}
	if n.hasEnum {
		return false
	}
	if n.types != 0 {
		isInt := f == math.Trunc(f)
		if n.types&tNumber == 0 && !(n.types&tInteger != 0 && isInt) {
			return false
		}
	}
	if n.hasMin && f < n.min || n.hasMax && f > n.max ||
		n.hasExMin && f <= n.exMin || n.hasExMax && f >= n.exMax {
		return false
	}
	return true
}

// str scans a string token and returns its raw bytes (without quotes) and
// whether it needs decoding (escapes or invalid UTF-8).
func (s *scanner) str() (raw []byte, decode bool, ok bool) {
	s.i++ // opening quote
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(raw) {
				decode = true
			}
			return raw, decode, true
		case c == '\\':
			decode = true
			s.i++
			if s.i >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.b)-s.i < 5 {
					return nil, false, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false, false
					}
				}
				s.i += 5
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			s.i++
		}
	}
	return nil, false, false
}

// decodeString turns a JSON string token (with quotes) into its value as
// encoding/json does. Only for the rare escaped or invalid UTF-8 strings.
func decodeString(tok []byte) (string, bool) {
	var v string
	if err := json.Unmarshal(tok, &v); err != nil {
		return "", false
	}
	return v, true
}

func (s *scanner) stringValue(n *fnode) bool {
	start := s.i
	raw, dec, ok := s.str()
	if !ok {
		return false
	}
	if n == nil {
		return true
	}
	if !s.typeOK(n, tString) {
		return false
	}
	if !n.hasEnum && n.minLen < 0 && n.maxLen < 0 && !n.dateTime {
		return true
	}
	if dec {
		v, ok := decodeString(s.b[start:s.i])
		return ok && n.stringOK([]byte(v))
	}
	return n.stringOK(raw)
}

// stringOK checks the decoded bytes of a string value against n.
func (n *fnode) stringOK(v []byte) bool {
	if n.hasEnum {
		found := false
		for _, e := range n.enum {
			if e == string(v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := utf8.RuneCount(v)
		if n.minLen >= 0 && l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	return !n.dateTime || validDateTime(string(v))
}

const maxDepth = 10000 // encoding/json's nesting limit

func (s *scanner) array(n *fnode) bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++
	if n != nil && (!s.typeOK(n, tArray) || n.hasEnum) {
		return false
	}
	var items *fnode
	if n != nil {
		items = n.items
	}
	count := 0
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
	} else {
		for {
			if !s.value(items) {
				return false
			}
			count++
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == ']' {
				s.i++
				break
			}
			return false
		}
	}
	if n != nil && (n.minItems >= 0 && count < n.minItems || n.maxItems >= 0 && count > n.maxItems) {
		return false
	}
	return true
}

func (s *scanner) object(n *fnode) bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++
	if n != nil && (!s.typeOK(n, tObject) || n.hasEnum) {
		return false
	}
	var seen uint64
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
	} else {
		for {
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return false
			}
			start := s.i
			raw, dec, ok := s.str()
			if !ok {
				return false
			}
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			var sub *fnode
			if n != nil {
				idx, declared := -1, false
				if dec {
					key, ok := decodeString(s.b[start : start+len(raw)+2])
					if !ok {
						return false
					}
					idx, declared = n.propIndex[key]
				} else {
					idx, declared = n.propIndex[string(raw)]
				}
				switch {
				case declared:
					if seen&(1<<idx) != 0 {
						s.dup = true
						return false
					}
					seen |= 1 << idx
					sub = n.props[idx]
				case n.noAdditional:
					return false
				default:
					sub = n.additional
				}
			}
			if !s.value(sub) {
				return false
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == '}' {
				s.i++
				break
			}
			return false
		}
	}
	return n == nil || seen&n.required == n.required
}
