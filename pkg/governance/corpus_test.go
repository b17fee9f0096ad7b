package governance

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/findings/*.golden from the current audit")

// TestCorpusFindings audits every spec of testdata/findings and compares
// its (rule, path) pairs with the golden list beside it.
func TestCorpusFindings(t *testing.T) {
	specs, _ := filepath.Glob("testdata/findings/*.yaml")
	if len(specs) < 10 {
		t.Fatalf("corpus has %d specs, want one per OWASP category at least", len(specs))
	}
	categories := map[string]bool{}
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			rep := auditFile(t, spec)
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Rule+"\t"+f.Path)
				categories[f.Category] = true
				if f.Message == "" || f.Hint == "" || f.Line == 0 {
					t.Errorf("%s at %s: message %q, hint %q, line %d: want all three", f.Rule, f.Path, f.Message, f.Hint, f.Line)
				}
				if r, ok := RuleByID(f.Rule); !ok || r.Category != f.Category || r.Severity != f.Severity {
					t.Errorf("finding %+v does not match its rule %+v", f, r)
				}
			}
			sort.Strings(got)
			golden := strings.TrimSuffix(spec, ".yaml") + ".golden"
			if *update {
				os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644)
			}
			raw, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSpace(string(raw)), "\n")
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings differ from %s\n got:\n%s\nwant:\n%s", golden, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	for _, c := range []string{API1, API2, API3, API4, API5, API6, API7, API8, API9, API10} {
		if !categories[c] {
			t.Errorf("no corpus spec triggers %s", c)
		}
	}
}

// TestCleanSpecs: well-designed specs have no error-level finding (the
// issue's contract) and score at least 90.
func TestCleanSpecs(t *testing.T) {
	specs, _ := filepath.Glob("testdata/clean/*")
	if len(specs) == 0 {
		t.Fatal("no clean specs")
	}
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			rep := auditFile(t, spec)
			for _, f := range rep.Findings {
				if f.Severity == SeverityError {
					t.Errorf("error-level finding in a clean spec: %+v", f)
				}
			}
			if rep.Score < 90 {
				t.Errorf("score %d, want >= 90 (%+v)", rep.Score, rep.Findings)
			}
		})
	}
}

func auditFile(t *testing.T, name string) Report {
	t.Helper()
	b, err := ReadFile(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(context.Background(), name, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRulesComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if CategoryTitles[r.Category] == "" || r.Severity.Rank() == 0 || r.Summary == "" || r.Hint == "" {
			t.Errorf("rule %+v is incomplete", r)
		}
	}
}

func TestScore(t *testing.T) {
	f := func(s Severity, n int) []Finding {
		var out []Finding
		for i := 0; i < n; i++ {
			out = append(out, Finding{Severity: s})
		}
		return out
	}
	for _, tc := range []struct {
		findings []Finding
		ops      int
		want     int
	}{
		{nil, 0, 100},
		{f(SeverityError, 1), 9, 95},                                   // 10 / (20·10)
		{f(SeverityError, 10), 999, 100},                               // 100 / 20,000 rounds to 100: size is not punished
		{f(SeverityError, 100), 99, 50},                                // one error per operation
		{f(SeverityWarning, 1000), 9, 0},                               // floored at 0
		{f(SeverityInfo, 20), 9, 90},                                   // 20 / 200
		{append(f(SeverityError, 1), f(SeverityWarning, 2)...), 0, 20}, // 16 / 20
	} {
		if got := Score(tc.findings, tc.ops); got != tc.want {
			t.Errorf("Score(%d findings, %d ops) = %d, want %d", len(tc.findings), tc.ops, got, tc.want)
		}
	}
}
