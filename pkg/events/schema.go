package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The catalog's schemas are checked by a validator of its own, written for
// the few keywords they use, rather than by a general JSON Schema library:
// such a library compiles every draft's metaschema in its package init, a
// fifth of each function's start-up CPU (issue 9). A schema using any other
// keyword is refused by compileSchema, naming the file and the keyword, so
// that no keyword is ever silently ignored. The tests keep a general
// validator (santhosh-tekuri/jsonschema) as the reference: for every example
// and for fuzzed data the two agree on the verdict, the fields and the
// messages.

// SchemaDraft is the only $schema the catalog accepts (a schema may also
// leave $schema out).
const SchemaDraft = "https://json-schema.org/draft/2020-12/schema"

// SupportedKeywords lists the JSON Schema keywords the catalog implements,
// sorted; NewCatalogFS refuses a schema using any other. Annotations
// ($schema, $id at the root, $comment, title, description, examples,
// default, deprecated) are accepted and do not affect validation. Further
// limits, each refused with a clear error: enum lists strings only; bounds
// (minimum, maximum, exclusiveMinimum, exclusiveMaximum) are integers of at
// most 2^52 in magnitude, so that they compare exactly with any JSON number;
// format is date-time only; required names declared properties only; an
// object declares at most 64 properties.
func SupportedKeywords() []string {
	out := make([]string, 0, len(keywords))
	for k := range keywords {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// keywords is the set SupportedKeywords lists; compileNode compiles each one.
var keywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true,
	"type": true, "enum": true, "format": true,
	"properties": true, "required": true, "additionalProperties": true, "items": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minLength": true, "maxLength": true, "minItems": true, "maxItems": true,
}

// typeNames is JSON Schema's type names in the order messages list them.
var typeNames = [...]struct {
	name string
	bits uint8
}{
	{"null", tNull}, {"boolean", tBool}, {"number", tNumber | tInteger}, {"integer", tInteger},
	{"string", tString}, {"array", tArray}, {"object", tObject},
}

// maxExactBound is the largest magnitude of a bound that float64 holds
// exactly with room to compare against any parsed JSON number.
const maxExactBound = 1 << 52

// schemaError is a problem of a schema at a JSON pointer into it.
type schemaError struct {
	at  string
	msg string
}

func (e *schemaError) Error() string {
	at := e.at
	if at == "" {
		at = "/"
	}
	return "at " + at + ": " + e.msg
}

func errAt(at, format string, args ...any) error {
	return &schemaError{at: at, msg: fmt.Sprintf(format, args...)}
}

// parseSchema decodes a schema file, keeping numbers exact for compileSchema.
func parseSchema(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON after the top-level value")
	}
	return doc, nil
}

// compileSchema turns a parsed schema (see parseSchema) into the checker
// Validate runs, or says which keyword at which place it cannot honour.
func compileSchema(doc any) (*fnode, error) {
	return compileNode(doc, "", true)
}

