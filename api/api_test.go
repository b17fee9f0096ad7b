package api_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// gatewayFunction serves CloudEvents and no JSON routes: its API is the
// events path.
const gatewayFunction = "event-gateway"

// eventsPath is the CloudEvents binding every HTTP function serves (POST a
// binary, structured or batch event), under a version's prefix.
func eventsPath(prefix string) string { return "POST " + prefix + "/" }

func catalog(t *testing.T) *apicatalog.Catalog {
	t.Helper()
	c, err := apicatalog.Load(api.Files, api.CatalogFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadSpec(t *testing.T, e apicatalog.Entry) *openapi3.T {
	t.Helper()
	data, err := fs.ReadFile(api.Files, e.Spec)
	if err != nil {
		t.Fatalf("%s: %v", e.ID(), err)
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(data)
	if err != nil {
		t.Fatalf("%s: %s: %v", e.ID(), e.Spec, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s: %s: invalid OpenAPI: %v", e.ID(), e.Spec, err)
	}
	return doc
}

// operations lists a spec's operations as "METHOD /path".
func operations(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	for p, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			out[strings.ToUpper(m)+" "+p] = true
		}
	}
	return out
}

func TestCatalogLoads(t *testing.T) {
	c := catalog(t)
	if len(c.Entries) == 0 {
		t.Fatal("the catalog lists no API")
	}
}

func TestSpecsAreValidOpenAPI31(t *testing.T) {
	for _, e := range catalog(t).Entries {
		t.Run(e.ID(), func(t *testing.T) {
			doc := loadSpec(t, e)
			if !strings.HasPrefix(doc.OpenAPI, "3.1") {
				t.Errorf("openapi %q: want 3.1.x", doc.OpenAPI)
			}
			if doc.Info.Version != e.Version {
				t.Errorf("info.version %q: the catalog says %q", doc.Info.Version, e.Version)
			}
			if len(doc.Servers) == 0 {
				t.Error("no servers")
			}
			for _, s := range doc.Servers {
				if !strings.HasPrefix(s.URL, "https://") {
					t.Errorf("server %q: want https", s.URL)
				}
			}
			for op := range operations(doc) {
				m, p, _ := strings.Cut(op, " ")
				o := doc.Paths.Value(p).GetOperation(m)
				if o.Security == nil || len(*o.Security) == 0 {
					t.Errorf("%s: no security requirement", op)
				}
				if o.OperationID == "" {
					t.Errorf("%s: no operationId", op)
				}
				r := o.Responses.Status(429)
				if r == nil || r.Value == nil || r.Value.Headers["Retry-After"] == nil {
					t.Errorf("%s: no 429 response with Retry-After", op)
				}
			}
		})
	}
}

// functions builds every function of the registry, as the local runtime does.
func functions(t *testing.T) map[string]faas.Function {
	t.Helper()
	cat, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fns, err := registry.Build(wiring.Ports{
		Store: memory.New(memory.Config{}), Bus: &bustest.Recorder{}, Catalog: cat,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]faas.Function{}
	for _, fn := range fns {
		out[fn.Name] = fn
	}
	return out
}

// TestSpecsMatchRoutes holds the specs to the implementation: every HTTP API
// (the gateway, every function with JSON routes) is in the catalog, every
// route of a version is an operation of its spec, and every operation is a
// route or the events path. A route added without a spec change fails here.
func TestSpecsMatchRoutes(t *testing.T) {
	c := catalog(t)
	fns := functions(t)
	for name, fn := range fns {
		if len(fn.Routes) == 0 && name != gatewayFunction {
			continue
		}
		if len(c.ForFunction(name)) == 0 {
			t.Errorf("function %s serves an HTTP API (%d routes) but api/catalog.yaml lists no version of it", name, len(fn.Routes))
		}
	}
	for _, e := range c.Entries {
		t.Run(e.ID(), func(t *testing.T) {
			fn, ok := fns[e.Function]
			if !ok {
				t.Fatalf("function %q: not in the registry", e.Function)
			}
			ops := operations(loadSpec(t, e))
			routes := map[string]bool{}
			for _, r := range fn.Routes {
				if r.Method == "" {
					t.Errorf("route %s takes any method: give it one so the spec can say which", r.Path)
					continue
				}
				k := strings.ToUpper(r.Method) + " " + e.Prefix + r.Path
				routes[k] = true
				if !ops[k] {
					t.Errorf("route %s is not an operation of %s", k, e.Spec)
				}
			}
			var extra []string
			for op := range ops {
				if !routes[op] && op != eventsPath(e.Prefix) {
					extra = append(extra, op)
				}
			}
			sort.Strings(extra)
			for _, op := range extra {
				t.Errorf("%s documents %s, which %s does not serve", e.Spec, op, e.Function)
			}
			if e.Function == gatewayFunction && !ops[eventsPath(e.Prefix)] {
				t.Errorf("%s does not document the events path %s", e.Spec, eventsPath(e.Prefix))
			}
		})
	}
}
