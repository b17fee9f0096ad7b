package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The reference: santhosh-tekuri/jsonschema, a general JSON Schema
// validator, which the catalog used until its package init proved to cost a
// fifth of a function's start-up. It stays in the tests only, to hold the
// catalog's own validator to the same verdicts, fields and messages.

// referenceSchemas compiles every schema of c with jsonschema.
func referenceSchemas(tb testing.TB, c *Catalog) map[string]*jsonschema.Schema {
	tb.Helper()
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.AssertFormat()
	for _, typ := range c.types {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.entries[typ].raw))
		if err != nil {
			tb.Fatal(err)
		}
		if err := comp.AddResource(SchemaBaseURL+typ+".json", doc); err != nil {
			tb.Fatal(err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(c.types))
	for _, typ := range c.types {
		s, err := comp.Compile(SchemaBaseURL + typ + ".json")
		if err != nil {
			tb.Fatalf("jsonschema does not compile %s: %v", typ, err)
		}
		out[typ] = s
	}
	return out
}

var referencePrinter = message.NewPrinter(language.English)

// referenceDescribe is how the catalog described invalid data with
// jsonschema: one FieldError per leaf of its error tree, sorted by field.
func referenceDescribe(s *jsonschema.Schema, data []byte) []FieldError {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return []FieldError{{Field: "data", Message: "is not valid JSON: " + err.Error()}}
	}
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []FieldError{{Field: "data", Message: err.Error()}}
	}
	var out []FieldError
	referenceCollect(verr, v, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func referenceCollect(e *jsonschema.ValidationError, root any, out *[]FieldError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			referenceCollect(c, root, out)
		}
		return
	}
	at := referencePath(root, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, FieldError{Field: at + "." + m, Message: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, FieldError{Field: at + "." + p, Message: "is not a known property"})
		}
	default:
		*out = append(*out, FieldError{Field: at, Message: k.LocalizedString(referencePrinter)})
	}
}

// referencePath renders a JSON pointer's tokens as data.a.b[2].
func referencePath(v any, tokens []string) string {
	var b strings.Builder
	b.WriteString("data")
	for _, t := range tokens {
		switch x := v.(type) {
		case []any:
			b.WriteString("[" + t + "]")
			if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(x) {
				v = x[i]
			} else {
				v = nil
			}
		case map[string]any:
			b.WriteString("." + t)
			v = x[t]
		default:
			b.WriteString("." + t)
			v = nil
		}
	}
	return b.String()
}

// sameProblems reports whether two lists hold the same field errors, in any
// order (two problems of one field may come in either order).
func sameProblems(a, b []FieldError) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(l []FieldError) []string {
		out := make([]string, len(l))
		for i, f := range l {
			out[i] = f.Field + "\x00" + f.Message
		}
		sort.Strings(out)
		return out
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}

// kitchenSink uses every supported keyword, so that the differential tests
// cover those the catalog's schemas do not use yet.
const kitchenSink = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://schemas.cogniforge.dev/events/dev.cogniforge.test.sink.v1.json",
  "title": "t", "description": "d", "$comment": "c", "examples": [{}], "default": {}, "deprecated": false,
  "type": "object",
  "required": ["s", "n"],
  "additionalProperties": false,
  "properties": {
    "s": {"type": "string", "minLength": 2, "maxLength": 5},
    "e": {"enum": ["a", "b'c", "d\"e", "f\\"]},
    "e1": {"type": ["string", "null"], "enum": ["only"]},
    "t": {"type": "string", "format": "date-time"},
    "f": {"format": "date-time"},
    "n": {"type": "number", "minimum": -3, "maximum": 1000000},
    "x": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
    "any": {},
    "multi": {"type": ["integer", "boolean", "array"], "minItems": 1, "maxItems": 2, "items": {"type": "integer", "maximum": 1234}},
    "list": {"type": "array", "items": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}}, "additionalProperties": {"type": "boolean"}}},
    "open": {"type": "object", "properties": {"1": {"type": "null"}}}
  }
}`

// kitchenSinkCatalog is a catalog of kitchenSink alone.
func kitchenSinkCatalog(tb testing.TB) *Catalog {
	tb.Helper()
	c, err := NewCatalogFS(fstest.MapFS{"dev.cogniforge.test.sink.v1.json": {Data: []byte(kitchenSink)}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
