package idempotency

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadPath: a KeyPath that is not of the supported form.
var ErrBadPath = errors.New("idempotency: bad key path")

// step is one selector of a path: a field name or an array index.
type step struct {
	field string
	index int // >= 0 for an index step
}

// Path is a compiled key path: "$" then any of ".name", "['name']",
// "[\"name\"]" and "[N]", e.g. "$.order.id" or "$.items[0]['sku']".
type Path struct {
	src   string
	steps []step
}

// String returns the path as written.
func (p Path) String() string { return p.src }

// ParsePath compiles a key path.
func ParsePath(src string) (Path, error) {
	bad := func(why string) (Path, error) {
		return Path{}, fmt.Errorf("%w %q: %s", ErrBadPath, src, why)
	}
	if !strings.HasPrefix(src, "$") {
		return bad("must start with $")
	}
	p := Path{src: src}
	rest := src[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[]'\"")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return bad("empty field name")
			}
			if end < len(rest) && rest[end] != '.' && rest[end] != '[' {
				return bad("unexpected " + string(rest[end]) + " in field name")
			}
			p.steps = append(p.steps, step{field: rest[:end], index: -1})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return bad("unclosed [")
			}
			inner := rest[1:end]
			switch {
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				name := inner[1 : len(inner)-1]
				if name == "" || strings.ContainsAny(name, "'\"") {
					return bad("bad quoted field name")
				}
				p.steps = append(p.steps, step{field: name, index: -1})
			default:
				i, err := strconv.Atoi(inner)
				if err != nil || i < 0 || strings.HasPrefix(inner, "+") {
					return bad("index must be a non-negative integer")
				}
				p.steps = append(p.steps, step{index: i})
			}
			rest = rest[end+1:]
		default:
			return bad("expected . or [")
		}
	}
	if len(p.steps) == 0 {
		return bad("selects the whole payload; leave KeyPath empty to use the event id")
	}
	return p, nil
}

// Extract returns the key the path selects in the JSON document data: a
// string as is, any other value (number, object, ...) as compact JSON, so
// {"a":1} and { "a" : 1 } give the same key. ok is false when the path
// selects nothing or null; err is set when data is not JSON.
func (p Path) Extract(data []byte) (key string, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false, fmt.Errorf("idempotency: payload is not JSON: %w", err)
	}
	if dec.More() {
		return "", false, errors.New("idempotency: payload has trailing data after JSON")
	}
	for _, s := range p.steps {
		switch cur := v.(type) {
		case map[string]any:
			if s.index >= 0 {
				return "", false, nil
			}
			v = cur[s.field]
		case []any:
			if s.index < 0 || s.index >= len(cur) {
				return "", false, nil
			}
			v = cur[s.index]
		default:
			return "", false, nil
		}
	}
	switch v := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false, fmt.Errorf("idempotency: re-encode key: %w", err)
		}
		return string(b), true, nil
	}
}