func compileNode(v any, at string, root bool) (*fnode, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errAt(at, "a schema must be a JSON object here, got %s", jsonKind(v))
	}
	n := &fnode{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		kat := at + "/" + escapePointer(k)
		if !keywords[k] {
			return nil, errAt(kat, "keyword %q is not supported by the catalog's validator (supported: %s)", k, strings.Join(SupportedKeywords(), ", "))
		}
		if err := annotation(k, m[k], kat, root); err != nil {
			return nil, err
		}
		var err error
		switch k {
		case "type":
			err = compileType(n, m[k], kat)
		case "enum":
			err = compileEnum(n, m[k], kat)
		case "format":
			err = compileFormat(n, m[k], kat)
		case "items":
			n.items, err = compileNode(m[k], kat, false)
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			err = compileBound(n, k, m[k], kat)
		case "minLength", "maxLength", "minItems", "maxItems":
			err = compileCount(n, k, m[k], kat)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := compileObject(n, m, at); err != nil {
		return nil, err
	}
	return n, nil
}

// annotation checks the value of an annotation keyword; it returns nil for
// the other keywords.
func annotation(k string, v any, at string, root bool) error {
	switch k {
	case "$schema":
		if v != SchemaDraft {
			return errAt(at, "$schema must be %q", SchemaDraft)
		}
		if !root {
			return errAt(at, "$schema is allowed only at the root")
		}
	case "$id":
		if !root {
			return errAt(at, "$id is allowed only at the root (the catalog does not resolve references)")
		}
		if _, ok := v.(string); !ok {
			return errAt(at, "$id must be a string")
		}
	case "$comment", "title", "description":
		if _, ok := v.(string); !ok {
			return errAt(at, "%s must be a string", k)
		}
	case "examples":
		if _, ok := v.([]any); !ok {
			return errAt(at, "examples must be an array")
		}
	case "deprecated":
		if _, ok := v.(bool); !ok {
			return errAt(at, "deprecated must be a boolean")
		}
	}
	return nil
}

func compileType(n *fnode, v any, at string) error {
	var list []any
	switch t := v.(type) {
	case string:
		list = []any{t}
	case []any:
		if len(t) == 0 {
			return errAt(at, "type must list at least one type")
		}
		list = t
	default:
		return errAt(at, "type must be a string or an array of strings")
	}
	var declared uint8 // bit i: typeNames[i]
	for _, e := range list {
		s, _ := e.(string)
		i := typeIndex(s)
		if i < 0 {
			return errAt(at, "unknown type %s (want null, boolean, number, integer, string, array or object)", jsonText(e))
		}
		if declared&(1<<i) != 0 {
			return errAt(at, "type %q is listed twice", s)
		}
		declared |= 1 << i
		n.types |= typeNames[i].bits
	}
	for i, tn := range typeNames {
		if declared&(1<<i) != 0 {
			n.typeList = append(n.typeList, tn.name)
		}
	}
	return nil
}

func typeIndex(s string) int {
	for i, tn := range typeNames {
		if tn.name == s {
			return i
		}
	}
	return -1
}

func compileEnum(n *fnode, v any, at string) error {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return errAt(at, "enum must be a non-empty array")
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return errAt(at, "enum may list strings only, got %s", jsonText(e))
		}
		n.enum = append(n.enum, s)
	}
	n.hasEnum = true
	return nil
}

func compileFormat(n *fnode, v any, at string) error {
	if v != "date-time" {
		return errAt(at, "format %s is not supported (only \"date-time\")", jsonText(v))
	}
	n.dateTime = true
	return nil
}

