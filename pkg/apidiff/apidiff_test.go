package apidiff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cases")

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(cs []apidiff.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID + " " + c.Operation
	}
	return out
}

// TestCases diffs testdata/base.yaml against each testdata/cases/*.yaml:
// the case's name says whether it breaks, the table names the check that
// must fire and the operation it must name, and the golden file pins the
// whole result.
func TestCases(t *testing.T) {
	want := map[string]struct{ id, op string }{
		"breaking-removed-operation":               {"api-removed-without-deprecation", "DELETE /orders/{id}"},
		"breaking-new-required-parameter":          {"new-required-request-parameter", "GET /orders"},
		"breaking-narrowed-type":                   {"request-property-type-changed", "POST /orders"},
		"breaking-removed-enum-value":              {"request-parameter-enum-value-removed", "GET /orders"},
		"breaking-removed-response-property":       {"response-required-property-removed", "GET /orders"},
		"breaking-required-request-property-added": {"new-required-request-property", "POST /orders"},
		"nonbreaking-added-optional-parameter":     {"new-optional-request-parameter", "GET /orders"},
		"nonbreaking-added-operation":              {"endpoint-added", "GET /health"},
		"nonbreaking-added-response-property":      {"response-optional-property-added", "GET /orders"},
		"nonbreaking-description-change":           {},
	}
	base := read(t, "base.yaml")
	files, _ := filepath.Glob("testdata/cases/*.yaml")
	if len(files) != len(want) {
		t.Fatalf("%d cases in testdata/cases, %d in the table", len(files), len(want))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("case %s is not in the table", name)
			}
			rev, _ := os.ReadFile(f)
			res, err := apidiff.Compare(context.Background(), base, rev)
			if err != nil {
				t.Fatal(err)
			}
			breaking := strings.HasPrefix(name, "breaking-")
			if res.HasBreaking() != breaking {
				t.Fatalf("breaking = %v, want %v: %v", res.HasBreaking(), breaking, ids(res.Breaking))
			}
			list := res.NonBreaking
			if breaking {
				list = res.Breaking
			}
			if w.id != "" {
				found := false
				for _, c := range list {
					if c.ID == w.id && c.Operation == w.op {
						found = true
					}
					if c.Message == "" || c.Level == "" {
						t.Errorf("change %+v lacks a message or level", c)
					}
				}
				if !found {
					t.Errorf("no %s on %s among %v", w.id, w.op, ids(list))
				}
			}
			got, _ := json.MarshalIndent(res, "", "  ")
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".yaml") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			exp, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("result differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestIdenticalSpecsHaveNoChanges(t *testing.T) {
	base := read(t, "base.yaml")
	res, err := apidiff.Compare(context.Background(), base, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Breaking)+len(res.NonBreaking) != 0 {
		t.Fatalf("changes between identical specs: %+v", res)
	}
}

func TestBadInput(t *testing.T) {
	base := read(t, "base.yaml")
	huge := append([]byte("openapi: 3.1.0\n# "), bytes.Repeat([]byte("x"), apidiff.MaxSpecBytes)...)
	for _, tc := range []struct {
		name string
		doc  []byte
		want error
	}{
		{"empty", []byte("  \n"), apidiff.ErrEmpty},
		{"not openapi", read(t, "bad-not-openapi.yaml"), apidiff.ErrNotOpenAPI},
		{"swagger 2", read(t, "bad-swagger2.yaml"), apidiff.ErrNotOpenAPI},
		{"not yaml", []byte("{{{ not: [yaml"), apidiff.ErrNotOpenAPI},
		{"a list", []byte("- 1\n- 2\n"), apidiff.ErrNotOpenAPI},
		{"openapi 2", []byte("openapi: 2.0\ninfo: {title: x, version: '1'}\npaths: {}\n"), apidiff.ErrNotOpenAPI},
		{"unresolved ref", read(t, "bad-unresolved-ref.yaml"), apidiff.ErrUnresolvedRef},
		{"external ref", []byte(strings.Replace(string(read(t, "bad-unresolved-ref.yaml")), "#/components/schemas/Missing", "other.yaml#/Thing", 1)), apidiff.ErrUnresolvedRef},
		{"too large", huge, apidiff.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, side := range []string{"old", "new"} {
				old, rev := tc.doc, base
				if side == "new" {
					old, rev = base, tc.doc
				}
				_, err := apidiff.Compare(context.Background(), old, rev)
				var se *apidiff.SpecError
				if !errors.As(err, &se) || !errors.Is(err, tc.want) {
					t.Fatalf("%s: err = %v, want a *SpecError wrapping %v", side, err, tc.want)
				}
				if se.Spec != side || !strings.HasPrefix(err.Error(), side+" spec: ") {
					t.Errorf("error does not name the %s spec: %v", side, err)
				}
			}
		})
	}
}

func TestCompareHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	base := read(t, "base.yaml")
	if _, err := apidiff.Compare(ctx, base, base); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
