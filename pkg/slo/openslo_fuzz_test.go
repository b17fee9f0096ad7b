package slo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the example
// definitions: it must not panic, and either every SLO it returns is one
// the aggregator and evaluator can use, or every error is a
// DefinitionError naming the source.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "config", "slos", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if len(files) == 0 {
		f.Fatal("no seed definitions in config/slos")
	}
	f.Add([]byte(baseSLO))
	f.Add([]byte("kind: SLO\n---\n---\napiVersion: openslo/v1\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		slos, err := Parse("f.yaml", data)
		if err != nil {
			if slos != nil {
				t.Fatal("SLOs with an error")
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var de *DefinitionError
				if !errors.As(e, &de) || de.File != "f.yaml" || de.Msg == "" {
					t.Fatalf("%T %v", e, e)
				}
			}
			return
		}
		names := map[string]bool{}
		for _, s := range slos {
			switch {
			case s.Name == "" || names[s.Name]:
				t.Fatalf("name %q empty or twice", s.Name)
			case !(s.Target > 0 && s.Target < 1):
				t.Fatalf("target %v", s.Target)
			case s.HasGood == s.HasBad:
				t.Fatalf("good %v bad %v", s.HasGood, s.HasBad)
			case (s.Window.Rolling > 0) == (s.Window.Calendar != ""):
				t.Fatalf("window %+v", s.Window)
			case len(s.Alerts) == 0:
				t.Fatal("no alert rules")
			case s.Budgeting == Timeslices && (s.TimeSliceWindow <= 0 || s.TimeSliceTarget <= 0 || s.TimeSliceTarget > 1):
				t.Fatalf("slices %v %v", s.TimeSliceWindow, s.TimeSliceTarget)
			case s.MinEvents < 0:
				t.Fatalf("min events %d", s.MinEvents)
			}
			for _, r := range s.Alerts {
				if r.Short <= 0 || r.Short >= r.Long || (r.Severity != "page" && r.Severity != "ticket") || r.Factor(osloShortest(s.Window)) <= 0 {
					t.Fatalf("rule %+v", r)
				}
			}
			names[s.Name] = true
		}
	})
}