func compileBound(n *fnode, k string, v any, at string) error {
	num, ok := v.(json.Number)
	if !ok {
		return errAt(at, "must be a number")
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || i > maxExactBound || i < -maxExactBound {
		return errAt(at, "only integer bounds of at most 2^52 in magnitude are supported, got %s", num)
	}
	f := float64(i)
	switch k {
	case "minimum":
		n.min, n.hasMin = f, true
	case "maximum":
		n.max, n.hasMax = f, true
	case "exclusiveMinimum":
		n.exMin, n.hasExMin = f, true
	case "exclusiveMaximum":
		n.exMax, n.hasExMax = f, true
	}
	return nil
}

func compileCount(n *fnode, k string, v any, at string) error {
	num, ok := v.(json.Number)
	i, err := strconv.ParseInt(string(num), 10, 0)
	if !ok || err != nil || i < 0 || i > math.MaxInt32 {
		return errAt(at, "must be a non-negative integer, got %s", jsonText(v))
	}
	switch k {
	case "minLength":
		n.minLen = int(i)
	case "maxLength":
		n.maxLen = int(i)
	case "minItems":
		n.minItems = int(i)
	case "maxItems":
		n.maxItems = int(i)
	}
	return nil
}

// object compiles properties, required and additionalProperties together:
// required refers to the declared properties.
func compileObject(n *fnode, m map[string]any, at string) error {
	if pv, ok := m["properties"]; ok {
		props, ok := pv.(map[string]any)
		if !ok {
			return errAt(at+"/properties", "properties must be an object")
		}
		if len(props) > 64 {
			return errAt(at+"/properties", "at most 64 properties are supported, got %d", len(props))
		}
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		n.propIndex = make(map[string]int, len(props))
		for _, name := range names {
			sub, err := compileNode(props[name], at+"/properties/"+escapePointer(name), false)
			if err != nil {
				return err
			}
			n.propIndex[name] = len(n.props)
			n.props = append(n.props, sub)
		}
	}
	if rv, ok := m["required"]; ok {
		list, ok := rv.([]any)
		if !ok {
			return errAt(at+"/required", "required must be an array of strings")
		}
		for _, e := range list {
			name, ok := e.(string)
			if !ok {
				return errAt(at+"/required", "required must be an array of strings, got %s", jsonText(e))
			}
			i, declared := n.propIndex[name]
			if !declared {
				return errAt(at+"/required", "required property %q is not declared in properties", name)
			}
			if n.required&(1<<i) != 0 {
				return errAt(at+"/required", "required property %q is listed twice", name)
			}
			n.required |= 1 << i
			n.requiredList = append(n.requiredList, name)
		}
	}
	if av, ok := m["additionalProperties"]; ok {
		switch a := av.(type) {
		case bool:
			n.noAdditional = !a
		default:
			sub, err := compileNode(a, at+"/additionalProperties", false)
			if err != nil {
				return err
			}
			n.additional = sub
		}
	}
	return nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// printer formats the numbers in messages the English way (1,000), as the
// messages have always read.
var printer = message.NewPrinter(language.English)

// describe validates data under n and returns one FieldError per problem,
// sorted by field. Problems follow JSON Schema's evaluation: a value of the
// wrong type, outside its enum or badly formatted gets that one problem;
// otherwise every keyword of its type is checked, and objects and arrays
// descend into their members.
func describe(n *fnode, data []byte) []FieldError {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return []FieldError{{Field: "data", Message: "is not valid JSON: " + err.Error()}}
	}
	var out []FieldError
	n.describe(v, "data", &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func (n *fnode) describe(v any, at string, out *[]FieldError) {
	add := func(format string, args ...any) {
		*out = append(*out, FieldError{Field: at, Message: printer.Sprintf(format, args...)})
	}
	if n.types != 0 && !n.typeMatches(v) {
		add("got %s, want %s", valueType(v), strings.Join(n.typeList, " or "))
		return
	}
	if n.hasEnum {
		s, ok := v.(string)
		found := false
		for _, e := range n.enum {
			if ok && e == s {
				found = true
				break
			}
		}
		if !found {
			if len(n.enum) == 1 {
				add("value must be %s", quote(n.enum[0]))
			} else {
				want := make([]string, len(n.enum))
				for i, e := range n.enum {
					want[i] = quote(e)
				}
				add("value must be one of %s", strings.Join(want, ", "))
			}
			return
		}
	}
	if s, ok := v.(string); ok && n.dateTime {
		if why := dateTimeProblem(s); why != "" {
			add("%s is not valid %s: %v", quote(s), "date-time", why)
			return
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, name := range n.requiredList {
			if _, ok := x[name]; !ok {
				*out = append(*out, FieldError{Field: at + "." + name, Message: "is required"})
			}
		}
		for name, pv := range x {
			if i, ok := n.propIndex[name]; ok {
				n.props[i].describe(pv, at+"."+name, out)
			} else if n.noAdditional {
				*out = append(*out, FieldError{Field: at + "." + name, Message: "is not a known property"})
			} else if n.additional != nil {
				n.additional.describe(pv, at+"."+name, out)
			}
		}
	case []any:
		if n.minItems >= 0 && len(x) < n.minItems {
			add("minItems: got %d, want %d", len(x), n.minItems)
		}
		if n.maxItems >= 0 && len(x) > n.maxItems {
			add("maxItems: got %d, want %d", len(x), n.maxItems)
		}
		if n.items != nil {
			for i, item := range x {
				n.items.describe(item, at+"["+strconv.Itoa(i)+"]", out)
			}
		}
	case string:
		if n.minLen >= 0 || n.maxLen >= 0 {
			l := utf8.RuneCountInString(x)
			if n.minLen >= 0 && l < n.minLen {
				add("minLength: got %d, want %d", l, n.minLen)
			}
			if n.maxLen >= 0 && l > n.maxLen {
				add("maxLength: got %d, want %d", l, n.maxLen)
			}
		}
	case float64:
		if x == 0 {
			x = 0 // -0 reads as 0
		}
		if n.hasMin && x < n.min {
			add("minimum: got %v, want %v", x, n.min)
		}
		if n.hasMax && x > n.max {
			add("maximum: got %v, want %v", x, n.max)
		}
		if n.hasExMin && x <= n.exMin {
			add("exclusiveMinimum: got %v, want %v", x, n.exMin)
		}
		if n.hasExMax && x >= n.exMax {
			add("exclusiveMaximum: got %v, want %v", x, n.exMax)
		}
	}
}

func (n *fnode) typeMatches(v any) bool {
	switch x := v.(type) {
	case nil:
		return n.types&tNull != 0
	case bool:
		return n.types&tBool != 0
	case float64:
		return n.types&tNumber != 0 || n.types&tInteger != 0 && x == math.Trunc(x)
	case string:
		return n.types&tString != 0
	case []any:
		return n.types&tArray != 0
	}
	return n.types&tObject != 0
}

// valueType names the JSON type of a decoded value; every number is a
// "number", as in JSON Schema's messages.
func valueType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// quote renders s in single quotes for messages: Go escapes, with double
// quotes unescaped and single quotes escaped. The unescaping runs over the
// whole quoted string, closing quote included, so a string ending in a
// backslash loses one: the messages have always read so.
func quote(s string) string {
	q := strings.ReplaceAll(strconv.Quote(s), `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}

// validDateTime reports whether s is an RFC 3339 date-time.
func validDateTime(s string) bool { return dateTimeProblem(s) == "" }

// dateTimeProblem says why s is not an RFC 3339 date-time (section 5.6),
// or returns "" when it is one. A leap second (:60) is accepted at 23:59 UTC
// only. The wording matches the messages the catalog has always given.
func dateTimeProblem(s string) string {
	if len(s) < 20 {
		return "less than 20 characters long"
	}
	if s[10] != 'T' && s[10] != 't' {
		return "11th character must be t or T"
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return "invalid date element: " + err.Error()
	}
	if why := timeProblem(s[11:]); why != "" {
		return "invalid time element: " + why
	}
	return ""
}

// timeProblem checks RFC 3339's full-time: hh:mm:ss[.frac](Z|±hh:mm).
func timeProblem(t string) string {
	if len(t) < 9 {
		return "less than 9 characters long"
	}
	if t[2] != ':' || t[5] != ':' {
		return "missing colon in correct place"
	}
	var hms [3]int
	for i, tok := range [3]string{t[0:2], t[3:5], t[6:8]} {
		// t[6:8] may hold a colon ("12:00::1"): Atoi refuses it.
		v, err := strconv.Atoi(tok)
		if err != nil {
			return "invalid hour/min/sec"
		}
		if v < 0 {
			return "non-positive hour/min/sec"
		}
		hms[i] = v
	}
	h, m, sec := hms[0], hms[1], hms[2]
	if h > 23 || m > 59 || sec > 60 {
		return "hour/min/sec out of range"
	}
	rest := t[8:]
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		k := 0
		for k < len(frac) && frac[k] >= '0' && frac[k] <= '9' {
			k++
		}
		if k == 0 {
			return "no digits in second fraction"
		}
		rest = frac[k:]
	}
	if rest != "Z" && rest != "z" {
		if len(rest) != 6 {
			return "offset must be 6 characters long"
		}
		var toUTC int // minutes to add to local time to get UTC
		switch rest[0] {
		case '+':
			toUTC = -1
		case '-':
			toUTC = 1
		default:
			return "offset must begin with plus/minus"
		}
		if rest[3] != ':' {
			return "missing colon in offset in correct place"
		}
		var zhm [2]int
		for i, tok := range [2]string{rest[1:3], rest[4:6]} {
			v, err := strconv.Atoi(tok)
			if err != nil {
				return "invalid hour/min in offset"
			}
			if v < 0 {
				return "non-positive hour/min in offset"
			}
			zhm[i] = v
		}
		zh, zm := zhm[0], zhm[1]
		if zh > 23 || zm > 59 {
			return "hour/min in offset out of range"
		}
		utc := h*60 + m + toUTC*(zh*60+zm)
		if utc < 0 {
			utc += 24 * 60
		}
		h, m = utc/60, utc%60
	}
	if sec == 60 && (h != 23 || m != 59) {
		return "invalid leap second"
	}
	return ""
}
