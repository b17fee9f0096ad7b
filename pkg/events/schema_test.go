package events_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/events"
)

// TestCatalogRefusesUnsupportedSchemas: a schema using a keyword (or a
// keyword value) the catalog's validator does not implement is refused by
// NewCatalogFS, naming the file, the keyword and where it is, rather than
// having part of it silently unchecked. With CompileOnFirstUse the same
// error reaches every event of the type and CompileAll.
func TestCatalogRefusesUnsupportedSchemas(t *testing.T) {
	const file = "dev.cogniforge.x.y.v1.json"
	schema := func(body string) string {
		return `{"$id":"https://schemas.cogniforge.dev/events/dev.cogniforge.x.y.v1.json","type":"object",` + body + `}`
	}
	tests := []struct {
		name string
		body string
		want []string // in the error, besides the file name
	}{
		{"pattern", `"properties":{"a":{"type":"string","pattern":"^a"}}`, []string{`"pattern"`, "/properties/a/pattern"}},
		{"const", `"properties":{"a":{"const":1}}`, []string{`"const"`, "/properties/a/const"}},
		{"oneOf at the root", `"oneOf":[{"type":"object"}]`, []string{`"oneOf"`, "at /oneOf"}},
		{"$ref", `"properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{}}`, []string{`"$defs"`}},
		{"typo", `"properties":{"a":{"type":"string","maxlength":3}}`, []string{`"maxlength"`, "/properties/a/maxlength"}},
		{"deep in items", `"properties":{"a":{"type":"array","items":{"uniqueItems":true}}}`, []string{`"uniqueItems"`, "/properties/a/items/uniqueItems"}},
		{"format other than date-time", `"properties":{"a":{"format":"email"}}`, []string{"format", `"email"`}},
		{"enum of numbers", `"properties":{"a":{"enum":[1,2]}}`, []string{"enum", "strings only"}},
		{"fractional bound", `"properties":{"a":{"minimum":0.5}}`, []string{"/properties/a/minimum", "integer"}},
		{"huge bound", `"properties":{"a":{"maximum":1e300}}`, []string{"/properties/a/maximum"}},
		{"negative length", `"properties":{"a":{"minLength":-1}}`, []string{"/properties/a/minLength"}},
		{"unknown type", `"properties":{"a":{"type":"nope"}}`, []string{"/properties/a/type", `"nope"`}},
		{"required but not declared", `"required":["b"],"properties":{"a":{}}`, []string{"/required", `"b"`}},
		{"boolean subschema", `"properties":{"a":true}`, []string{"/properties/a"}},
		{"nested $id", `"properties":{"a":{"$id":"x"}}`, []string{"/properties/a/$id"}},
		{"other draft", `"$schema":"http://json-schema.org/draft-07/schema#"`, []string{"$schema"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := mapFS(map[string]string{file: schema(tt.body)})
			_, err := events.NewCatalogFS(fsys)
			if err == nil {
				t.Fatal("NewCatalogFS accepted the schema")
			}
			for _, w := range append([]string{file}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			lazy, err := events.NewCatalogFS(fsys, events.CompileOnFirstUse())
			if err != nil {
				t.Fatalf("lazy NewCatalogFS: %v", err)
			}
			if err := lazy.ValidateData("dev.cogniforge.x.y.v1", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), file) {
				t.Errorf("lazy ValidateData = %v, want the schema's error", err)
			}
			if err := lazy.CompileAll(); err == nil || !strings.Contains(err.Error(), file) {
				t.Errorf("lazy CompileAll = %v, want the schema's error", err)
			}
		})
	}
}

// TestSupportedKeywords pins the supported set, so
// that widening it is a decision (with a differential test) and not a slip.
func TestSupportedKeywords(t *testing.T) {
	got := events.SupportedKeywords()
	want := []string{"$comment", "$id", "$schema", "additionalProperties", "default", "deprecated",
		"description", "enum", "examples", "exclusiveMaximum", "exclusiveMinimum", "format", "items",
		"maxItems", "maxLength", "maximum", "minItems", "minLength", "minimum", "properties", "required",
		"title", "type"}
	if !slices.Equal(got, want) {
		t.Errorf("SupportedKeywords() = %v, want %v", got, want)
	}
}

// TestDataMessages pins the wording of data problems, which HTTP problems
// and the CLI show: the field path, and the message with numbers written
// the English way.
func TestDataMessages(t *testing.T) {
	c := newCatalog(t)
	const base = `"service":"a","operation":"b","status":"ok","durationMs":1`
	tests := []struct {
		name string
		data string
		want []events.FieldError
	}{
		{"below minimum", `{"service":"a","operation":"b","status":"ok","durationMs":-1}`,
			[]events.FieldError{{Field: "data.durationMs", Message: "minimum: got -1, want 0"}}},
		{"above maximum", `{` + base + `,"httpStatus":1000}`,
			[]events.FieldError{{Field: "data.httpStatus", Message: "maximum: got 1,000, want 599"}}},
		{"not an integer", `{` + base + `,"httpStatus":200.5}`,
			[]events.FieldError{{Field: "data.httpStatus", Message: "got number, want integer"}}},
		{"wrong type", `{"service":"a","operation":"b","status":"ok","durationMs":"1"}`,
			[]events.FieldError{{Field: "data.durationMs", Message: "got string, want number"}}},
		{"enum", `{"service":"a","operation":"b","status":"fine","durationMs":1}`,
			[]events.FieldError{{Field: "data.status", Message: "value must be one of 'ok', 'error'"}}},
		{"empty string", `{"service":"","operation":"b","status":"ok","durationMs":1}`,
			[]events.FieldError{{Field: "data.service", Message: "minLength: got 0, want 1"}}},
		{"bad date-time", `{` + base + `,"timestamp":"2026-11-23 14:00:00Z"}`,
			[]events.FieldError{{Field: "data.timestamp", Message: "'2026-11-23 14:00:00Z' is not valid date-time: 11th character must be t or T"}}},
		{"missing and unknown", `{"operation":"b","status":"ok","durationMs":1,"x":1}`,
			[]events.FieldError{{Field: "data.service", Message: "is required"}, {Field: "data.x", Message: "is not a known property"}}},
		{"not an object", `[1]`, []events.FieldError{{Field: "data", Message: "got array, want object"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.ValidateData(events.TypeRequestCompleted, []byte(tt.data))
			var verr *events.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("ValidateData = %v, want a *ValidationError", err)
			}
			if !slices.Equal(verr.Fields, tt.want) {
				t.Errorf("fields = %q, want %q", verr.Fields, tt.want)
			}
		})
	}
}
