package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const govData = "../../pkg/governance/testdata/"

func runAudit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), append([]string{"api", "audit"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestAPIAuditJSONContract: the shape and exit codes the issue fixes.
func TestAPIAuditJSONContract(t *testing.T) {
	category := regexp.MustCompile(`^API([1-9]|10):2023$`)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{govData + "clean/orders.yaml"}, 0},
		{[]string{govData + "clean/orders.yaml", govData + "clean/admin.json"}, 0},
		{[]string{govData + "findings/api1-bola.yaml"}, 1},
		{[]string{"--fail-on", "warning", govData + "findings/api7-ssrf.yaml"}, 1},
		{[]string{govData + "findings/api7-ssrf.yaml"}, 0}, // warnings only
		{[]string{"--fail-on", "info", govData + "findings/api1-bola.yaml"}, 1},
	} {
		code, out, errs := runAudit(t, append([]string{"--format", "json"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errs)
		}
		var doc struct {
			APIs []struct {
				Spec     *string `json:"spec"`
				Score    *int    `json:"score"`
				Findings []struct {
					Rule, Category, Severity, Path, Message string
				} `json:"findings"`
			} `json:"apis"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		specs := 0
		for _, a := range tc.args {
			if strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".json") {
				specs++
			}
		}
		if len(doc.APIs) != specs {
			t.Errorf("%v: %d apis", tc.args, len(doc.APIs))
		}
		for _, a := range doc.APIs {
			if a.Spec == nil || a.Score == nil || *a.Score < 0 || *a.Score > 100 || a.Findings == nil {
				t.Errorf("%v: bad report %+v", tc.args, a)
			}
			for _, f := range a.Findings {
				if f.Rule == "" || !category.MatchString(f.Category) || f.Path == "" || f.Message == "" ||
					(f.Severity != "error" && f.Severity != "warning" && f.Severity != "info") {
					t.Errorf("bad finding %+v", f)
				}
			}
		}
	}
}

func TestAPIAuditBadInput(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	f, _ := os.Create(huge)
	f.Truncate(50 << 20)
	f.Close()
	for _, args := range [][]string{
		{govData + "bad/package.json"},
		{govData + "bad/swagger2.yaml"},
		{govData + "bad/unresolved.yaml"},
		{govData + "bad/invalid.yaml"},
		{huge},
		{"no-such-file.yaml"},
		{govData + "clean/orders.yaml", govData + "bad/package.json"},
		{},
		{"--format", "xml", govData + "clean/orders.yaml"},
		{"--fail-on", "fatal", govData + "clean/orders.yaml"},
		{"--disable", "no-such-rule", govData + "clean/orders.yaml"},
		{"--probe", "http://127.0.0.1:1", govData + "clean/orders.yaml", govData + "clean/admin.json"},
		{"--no-such-flag"},
	} {
		code, _, errs := runAudit(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
		if errs == "" {
			t.Errorf("%v: no message", args)
		}
	}
	if code, _, errs := runAudit(t, govData+"bad/package.json"); !strings.Contains(errs, "not an OpenAPI 3 document") {
		t.Errorf("exit %d, message %q", code, errs)
	}
	if code, out, _ := runAudit(t, "--help"); code != 0 {
		t.Errorf("--help: exit %d %s", code, out)
	}
}

func TestAPIAuditSARIF(t *testing.T) {
	code, out, errs := runAudit(t, "--format", "sarif", govData+"findings/api8-misconfig.yaml")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name == "" || len(log.Runs[0].Tool.Driver.Rules) == 0 {
		t.Fatalf("bad SARIF head: %+v", log)
	}
	found := false
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "cors-wildcard" && r.Level == "error" && r.Locations[0].PhysicalLocation.Region.StartLine == 15 &&
			strings.HasSuffix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, "api8-misconfig.yaml") {
			found = true
		}
	}
	if !found {
		t.Errorf("no cors-wildcard result at line 15: %s", out)
	}
}

func TestAPIAuditProbe(t *testing.T) {
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer open.Close()
	code, out, errs := runAudit(t, "--format", "json", "--probe", open.URL, "--probe-burst", "5",
		"--probe-header", "Authorization: Bearer x", govData+"clean/orders.yaml")
	if code != 1 || !strings.Contains(out, "probe-unauthenticated-accepted") {
		t.Errorf("exit %d (%s)\n%s", code, errs, out)
	}
}

func TestAPIAuditTextAndRules(t *testing.T) {
	code, out, _ := runAudit(t, govData+"findings/api5-admin.yaml")
	if code != 1 || !strings.Contains(out, "api5-admin.yaml:7 error API5:2023 admin-no-scopes") || !strings.Contains(out, "fix: ") {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, out, _ = runAudit(t, "--rules")
	if code != 0 || !strings.Contains(out, "API10:2023") {
		t.Errorf("--rules: exit %d\n%s", code, out)
	}
}
