package orderview_test

import (
	"io/fs"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/orderview"
)

// TestSpecsDocumentEachVersionsRoutes: every route of order-query is an
// operation of the spec of the version that path belongs to
// (apicatalog.Match), and orders.v2.yaml documents nothing else; the
// retired v0 is served by no route (the lifecycle middleware answers 410).
func TestSpecsDocumentEachVersionsRoutes(t *testing.T) {
	b, err := fs.ReadFile(api.Files, api.CatalogFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := apicatalog.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[string][]string{}
	for _, r := range orderview.Routes {
		e, ok := c.Match(orderview.FunctionName, r.Path)
		if !ok {
			t.Fatalf("route %s belongs to no version of the catalog", r.Path)
		}
		byVersion[e.ID()] = append(byVersion[e.ID()], r.Method+" "+r.Path)
	}
	if len(byVersion["orders/v0"]) != 0 {
		t.Errorf("routes of the retired v0: %v", byVersion["orders/v0"])
	}
	for _, id := range []string{"orders/v2", "orders/v0"} {
		name, version, _ := strings.Cut(id, "/")
		e, _ := c.Lookup(name, version)
		raw, err := fs.ReadFile(api.Files, e.Spec)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			OpenAPI string                               `yaml:"openapi"`
			Paths   map[string]map[string]map[string]any `yaml:"paths"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", e.Spec, err)
		}
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("%s: openapi %q", e.Spec, doc.OpenAPI)
		}
		var ops []string
		for p, item := range doc.Paths {
			if !strings.HasPrefix(p, e.Prefix+"/") {
				t.Errorf("%s: path %s outside the prefix %s", e.Spec, p, e.Prefix)
			}
			for m, op := range item {
				ops = append(ops, strings.ToUpper(m)+" "+p)
				if _, ok := op["security"]; !ok {
					t.Errorf("%s: %s %s has no security", e.Spec, m, p)
				}
			}
		}
		sort.Strings(ops)
		want := byVersion[id]
		if id == "orders/v0" {
			want = []string{"GET /v0/orders", "GET /v0/orders/{id}"}
		}
		sort.Strings(want)
		if strings.Join(ops, ",") != strings.Join(want, ",") {
			t.Errorf("%s documents %v; the function serves %v", e.Spec, ops, want)
		}
	}
}
