package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAPIList(t *testing.T) {
	code, out, errOut := run(t, "api", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		APIs []apiListRow `json:"apis"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	byID := map[string]apiListRow{}
	for _, r := range got.APIs {
		byID[r.Name+"/"+r.Version] = r
	}
	inc, ok := byID["incidents/v1"]
	if !ok {
		t.Fatalf("no incidents/v1 in %s", out)
	}
	if inc.Function != "incident-manager" || inc.State != "active" || inc.Spec != "incidents.v1.yaml" || inc.Operations != 9 {
		t.Errorf("incidents/v1: %+v", inc)
	}
	if gw := byID["events/v1"]; gw.Function != "event-gateway" || gw.Operations != 1 {
		t.Errorf("events/v1: %+v", gw)
	}
	for _, r := range got.APIs {
		if r.Operations == 0 {
			t.Errorf("%s/%s: no operations", r.Name, r.Version)
		}
	}

	code, out, errOut = run(t, "api", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(got.APIs)+1 || !strings.HasPrefix(lines[0], "NAME") {
		t.Errorf("table:\n%s", out)
	}
	if !strings.Contains(out, "incident-manager") {
		t.Errorf("table without incident-manager:\n%s", out)
	}
}

func TestAPIListBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"api", "list", "--help"}, 0},
		{[]string{"api", "list", "--bogus"}, 2},
		{[]string{"api", "list", "extra"}, 2},
		{[]string{"api", "--help"}, 0},
	} {
		if code, _, errOut := run(t, tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
	}
	if _, out, _ := run(t, "api", "--help"); !strings.Contains(out, "cogniforge api list [--json]") {
		t.Errorf("api --help does not list list:\n%s", out)
	}
}
