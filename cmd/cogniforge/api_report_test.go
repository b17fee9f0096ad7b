package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func TestAPIReport(t *testing.T) {
	// No source: the embedded specs are audited now.
	code, out, errOut := apiCLI(t, "report", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ov apigov.Overview
	if err := json.Unmarshal([]byte(out), &ov); err != nil {
		t.Fatal(err)
	}
	if len(ov.APIs) < 9 || ov.Score == 0 {
		t.Fatalf("overview: %s", out)
	}
	for _, a := range ov.APIs {
		if !a.Audited || a.State == "" || a.Counts.Error != 0 {
			t.Errorf("%+v", a)
		}
	}

	// A data directory whose auditor has not run yet: listed, not audited.
	dir := filepath.Join(t.TempDir(), "data")
	b, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	code, out, errOut = apiCLI(t, "report", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ov = apigov.Overview{}
	if err := json.Unmarshal([]byte(out), &ov); err != nil || len(ov.APIs) < 9 || ov.APIs[0].Audited {
		t.Fatalf("overview of an unaudited store: %v\n%s", err, out)
	}
	if code, out, _ := apiCLI(t, "report"); code != 0 || len(out) == 0 {
		t.Fatalf("text: exit %d\n%s", code, out)
	}
	for name, args := range map[string][]string{
		"both":     {"report", "--data-dir", dir, "--url", "http://x"},
		"no store": {"report", "--data-dir", t.TempDir()},
		"argument": {"report", "extra"},
	} {
		if code, _, _ := apiCLI(t, args...); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
	if code, _, _ := apiCLI(t, "report", "--help"); code != 0 {
		t.Errorf("--help exit %d", code)
	}
}
