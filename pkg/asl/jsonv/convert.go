package jsonv

import (
	"encoding/json"
	"reflect"
	"slices"
)

// FromAny converts a value built by other code (what encoding/json decodes
// into any, Go numbers, structs) into this package's values. A map's keys
// have no order left, so its members are sorted by key; an *Object is kept
// and only its values are converted. Values already in canonical form are
// returned as they are, without copying.
func FromAny(v any) any {
	out, _ := canon(v)
	return out
}

func canon(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, float64, string:
		return v, false
	case *Object:
		var members []Member
		for i, m := range x.Members() {
			c, changed := canon(m.Value)
			if !changed {
				continue
			}
			if members == nil {
				members = slices.Clone(x.members)
			}
			members[i].Value = c
		}
		if members == nil {
			return x, false
		}
		return &Object{members: members, index: x.index}, true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		members := make([]Member, len(keys))
		for i, k := range keys {
			c, _ := canon(x[k])
			members[i] = Member{Key: k, Value: c}
		}
		return NewObject(members), true
	case []any:
		var out []any
		for i, e := range x {
			c, changed := canon(e)
			if !changed {
				continue
			}
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = c
		}
		if out == nil {
			return x, false
		}
		return out, true
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return string(x), true
		}
		return f, true
	case json.RawMessage:
		d, err := Decode(x)
		if err != nil {
			return nil, true
		}
		return d, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.String:
		return rv.String(), true
	}
	// Structs, typed maps and slices: through their JSON form, which keeps
	// a struct's field order.
	b, err := json.Marshal(v)
	if err != nil {
		return v, false
	}
	d, err := Decode(b)
	if err != nil {
		return v, false
	}
	return d, true
}

// ToAny converts a value to what encoding/json decodes into any: every
// *Object becomes a map[string]any (losing its order). Maps are copied;
// other values without objects are returned as they are.
func ToAny(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, x.Len())
		for _, mem := range x.Members() {
			m[mem.Key] = ToAny(mem.Value)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = ToAny(e)
		}
		return m
	case []any:
		var out []any
		for i, e := range x {
			c := ToAny(e)
			if out == nil {
				switch e.(type) {
				case *Object, []any, map[string]any:
				default:
					continue
				}
				out = slices.Clone(x)
			}
			out[i] = c
		}
		if out == nil {
			return x
		}
		return out
	}
	return v
}
