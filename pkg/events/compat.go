package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Incompatibility is one way a new schema rejects data an old one accepted.
// Path is a JSON pointer into the schema ("/properties/status").
type Incompatibility struct {
	Path   string
	Reason string
}

func (i Incompatibility) String() string { return i.Path + ": " + i.Reason }

// compatKeywords is the subset of JSON Schema CheckCompatible understands; a
// schema using anything else is refused rather than judged wrongly.
var compatKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "deprecated": true, "default": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minLength": true, "maxLength": true, "minItems": true, "maxItems": true,
	"pattern": true, "format": true,
}

// CheckCompatible reports how next is not backward compatible with prev:
// some data valid under prev would be invalid under next, or a property
// producers used to send was removed. The rules, for the keywords in the
// subset it supports (type, properties, required, additionalProperties,
// items, enum, const, bounds, lengths, pattern, format):
//   - a removed property, a newly required property,
//   - a type, enum or const that accepts fewer values,
//   - a bound (minimum, maxLength, ...) that is new or tighter,
//   - a pattern or format that is new or changed,
//   - additionalProperties that turns false or stricter
//
// are incompatible. Adding an optional property, widening an enum or a type,
// loosening a bound and editing annotations are compatible. Any keyword
// outside the subset is an error.
func CheckCompatible(prev, next []byte) ([]Incompatibility, error) {
	var p, n any
	if err := json.Unmarshal(prev, &p); err != nil {
		return nil, fmt.Errorf("events: compat: previous schema: %w", err)
	}
	if err := json.Unmarshal(next, &n); err != nil {
		return nil, fmt.Errorf("events: compat: next schema: %w", err)
	}
	for _, s := range []struct {
		name string
		v    any
	}{{"previous", p}, {"next", n}} {
		if err := checkSubset(s.v, ""); err != nil {
			return nil, fmt.Errorf("events: compat: %s schema: %w", s.name, err)
		}
	}
	var out []Incompatibility
	compareSchema(p, n, "", &out)
	return out, nil
}

