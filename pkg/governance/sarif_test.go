package governance

import (
	"encoding/json"
	"testing"
)

// TestSARIFShape checks the properties SARIF 2.1.0's schema requires (and
// those code-scanning uploads need to place a finding on a line).
func TestSARIFShape(t *testing.T) {
	rep := auditFile(t, "testdata/findings/api8-misconfig.yaml")
	raw, err := SARIF([]Report{rep})
	if err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || log["$schema"] == nil {
		t.Fatalf("version %v, $schema %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] == "" || driver["name"] == nil {
		t.Error("tool.driver.name is required")
	}
	ruleIDs := map[string]int{}
	for i, r := range driver["rules"].([]any) {
		rule := r.(map[string]any)
		id, _ := rule["id"].(string)
		if id == "" {
			t.Errorf("rule %d has no id", i)
		}
		if lvl := rule["defaultConfiguration"].(map[string]any)["level"]; lvl != "error" && lvl != "warning" && lvl != "note" {
			t.Errorf("rule %s level %v", id, lvl)
		}
		if rule["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule %s has no shortDescription.text", id)
		}
		ruleIDs[id] = i
	}
	results := run["results"].([]any)
	if len(results) != len(rep.Findings) {
		t.Fatalf("%d results for %d findings", len(results), len(rep.Findings))
	}
	for _, r := range results {
		res := r.(map[string]any)
		id := res["ruleId"].(string)
		if i, ok := ruleIDs[id]; !ok || int(res["ruleIndex"].(float64)) != i {
			t.Errorf("result ruleId %s / ruleIndex %v does not match the driver's rules", id, res["ruleIndex"])
		}
		if lvl := res["level"]; lvl != "error" && lvl != "warning" && lvl != "note" {
			t.Errorf("level %v", lvl)
		}
		if res["message"].(map[string]any)["text"] == "" {
			t.Error("message.text is required")
		}
		locs := res["locations"].([]any)
		if len(locs) != 1 {
			t.Fatalf("%d locations", len(locs))
		}
		pl := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
		if pl["artifactLocation"].(map[string]any)["uri"] != "testdata/findings/api8-misconfig.yaml" {
			t.Errorf("uri %v", pl["artifactLocation"])
		}
		if line, ok := pl["region"].(map[string]any)["startLine"].(float64); !ok || line < 1 {
			t.Errorf("region.startLine %v", pl["region"])
		}
	}
}
