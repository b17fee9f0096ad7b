package oncall

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// oddFile has names that need escaping and folding in iCalendar text.
const oddFile = `
schedules:
  - name: "payments, EU; night \\ shift — Zürich-Straße-Überwachung-und-Bereitschaftsdienst"
    timeZone: Europe/Zurich
    layers:
      - {name: l, start: "2026-03-27T18:00", length: 12h, participants: ["ann, the; boss\\", "björn"]}
`

func export(t *testing.T, s *Schedule, from, to string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ExportICal(&buf, s, mustTime(t, from), mustTime(t, to), Stamp(mustTime(t, "2026-01-01T00:00:00Z"))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unfold undoes RFC 5545 line folding.
func unfold(b []byte) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n ", ""), "\r\n"), "\r\n")
}

func TestICalFormat(t *testing.T) {
	s := mustParse(t, oddFile).Schedules()[0]
	out := export(t, s, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z")
	if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("a bare LF")
	}
	for i, l := range strings.Split(string(out), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i, l)
		}
	}
	if !bytes.Contains(out, []byte("\r\n ")) {
		t.Error("no line was folded; the test's names are meant to need it")
	}
	lines := unfold(out)
	if lines[0] != "BEGIN:VCALENDAR" || lines[1] != "VERSION:2.0" || !strings.HasPrefix(lines[2], "PRODID:") || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("calendar frame: %q", lines)
	}
	var summaries, starts []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "SUMMARY:"):
			summaries = append(summaries, l)
		case strings.HasPrefix(l, "DTSTART:"):
			starts = append(starts, l)
		}
	}
	// Zurich 12h from 18:00: 18:00 CET Mar 27 (17:00Z), 06:00 CET Mar 28, 18:00 CET, 06:00 CEST Mar 29 (04:00Z), 18:00 CEST (16:00Z)
	wantStarts := []string{"DTSTART:20260328T000000Z", "DTSTART:20260328T050000Z", "DTSTART:20260328T170000Z", "DTSTART:20260329T040000Z", "DTSTART:20260329T160000Z"}
	if strings.Join(starts, " ") != strings.Join(wantStarts, " ") {
		t.Errorf("starts %q, want %q", starts, wantStarts)
	}
	wantSummary := `SUMMARY:On call: ann\, the\; boss\\ (payments\, EU\; night \\ shift — Zürich-Straße-Überwachung-und-Bereitschaftsdienst)`
	if len(summaries) == 0 || summaries[0] != wantSummary {
		t.Errorf("summary %q, want %q", summaries, wantSummary)
	}
	// a later export over another range keeps the UID of a shift that starts in both
	uid := func(b []byte, start string) string {
		ls := unfold(b)
		for i, l := range ls {
			if l == "DTSTART:"+start {
				for j := i; j >= 0; j-- {
					if strings.HasPrefix(ls[j], "UID:") {
						return ls[j]
					}
				}
			}
		}
		return ""
	}
	again := export(t, s, "2026-03-28T12:00:00Z", "2026-04-30T00:00:00Z")
	if a, b := uid(out, "20260329T040000Z"), uid(again, "20260329T040000Z"); a == "" || a != b {
		t.Errorf("UID changed between exports: %q %q", a, b)
	}
	if empty := export(t, s, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"); strings.Contains(string(empty), "VEVENT") {
		t.Errorf("events before the layer's start:\n%s", empty)
	}
}

// TestICalParsedByIcalJS is the proof of the issue: the export, read back by
// an independent RFC 5545 parser (ical.js from npm, run by node), says the
// same as Who at every instant.
func TestICalParsedByIcalJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: install Node.js 18+ with npm (apt-get install nodejs npm) to run the iCalendar round trip through ical.js")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed: install npm (apt-get install npm) to fetch ical.js for the iCalendar round trip")
	}
	dir := t.TempDir()
	install := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "ical.js@2.2.1")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install ical.js@2.2.1 failed (needs the npm registry or its cache): %v\n%s", err, out)
	}
	script, err := os.ReadFile(filepath.Join("testdata", "icaldump.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "icaldump.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}

	type window struct {
		s        *Schedule
		from, to time.Time
		file     string
	}
	var windows []window
	var files []string
	schedules := append(mustParse(t, dstFile).Schedules(), mustParse(t, oddFile).Schedules()...)
	for i, s := range schedules {
		for j, w := range [][2]string{{"2026-03-01T00:00:00Z", "2026-04-03T00:00:00Z"}, {"2026-10-22T00:00:00Z", "2026-11-05T00:00:00Z"}} {
			file := filepath.Join(dir, "cal-"+string(rune('a'+i))+string(rune('0'+j))+".ics")
			if err := os.WriteFile(file, export(t, s, w[0], w[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			windows = append(windows, window{s, mustTime(t, w[0]), mustTime(t, w[1]), file})
			files = append(files, file)
		}
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "icaldump.mjs")}, files...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node icaldump.mjs: %v\n%s", err, stderr.String())
	}
	var cals []struct {
		File, Version, Prodid string
		Events                []struct {
			UID, Summary, Stamp, Start, End string
			UTC                             bool
		}
	}
	if err := json.Unmarshal(out, &cals); err != nil || len(cals) != len(windows) {
		t.Fatalf("ical.js output (%v): %s", err, out)
	}
	total := 0
	for k, w := range windows {
		cal := cals[k]
		if cal.Version != "2.0" || cal.Prodid == "" {
			t.Errorf("%s: version %q prodid %q", w.s.Name(), cal.Version, cal.Prodid)
		}
		type span struct {
			user       string
			start, end time.Time
		}
		var spans []span
		uids := map[string]bool{}
		prefix, suffix := "On call: ", " ("+w.s.Name()+")"
		for _, e := range cal.Events {
			if !strings.HasPrefix(e.Summary, prefix) || !strings.HasSuffix(e.Summary, suffix) {
				t.Fatalf("%s: summary %q", w.s.Name(), e.Summary)
			}
			if !e.UTC || e.Stamp != "2026-01-01T00:00:00.000Z" || e.UID == "" || uids[e.UID] {
				t.Errorf("%s: event %+v (UTC, stamp, unique UID)", w.s.Name(), e)
			}
			uids[e.UID] = true
			start, _ := time.Parse(time.RFC3339, e.Start)
			end, _ := time.Parse(time.RFC3339, e.End)
			spans = append(spans, span{strings.TrimSuffix(strings.TrimPrefix(e.Summary, prefix), suffix), start, end})
		}
		total += len(spans)
		// the instants to compare: every 10 minutes, and both sides of every event edge
		var instants []time.Time
		for at := w.from; at.Before(w.to); at = at.Add(10 * time.Minute) {
			instants = append(instants, at)
		}
		for _, sp := range spans {
			instants = append(instants, sp.start, sp.start.Add(-time.Second), sp.end, sp.end.Add(-time.Second))
		}
		for _, at := range instants {
			if at.Before(w.from) || !at.Before(w.to) {
				continue
			}
			want := ""
			for _, sp := range spans {
				if !at.Before(sp.start) && at.Before(sp.end) {
					if want != "" {
						t.Fatalf("%s: events overlap at %s", w.s.Name(), at)
					}
					want = sp.user
				}
			}
			if got := strings.Join(w.s.Who(at), ","); got != want {
				t.Fatalf("%s at %s: Who %q, ical.js %q", w.s.Name(), at.Format(time.RFC3339), got, want)
			}
		}
	}
	if total < 100 {
		t.Errorf("only %d events compared", total)
	}
}
