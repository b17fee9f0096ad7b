package events_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	eventfiles "github.com/cogniforge/cogniforge/events"
	"github.com/cogniforge/cogniforge/pkg/events"
)

var updateCompat = flag.Bool("update-compat", false,
	"write events/compat/<type>.json from the current schemas (only after TestSchemaCompatibility passes)")

// TestSchemaCompatibility is the versioning rule: each schema must stay
// backward compatible with its released snapshot in events/compat. A
// breaking change needs a new type (…v2) with its own schema.
func TestSchemaCompatibility(t *testing.T) {
	c := newCatalog(t)
	for _, typ := range c.Types() {
		t.Run(typ, func(t *testing.T) {
			cur := c.Schema(typ)
			snap, err := fs.ReadFile(eventfiles.Files, eventfiles.CompatDir+"/"+typ+".json")
			if err != nil {
				if *updateCompat {
					writeSnapshot(t, typ, cur)
					return
				}
				t.Fatalf("no snapshot events/compat/%s.json: a new type needs one; run "+
					"go test ./pkg/events -run TestSchemaCompatibility -update-compat", typ)
			}
			problems, err := events.CheckCompatible(snap, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("%s: %s: not backward compatible with events/compat/%s.json; "+
					"publish the change as a new version of the type instead", typ, p, typ)
			}
			if len(problems) == 0 && !bytes.Equal(snap, cur) && *updateCompat {
				writeSnapshot(t, typ, cur)
			}
		})
	}
	// A snapshot without a schema means a released type was deleted.
	snaps, _ := fs.Glob(eventfiles.Files, eventfiles.CompatDir+"/*.json")
	for _, s := range snaps {
		typ := strings.TrimSuffix(filepath.Base(s), ".json")
		if !c.Has(typ) {
			t.Errorf("released type %s has no schema any more; types are never removed", typ)
		}
	}
}

func writeSnapshot(t *testing.T, typ string, schema []byte) {
	t.Helper()
	p := filepath.Join("..", "..", "events", eventfiles.CompatDir, typ+".json")
	if err := os.WriteFile(p, schema, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", p)
}

func TestCheckCompatible(t *testing.T) {
	base := `{"type":"object","properties":{
		"a":{"type":"string","enum":["x","y"],"maxLength":5},
		"n":{"type":"integer","minimum":0,"maximum":10},
		"l":{"type":"array","items":{"type":"string"}},
		"o":{"type":"object","properties":{"k":{"type":"string"}},"required":["k"],"additionalProperties":false}},
		"required":["a"],"additionalProperties":false}`
	tests := []struct {
		name     string
		next     string
		breaking []string // substrings of the expected paths; empty: compatible
	}{
		{"unchanged", base, nil},
		{"annotations", strings.Replace(base, `"type":"object",`, `"type":"object","title":"T","description":"D",`, 1), nil},
		{"optional property added", strings.Replace(base, `"properties":{`, `"properties":{"z":{"type":"string"},`, 1), nil},
		{"enum widened", strings.Replace(base, `["x","y"]`, `["x","y","z"]`, 1), nil},
		{"integer widened to number", strings.Replace(base, `"type":"integer"`, `"type":"number"`, 1), nil},
		{"bound loosened", strings.Replace(base, `"maximum":10`, `"maximum":20`, 1), nil},
		{"additional allowed now", strings.Replace(base, `"required":["a"],"additionalProperties":false`, `"required":["a"]`, 1), nil},
		{"property removed", strings.Replace(base, `"a":{"type":"string","enum":["x","y"],"maxLength":5},`, ``, 1),
			[]string{"/properties/a"}},
		{"new required", strings.Replace(base, `"required":["a"]`, `"required":["a","n"]`, 1), []string{"/required"}},
		{"enum narrowed", strings.Replace(base, `["x","y"]`, `["x"]`, 1), []string{"/properties/a/enum"}},
		{"type narrowed", strings.Replace(base, `"type":"integer"`, `"type":"string"`, 1), []string{"/properties/n/type"}},
		{"bound tightened", strings.Replace(base, `"minimum":0`, `"minimum":1`, 1), []string{"/properties/n/minimum"}},
		{"bound added", strings.Replace(base, `"type":"string","enum"`, `"type":"string","minLength":2,"enum"`, 1), []string{"/properties/a/minLength"}},
		{"pattern added", strings.Replace(base, `"items":{"type":"string"}`, `"items":{"type":"string","pattern":"^a"}`, 1), []string{"/properties/l/items/pattern"}},
		{"nested required", strings.Replace(base, `"o":{"type":"object","properties":{"k":{"type":"string"}},"required":["k"]`,
			`"o":{"type":"object","properties":{"k":{"type":"string"},"j":{"type":"string"}},"required":["k","j"]`, 1), []string{"/properties/o/required"}},
		{"false schema", `false`, []string{"/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.CheckCompatible([]byte(base), []byte(tt.next))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.breaking) {
				t.Fatalf("incompatibilities = %v, want %d naming %v", got, len(tt.breaking), tt.breaking)
			}
			for i, want := range tt.breaking {
				if got[i].Path != want {
					t.Errorf("incompatibility %d = %v, want path %s", i, got[i], want)
				}
			}
		})
	}
	t.Run("additionalProperties closed", func(t *testing.T) {
		got, err := events.CheckCompatible([]byte(`{"type":"object"}`), []byte(`{"type":"object","additionalProperties":false}`))
		if err != nil || len(got) != 1 || got[0].Path != "/additionalProperties" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("unsupported keyword", func(t *testing.T) {
		_, err := events.CheckCompatible([]byte(`{"type":"object"}`), []byte(`{"oneOf":[{"type":"string"}]}`))
		if err == nil || !strings.Contains(err.Error(), "oneOf") {
			t.Fatalf("err = %v, want one naming oneOf", err)
		}
	})
}

// FuzzCheckCompatible: the checker never panics, and a schema it accepts is
// always compatible with itself.
func FuzzCheckCompatible(f *testing.F) {
	c := newCatalog(f)
	for _, typ := range c.Types() {
		f.Add(c.Schema(typ))
	}
	f.Add([]byte(`true`))
	f.Add([]byte(`{"type":["integer","null"],"const":3,"items":false}`))
	f.Fuzz(func(t *testing.T, schema []byte) {
		problems, err := events.CheckCompatible(schema, schema)
		if err == nil && len(problems) > 0 {
			t.Fatalf("schema %s incompatible with itself: %v", schema, problems)
		}
	})
}
