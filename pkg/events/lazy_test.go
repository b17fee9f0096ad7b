package events_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/events"
)

func newLazyCatalog(t testing.TB) *events.Catalog {
	t.Helper()
	c, err := events.NewCatalog(events.CompileOnFirstUse())
	if err != nil {
		t.Fatalf("NewCatalog(CompileOnFirstUse): %v", err)
	}
	return c
}

// TestLazyCatalogAgreesWithEager: compiling on first use changes when the
// work is done, not the answers: every example, and a broken copy of each,
// gets the same verdict and the same fields from both catalogs.
func TestLazyCatalogAgreesWithEager(t *testing.T) {
	eager, lazy := newCatalog(t), newLazyCatalog(t)
	if got, want := fmt.Sprint(lazy.Types()), fmt.Sprint(eager.Types()); got != want {
		t.Fatalf("lazy types %s, eager %s", got, want)
	}
	for name, b := range exampleFiles(t) {
		t.Run(name, func(t *testing.T) {
			good, err := events.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			bad := good.Clone()
			bad.DataEncoded = []byte(`{"unexpected":[1,2,3]}`)
			for _, e := range []struct {
				what string
				data []byte
			}{{"example", good.Data()}, {"broken", bad.Data()}} {
				ev := good.Clone()
				ev.DataEncoded = e.data
				l, g := lazy.Validate(ev), eager.Validate(ev)
				if fmt.Sprint(l) != fmt.Sprint(g) {
					t.Errorf("%s: lazy %v, eager %v", e.what, l, g)
				}
			}
		})
	}
	if err := lazy.CompileAll(); err != nil {
		t.Errorf("CompileAll after use: %v", err)
	}
}

// TestLazyCatalogDefersOnlyCompilation: with CompileOnFirstUse, NewCatalogFS
// still refuses bad names, JSON and $id at once; a schema that does not
// compile fails the events of its type (naming why), and CompileAll reports
// it, while the other types validate.
func TestLazyCatalogDefersOnlyCompilation(t *testing.T) {
	const good = `{"$id":"https://schemas.cogniforge.dev/events/dev.cogniforge.a.b.v1.json","type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}`
	const uncompilable = `{"$id":"https://schemas.cogniforge.dev/events/dev.cogniforge.c.d.v1.json","type":"nope"}`
	refused := map[string]string{
		"Bad.json":                   `{"$id":"x"}`,
		"dev.cogniforge.e.f.v1.json": `{"$id":"https://wrong/"}`,
		"dev.cogniforge.g.h.v1.json": `not json`,
	}
	for name, body := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := events.NewCatalogFS(mapFS(map[string]string{"dev.cogniforge.a.b.v1.json": good, name: body}), events.CompileOnFirstUse())
			if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(name, ".json")) {
				t.Errorf("NewCatalogFS = %v, want an error naming %s", err, name)
			}
		})
	}

	c, err := events.NewCatalogFS(mapFS(map[string]string{"dev.cogniforge.a.b.v1.json": good, "dev.cogniforge.c.d.v1.json": uncompilable}), events.CompileOnFirstUse())
	if err != nil {
		t.Fatalf("lazy NewCatalogFS compiled (or refused) a schema before its first use: %v", err)
	}
	if !c.Has("dev.cogniforge.c.d.v1") {
		t.Error("the uncompilable type is not listed")
	}
	if err := c.ValidateData("dev.cogniforge.a.b.v1", []byte(`{"n":1}`)); err != nil {
		t.Errorf("good type: %v", err)
	}
	if err := c.ValidateData("dev.cogniforge.a.b.v1", []byte(`{"n":"x"}`)); err == nil {
		t.Error("good type accepted a string for an integer")
	}
	err = c.ValidateData("dev.cogniforge.c.d.v1", []byte(`{}`))
	var verr *events.ValidationError
	if !errors.As(err, &verr) || verr.FieldName() != "data" || !strings.Contains(err.Error(), "compile dev.cogniforge.c.d.v1") {
		t.Errorf("uncompilable type: %v, want a *ValidationError on data naming the compile error", err)
	}
	if err := c.CompileAll(); err == nil || !strings.Contains(err.Error(), "dev.cogniforge.c.d.v1") {
		t.Errorf("CompileAll = %v, want the uncompilable schema named", err)
	}
	// Eagerly, the same files are refused at once.
	if _, err := events.NewCatalogFS(mapFS(map[string]string{"dev.cogniforge.a.b.v1.json": good, "dev.cogniforge.c.d.v1.json": uncompilable})); err == nil {
		t.Error("eager NewCatalogFS accepted an uncompilable schema")
	}
}

// TestLazyCatalogFirstUseConcurrently compiles every type from several
// goroutines at once (run with -race): each schema is compiled once, under
// the catalog's lock, and every goroutine sees the compiled checker.
func TestLazyCatalogFirstUseConcurrently(t *testing.T) {
	c := newLazyCatalog(t)
	examples := exampleFiles(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name, b := range examples {
				e, err := events.Decode(b)
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.Validate(e); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				if err := c.ValidateData(e.Type(), []byte(`[]`)); err == nil {
					t.Errorf("%s: an array validated as its data", name)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkNewCatalog is the part of a function's cold start the catalog
// costs: eager compiles every schema, lazy only reads and checks the files.
func BenchmarkNewCatalog(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []events.CatalogOption
	}{{"eager", nil}, {"lazy", []events.CatalogOption{events.CompileOnFirstUse()}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := events.NewCatalog(tc.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
