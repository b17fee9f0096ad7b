// Package oncall_test proves the on-call schedules through the real CLI:
// schedules in two time zones across their daylight-saving changes, with an
// override that crosses a handoff, exported with `cogniforge oncall export`,
// read back by an independent iCalendar parser (ical.js, run by node) and
// compared with what `cogniforge oncall who` answers at each event's edges.
package oncall_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

// The US changes on Mar 8, the EU on Mar 29; each schedule has an override
// across a handoff and its zone's change.
const schedules = `
schedules:
  - name: berlin
    timeZone: Europe/Berlin
    layers:
      - {name: weekly, start: "2026-03-02T09:00", length: 1w, participants: [alice, bob, carol]}
      - name: office
        start: "2026-03-02T09:00"
        length: 1d
        participants: [dave, erin]
        restrictions: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}]
    overrides:
      - {user: dave, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
  - name: newyork
    timeZone: America/New_York
    layers:
      - {name: weekly, start: "2026-03-02T09:00", length: 1w, participants: [gina, hank]}
      - {name: nights, start: "2026-03-02T08:00", length: 1d, participants: [ivan, jane, kurt], restrictions: [{from: "20:00", to: "08:00"}]}
    overrides:
      - {user: lena, from: "2026-03-08T01:00:00-05:00", to: "2026-03-09T10:00:00-04:00"}
`

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(cli, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// icalJS installs ical.js 2.2.1 into a temporary directory and returns the
// dump script there. A missing tool fails the test with what to install.
func icalJS(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: install Node.js 18+ with npm (apt-get install nodejs npm) for the iCalendar round trip through ical.js")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed: install npm (apt-get install npm) to fetch ical.js")
	}
	dir := t.TempDir()
	if out, err := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "ical.js@2.2.1").CombinedOutput(); err != nil {
		t.Fatalf("npm install ical.js@2.2.1 failed (needs the npm registry or its cache): %v\n%s", err, out)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "pkg", "oncall", "testdata", "icaldump.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(dir, "icaldump.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return node, script
}

func TestExportMatchesWhoAcrossDST(t *testing.T) {
	node, script := icalJS(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(file, []byte(schedules), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, "oncall", "validate", file); code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	for _, tt := range []struct{ name, from, to string }{
		{"berlin", "2026-03-26T00:00:00Z", "2026-04-01T00:00:00Z"},  // the EU change, Mar 29
		{"newyork", "2026-03-06T00:00:00Z", "2026-03-11T00:00:00Z"}, // the US change, Mar 8
	} {
		name, from, to := tt.name, tt.from, tt.to
		t.Run(name, func(t *testing.T) {
			ics, errOut, code := run(t, "oncall", "export", "--schedules", file, "--schedule", name, "--from", from, "--to", to)
			if code != 0 {
				t.Fatalf("export: exit %d: %s", code, errOut)
			}
			path := filepath.Join(dir, name+".ics")
			if err := os.WriteFile(path, []byte(ics), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, script, path)
			cmd.Dir = filepath.Dir(script)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("ical.js: %v", err)
			}
			var cals []struct {
				Events []struct{ Summary, Start, End string }
			}
			if err := json.Unmarshal(out, &cals); err != nil || len(cals) != 1 || len(cals[0].Events) < 8 {
				t.Fatalf("ical.js read %s (%v)", out, err)
			}
			seen := map[string]bool{}
			for i, e := range cals[0].Events {
				user := strings.TrimSuffix(strings.TrimPrefix(e.Summary, "On call: "), " ("+name+")")
				seen[user] = true
				start, _ := time.Parse(time.RFC3339, e.Start)
				end, _ := time.Parse(time.RFC3339, e.End)
				if i > 0 {
					// the gap before this event, if any, has nobody on call
					prevEnd, _ := time.Parse(time.RFC3339, cals[0].Events[i-1].End)
					if start.After(prevEnd) {
						checkWho(t, file, name, prevEnd, "")
					}
				}
				checkWho(t, file, name, start, user)
				checkWho(t, file, name, start.Add(end.Sub(start)/2), user)
				checkWho(t, file, name, end.Add(-time.Second), user)
			}
			if !seen["dave"] && !seen["lena"] {
				t.Errorf("the override is missing from the export: %v", seen)
			}
		})
	}
}

// checkWho asks the CLI who is on call at at and compares.
func checkWho(t *testing.T, file, schedule string, at time.Time, want string) {
	t.Helper()
	out, errOut, code := run(t, "oncall", "who", "--schedules", file, "--schedule", schedule, "--at", at.Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("who: exit %d: %s", code, errOut)
	}
	var got struct {
		Schedule string
		At       string
		Oncall   []string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Oncall == nil {
		t.Fatalf("who printed %q (%v)", out, err)
	}
	if strings.Join(got.Oncall, ",") != want || got.Schedule != schedule || got.At != at.Format(time.RFC3339) {
		t.Errorf("who at %s = %s, the iCalendar export says %q", at.Format(time.RFC3339), out, want)
	}
}
