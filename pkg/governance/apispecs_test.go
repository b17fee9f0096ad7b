package governance_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/governance"
)

// TestProjectSpecsHaveNoErrors audits every spec in api/: the platform's
// own APIs must pass `cogniforge api audit` at its default --fail-on.
func TestProjectSpecsHaveNoErrors(t *testing.T) {
	names, err := fs.Glob(api.Files, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if name == api.CatalogFile {
			continue
		}
		n++
		raw, err := fs.ReadFile(api.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := governance.Audit(context.Background(), "api/"+name, raw, governance.Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, f := range rep.Findings {
			if f.Severity == governance.SeverityError {
				t.Errorf("%s:%d %s %s at %s: %s", name, f.Line, f.Category, f.Rule, f.Path, f.Message)
			}
		}
		t.Logf("%s: score %d, %d findings", name, rep.Score, len(rep.Findings))
	}
	if n == 0 {
		t.Skip("no specs in api/ yet")
	}
}