func checkSubset(v any, at string) error {
	switch s := v.(type) {
	case bool:
		return nil
	case map[string]any:
		keys := sortedKeys(s)
		for _, k := range keys {
			if !compatKeywords[k] {
				return fmt.Errorf("%s/%s: keyword not supported by the compatibility checker", at, k)
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for _, k := range sortedKeys(props) {
				if err := checkSubset(props[k], at+"/properties/"+k); err != nil {
					return err
				}
			}
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if sub, ok := s[k]; ok {
				if err := checkSubset(sub, at+"/"+k); err != nil {
					return err
				}
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: a schema must be an object or a boolean", at)
	}
}

// asSchema turns the boolean schemas into their object equivalents: true
// accepts everything, false nothing.
func asSchema(v any) (m map[string]any, acceptsNothing bool) {
	switch s := v.(type) {
	case bool:
		return map[string]any{}, !s
	case map[string]any:
		return s, false
	}
	return map[string]any{}, false
}

func compareSchema(prev, next any, at string, out *[]Incompatibility) {
	add := func(path, format string, args ...any) {
		if path == "" {
			path = "/"
		}
		*out = append(*out, Incompatibility{Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	p, pNothing := asSchema(prev)
	n, nNothing := asSchema(next)
	if pNothing {
		return // nothing was valid before, so nothing can break
	}
	if nNothing {
		add(at, "schema now rejects every value")
		return
	}

	// type: every type accepted before must still be accepted.
	if nt, ok := typeSet(n); ok {
		pt, pok := typeSet(p)
		if !pok {
			add(at+"/type", "type restricted to %v where any type was accepted", keys(nt))
		} else {
			for t := range pt {
				if nt[t] || (t == "integer" && nt["number"]) {
					continue
				}
				add(at+"/type", "type %q is no longer accepted", t)
			}
		}
	}

	// enum and const: every value accepted before must still be accepted.
	compareValues := func(kw string, pv, nv []any, pHas, nHas bool) {
		if !nHas {
			return
		}
		if !pHas {
			add(at+"/"+kw, "%s added where any value was accepted", kw)
			return
		}
		for _, v := range pv {
			found := false
			for _, w := range nv {
				if reflect.DeepEqual(v, w) {
					found = true
					break
				}
			}
			if !found {
				add(at+"/"+kw, "value %v is no longer accepted", v)
			}
		}
	}
	pe, pHasEnum := p["enum"].([]any)
	ne, nHasEnum := n["enum"].([]any)
	if pc, ok := p["const"]; ok && !pHasEnum {
		pe, pHasEnum = []any{pc}, true
	}
	compareValues("enum", pe, ne, pHasEnum, nHasEnum)
	if nc, ok := n["const"]; ok {
		pv, pHas := pe, pHasEnum
		compareValues("const", pv, []any{nc}, pHas, true)
	}

	// Lower bounds may only go down, upper bounds only up.
	for _, kw := range []string{"minimum", "exclusiveMinimum", "minLength", "minItems"} {
		compareBound(p, n, kw, at, -1, add)
	}
	for _, kw := range []string{"maximum", "exclusiveMaximum", "maxLength", "maxItems"} {
		compareBound(p, n, kw, at, +1, add)
	}
	for _, kw := range []string{"pattern", "format"} {
		nv, nHas := n[kw]
		if !nHas {
			continue
		}
		if pv, pHas := p[kw]; !pHas || !reflect.DeepEqual(pv, nv) {
			add(at+"/"+kw, "%s %v is new or changed", kw, nv)
		}
	}

	// Objects.
	pProps, _ := p["properties"].(map[string]any)
	nProps, _ := n["properties"].(map[string]any)
	for _, name := range sortedKeys(pProps) {
		np, ok := nProps[name]
		if !ok {
			add(at+"/properties/"+name, "property %q was removed", name)
			continue
		}
		compareSchema(pProps[name], np, at+"/properties/"+name, out)
	}
	pReq := stringSet(p["required"])
	for _, r := range sortedKeys(stringSet(n["required"])) {
		if !pReq[r] {
			add(at+"/required", "property %q is newly required", r)
		}
	}
	pAdd, pHasAdd := p["additionalProperties"]
	nAdd, nHasAdd := n["additionalProperties"]
	if nHasAdd {
		_, nAddNothing := asSchema(nAdd)
		_, pAddNothing := asSchema(pAdd)
		switch {
		case pHasAdd && pAddNothing:
			// Nothing extra was allowed before: any new rule is fine.
		case nAddNothing:
			add(at+"/additionalProperties", "additional properties are no longer allowed")
		case pHasAdd:
			compareSchema(pAdd, nAdd, at+"/additionalProperties", out)
		default:
			compareSchema(true, nAdd, at+"/additionalProperties", out)
		}
	}

	// Arrays.
	if ni, ok := n["items"]; ok {
		pi, pok := p["items"]
		if !pok {
			pi = true
		}
		compareSchema(pi, ni, at+"/items", out)
	}
}

func compareBound(p, n map[string]any, kw, at string, dir int, add func(string, string, ...any)) {
	nv, nHas := n[kw].(float64)
	if !nHas {
		return
	}
	pv, pHas := p[kw].(float64)
	switch {
	case !pHas:
		add(at+"/"+kw, "%s %v added", kw, nv)
	case dir < 0 && nv > pv, dir > 0 && nv < pv:
		add(at+"/"+kw, "%s tightened from %v to %v", kw, pv, nv)
	}
}

func typeSet(s map[string]any) (map[string]bool, bool) {
	switch t := s["type"].(type) {
	case string:
		return map[string]bool{t: true}, true
	case []any:
		m := map[string]bool{}
		for _, x := range t {
			if str, ok := x.(string); ok {
				m[str] = true
			}
		}
		return m, true
	}
	return nil, false
}

func stringSet(v any) map[string]bool {
	m := map[string]bool{}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if s, ok := x.(string); ok {
				m[s] = true
			}
		}
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) string { return strings.Join(sortedKeys(m), ",") }
