package validate

import (
	"fmt"
	"strings"
)

// operand is what a Choice comparison operator compares against.
type operand uint8

const (
	opString operand = iota
	opNumber
	opBool
	opTimestamp
	opPath // a reference path to the value to compare against
)

// operators maps every data-test comparison operator to its operand type.
var operators = func() map[string]operand {
	m := map[string]operand{
		"StringMatches": opString,
		"BooleanEquals": opBool, "BooleanEqualsPath": opPath,
		"IsNull": opBool, "IsPresent": opBool, "IsNumeric": opBool, "IsString": opBool,
		"IsBoolean": opBool, "IsTimestamp": opBool,
	}
	for _, cmp := range []string{"Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"} {
		m["String"+cmp] = opString
		m["Numeric"+cmp] = opNumber
		m["Timestamp"+cmp] = opTimestamp
		m["String"+cmp+"Path"] = opPath
		m["Numeric"+cmp+"Path"] = opPath
		m["Timestamp"+cmp+"Path"] = opPath
	}
	return m
}()

func (v *validator) choice(path, name string, st map[string]any, sc *scope) {
	p := join(path, "Choices")
	raw, ok := st["Choices"]
	list, isList := raw.([]any)
	switch {
	case !ok:
		v.add(p, "is required")
	case !isList || len(list) == 0:
		v.add(p, "must be a non-empty array of rules")
	}
	for i, r := range list {
		v.rule(fmt.Sprintf("%s[%d]", p, i), name, r, sc, true)
	}
	if d, ok := st["Default"]; ok {
		v.target(join(path, "Default"), name, d, sc)
	}
}

// rule checks a Choice rule; top-level rules carry Next, nested ones (inside
// And, Or, Not) must not.
func (v *validator) rule(path, from string, raw any, sc *scope, top bool) {
	r, ok := raw.(map[string]any)
	if !ok {
		v.add(path, "a Choice rule must be an object, got %s", typeName(raw))
		return
	}
	var kinds []string
	for _, k := range sortedKeys(r) {
		_, isOp := operators[k]
		switch {
		case isOp || k == "And" || k == "Or" || k == "Not":
			kinds = append(kinds, k)
		case k == "Variable" || k == "Comment":
		case k == "Next" || k == "Assign":
			if !top {
				v.add(path, "field %q is not allowed in a nested Choice rule (inside And, Or or Not)", k)
			}
		default:
			v.add(path, "field %q is not allowed in a Choice rule", k)
		}
	}
	v.optString(path, r, "Comment")
	switch len(kinds) {
	case 0:
		v.add(path, "a Choice rule needs one comparison operator, And, Or or Not")
	case 1:
	default:
		v.add(path, "a Choice rule needs exactly one of a comparison operator, And, Or or Not, got %s", strings.Join(kinds, ", "))
	}
	if top {
		if next, ok := r["Next"]; ok {
			v.target(join(path, "Next"), from, next, sc)
		} else {
			v.add(join(path, "Next"), "is required in a top-level Choice rule")
		}
		if a, ok := r["Assign"]; ok {
			v.template(join(path, "Assign"), a)
		}
	}
	variable, hasVar := r["Variable"]
	isBoolean := false
	for _, k := range kinds {
		switch k {
		case "And", "Or":
			isBoolean = true
			list, ok := r[k].([]any)
			if !ok || len(list) == 0 {
				v.add(join(path, k), "must be a non-empty array of rules")
				continue
			}
			for i, sub := range list {
				v.rule(fmt.Sprintf("%s.%s[%d]", path, k, i), from, sub, sc, false)
			}
		case "Not":
			v.rule(join(path, "Not"), from, r["Not"], sc, false)
			isBoolean = true
		default:
			v.operand(join(path, k), k, r[k])
		}
	}
	switch {
	case isBoolean && hasVar:
		v.add(join(path, "Variable"), "is not allowed with And, Or or Not")
	case !isBoolean && len(kinds) > 0 && !hasVar:
		v.add(join(path, "Variable"), "is required with a comparison operator")
	case hasVar && !isBoolean:
		v.path(join(path, "Variable"), variable, referencePath)
	}
}

func (v *validator) operand(path, op string, val any) {
	want := operators[op]
	switch want {
	case opString:
		s, ok := val.(string)
		if !ok {
			v.add(path, "%s compares with a string, got %s", op, typeName(val))
			return
		}
		if op == "StringMatches" {
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' {
					if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
						v.add(path, "StringMatches pattern %q has a backslash not followed by * or \\", s)
						return
					}
					i++
				}
			}
		}
	case opNumber:
		if _, ok := val.(float64); !ok {
			v.add(path, "%s compares with a number, got %s", op, typeName(val))
		}
	case opBool:
		if _, ok := val.(bool); !ok {
			v.add(path, "%s takes a boolean, got %s", op, typeName(val))
		}
	case opTimestamp:
		s, ok := val.(string)
		if !ok || !isTimestamp(s) {
			v.add(path, "%s compares with an RFC 3339 timestamp like 2016-03-14T01:59:00Z, got %s", op, show(val))
		}
	case opPath:
		v.path(path, val, referencePath)
	}
}
