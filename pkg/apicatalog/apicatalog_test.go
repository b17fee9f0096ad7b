package apicatalog_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
)

const good = `
apis:
  - name: orders
    version: v1
    function: order-query
    spec: orders.v1.yaml
    state: deprecated
    deprecated: 2026-11-01
    sunset: 2027-03-31T12:00:00Z
    migration: https://docs.example.com/orders-v2
  - name: orders
    version: v2
    function: order-query
    spec: orders.v2.yaml
    state: active
    prefix: /v2
  - name: orders
    version: v0
    function: order-query
    spec: orders.v0.yaml
    state: retired
    prefix: /v0
    deprecated: "2025-01-01"
    sunset: "2026-01-01"
    migration: https://docs.example.com/orders-v2
`

func TestParse(t *testing.T) {
	c, err := apicatalog.Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(c.Entries))
	}
	v1 := c.Entries[0]
	if want := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC); !v1.Deprecated.Equal(want) {
		t.Errorf("deprecated = %v, want %v", v1.Deprecated, want)
	}
	if want := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC); !v1.Sunset.Equal(want) {
		t.Errorf("sunset = %v, want %v", v1.Sunset, want)
	}
	for _, tc := range []struct{ path, want string }{
		{"/orders", "orders/v1"}, {"/orders/42", "orders/v1"}, {"/v2/orders", "orders/v2"},
		{"/v2", "orders/v2"}, {"/v20/orders", "orders/v1"}, {"/v0/orders", "orders/v0"},
	} {
		e, ok := c.Match("order-query", tc.path)
		if !ok || e.ID() != tc.want {
			t.Errorf("Match(%q) = %s %v, want %s", tc.path, e.ID(), ok, tc.want)
		}
	}
	if _, ok := c.Match("payment", "/orders"); ok {
		t.Error("Match of a function with no API matched")
	}
	if got := v1.StateAt(time.Date(2027, 3, 31, 11, 59, 0, 0, time.UTC)); got != apicatalog.Deprecated {
		t.Errorf("StateAt before sunset = %s, want deprecated", got)
	}
	if got := v1.StateAt(time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC)); got != apicatalog.Retired {
		t.Errorf("StateAt at sunset = %s, want retired", got)
	}
	if got := len(c.ForFunction("order-query")); got != 3 {
		t.Errorf("ForFunction = %d entries, want 3", got)
	}
	if e, ok := c.Lookup("orders", "v2"); !ok || e.Prefix != "/v2" {
		t.Errorf("Lookup(orders, v2) = %+v %v", e, ok)
	}
}

func TestParseNamesEveryProblem(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "apis:\n  - name: a\n    versoin: v1\n", "versoin"},
		{"bad version", "apis:\n  - {name: a, version: 1, function: f, spec: a.yaml, state: active}\n", `version "1"`},
		{"bad state", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: gone}\n", `state "gone"`},
		{"spec path", "apis:\n  - {name: a, version: v1, function: f, spec: ../a.yaml, state: active}\n", `spec "../a.yaml"`},
		{"deprecated without date", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: deprecated, migration: 'https://x.example'}\n", "no deprecated date"},
		{"deprecated without guide", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: deprecated, deprecated: 2026-01-01}\n", "no migration guide"},
		{"http guide", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: deprecated, deprecated: 2026-01-01, migration: 'http://x.example'}\n", "https URL"},
		{"retired without sunset", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: retired, deprecated: 2026-01-01, migration: 'https://x.example'}\n", "no sunset date"},
		{"sunset before deprecated", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: sunset, deprecated: 2026-02-01, sunset: 2026-01-01, migration: 'https://x.example'}\n", "is before deprecated"},
		{"bad date", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: retired, deprecated: soon, migration: 'https://x.example'}\n", `"soon" is neither`},
		{"twice", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: active}\n  - {name: a, version: v1, function: g, spec: a.yaml, state: active, prefix: /x}\n", "listed twice"},
		{"same prefix", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: active}\n  - {name: b, version: v1, function: f, spec: b.yaml, state: active}\n", "already serves a/v1"},
		{"prefix slash", "apis:\n  - {name: a, version: v1, function: f, spec: a.yaml, state: active, prefix: /v1/}\n", `prefix "/v1/"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := apicatalog.Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestLoadNeedsEverySpec(t *testing.T) {
	fsys := fstest.MapFS{
		"api/catalog.yaml":   {Data: []byte(good)},
		"api/orders.v1.yaml": {Data: []byte("openapi: 3.1.0")},
		"api/orders.v2.yaml": {Data: []byte("openapi: 3.1.0")},
	}
	if _, err := apicatalog.Load(fsys, "api/catalog.yaml"); err == nil || !strings.Contains(err.Error(), "orders/v0: spec") {
		t.Fatalf("Load with a spec missing: %v, want an error naming orders/v0", err)
	}
	fsys["api/orders.v0.yaml"] = &fstest.MapFile{Data: []byte("openapi: 3.1.0")}
	if _, err := apicatalog.Load(fsys, "api/catalog.yaml"); err != nil {
		t.Fatal(err)
	}
}
