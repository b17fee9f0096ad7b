package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOncallWho(t *testing.T) {
	example := filepath.Join("..", "..", "config", "oncall", "schedules.yaml")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schedules:\n  - {name: p, timeZone: Nowhere/Land, layers: [{name: l, start: \"2026-03-02T09:00\", length: 1w, participants: []}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "single.yaml")
	if err := os.WriteFile(single, []byte("schedules:\n  - {name: only, timeZone: UTC, layers: [{name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [zoe]}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	who := func(args ...string) []string { return append([]string{"who", "--schedules", example}, args...) }
	tests := []struct {
		name   string
		args   []string
		code   int
		at     string   // the echoed instant
		oncall []string // nil: no JSON expected
		stderr []string
	}{
		{"office hours win over the weekly layer", who("--schedule", "primary", "--at", "2026-03-30T09:30:00+02:00"), 0, "2026-03-30T09:30:00+02:00", []string{"dave"}, nil},
		{"before the handoff at 09:00 local, after DST", who("--schedule", "primary", "--at", "2026-03-30T08:59:59+02:00"), 0, "2026-03-30T08:59:59+02:00", []string{"alice"}, nil},
		{"the override across the DST change", who("--schedule", "primary", "--at", "2026-03-29T01:30:00Z"), 0, "2026-03-29T01:30:00Z", []string{"dave"}, nil},
		{"the override's end is excluded", who("--schedule", "primary", "--at", "2026-03-29T12:00:00+02:00"), 0, "2026-03-29T12:00:00+02:00", []string{"alice"}, nil},
		{"the evening after the handoff", who("--at", "2026-03-30T20:00:00+02:00", "--schedule", "primary"), 0, "2026-03-30T20:00:00+02:00", []string{"bob"}, nil},
		{"nobody before the layers start", who("--schedule", "primary", "--at", "2026-03-01T00:00:00Z"), 0, "2026-03-01T00:00:00Z", []string{}, nil},
		{"fractional seconds normalised", who("--schedule", "follow-the-sun", "--at", "2026-03-03T03:00:00.500000Z"), 0, "2026-03-03T03:00:00.5Z", []string{"hiro"}, nil},
		{"follow the sun, week 2", who("--schedule", "follow-the-sun", "--at", "2026-03-10T10:00:00Z"), 0, "2026-03-10T10:00:00Z", []string{"jonas"}, nil},
		{"monthly, clamped to Feb 28", who("--schedule", "database", "--at", "2026-02-28T15:00:00Z"), 0, "2026-02-28T15:00:00Z", []string{"nils"}, nil},
		{"one schedule needs no name", []string{"who", "--schedules", single, "--at", "2026-03-03T00:00:00Z"}, 0, "2026-03-03T00:00:00Z", []string{"zoe"}, nil},
		{"unknown schedule", who("--schedule", "secondary", "--at", "2026-03-30T09:30:00Z"), 2, "", nil, []string{`no such schedule "secondary" (schedules: primary, follow-the-sun, database)`}},
		{"name required among several", who("--at", "2026-03-30T09:30:00Z"), 2, "", nil, []string{"--schedule NAME is required", "[primary follow-the-sun database]"}},
		{"malformed --at", who("--schedule", "primary", "--at", "2026-03-30 09:30"), 2, "", nil, []string{`--at "2026-03-30 09:30": want an RFC 3339 time`}},
		{"no --schedules", []string{"who", "--schedule", "primary"}, 2, "", nil, []string{"--schedules FILE is required"}},
		{"missing file", []string{"who", "--schedules", filepath.Join(dir, "nope.yaml"), "--schedule", "p"}, 2, "", nil, []string{"nope.yaml", "no such file"}},
		{"invalid file", []string{"who", "--schedules", bad, "--schedule", "p"}, 2, "", nil, []string{`bad.yaml:2: schedule "p": timeZone: unknown time zone "Nowhere/Land"`, `layer "l": participants: empty rotation`}},
		{"unknown flag", who("--when", "now"), 2, "", nil, []string{"-when"}},
		{"stray argument", who("--schedule", "primary", "extra"), 2, "", nil, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), append([]string{"oncall"}, tt.args...), nil, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, c := range tt.stderr {
				if !strings.Contains(stderr.String(), c) {
					t.Errorf("stderr lacks %q:\n%s", c, stderr.String())
				}
			}
			if tt.oncall == nil {
				if stdout.Len() != 0 {
					t.Errorf("stdout: %s", stdout.String())
				}
				return
			}
			if strings.Count(stdout.String(), "\n") != 1 {
				t.Errorf("want one JSON line: %q", stdout.String())
			}
			var got map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, stdout.String())
			}
			if len(got) != 3 || got["at"] != tt.at {
				t.Errorf("keys or at: %s", stdout.String())
			}
			list, ok := got["oncall"].([]any)
			if !ok || len(list) != len(tt.oncall) {
				t.Fatalf("oncall = %#v, want %q", got["oncall"], tt.oncall)
			}
			for i, u := range tt.oncall {
				if list[i] != u {
					t.Errorf("oncall[%d] = %v, want %s", i, list[i], u)
				}
			}
			if s, _ := got["schedule"].(string); s == "" {
				t.Errorf("schedule missing: %s", stdout.String())
			}
		})
	}
}

func TestOncallExport(t *testing.T) {
	example := filepath.Join("..", "..", "config", "oncall", "schedules.yaml")
	base := []string{"oncall", "export", "--schedules", example, "--schedule", "primary"}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := dispatch(context.Background(), append(append([]string{}, base...), args...), nil, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("--from", "2026-03-28T00:00:00+01:00", "--to", "2026-03-31T00:00:00+02:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("not a calendar:\n%s", out)
	}
	var events []string
	for _, block := range strings.Split(out, "BEGIN:VEVENT\r\n")[1:] {
		var start, end, summary string
		for _, l := range strings.Split(block, "\r\n") {
			switch {
			case strings.HasPrefix(l, "DTSTART:"):
				start = strings.TrimPrefix(l, "DTSTART:")
			case strings.HasPrefix(l, "DTEND:"):
				end = strings.TrimPrefix(l, "DTEND:")
			case strings.HasPrefix(l, "SUMMARY:"):
				summary = strings.TrimPrefix(l, "SUMMARY:")
			}
		}
		events = append(events, start+" "+end+" "+summary)
	}
	want := []string{
		"20260327T230000Z 20260328T190000Z On call: alice (primary)", // clipped to --from
		"20260328T190000Z 20260329T100000Z On call: dave (primary)",  // the override across the change
		"20260329T100000Z 20260330T070000Z On call: alice (primary)",
		"20260330T070000Z 20260330T160000Z On call: dave (primary)", // office hours, 09:00-18:00 CEST, day 28 of 4
		"20260330T160000Z 20260330T220000Z On call: bob (primary)",  // the weekly handoff was at 09:00 CEST
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}

	bad := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"to before from", []string{"--from", "2026-03-28T00:00:00Z", "--to", "2026-03-27T00:00:00Z"}, "is not after --from"},
		{"too long", []string{"--from", "2026-01-01T00:00:00Z", "--to", "2036-01-01T00:00:00Z"}, "longer than 3 years"},
		{"malformed", []string{"--from", "yesterday"}, `--from "yesterday"`},
		{"unknown schedule", []string{"--schedule", "nope"}, `no such schedule "nope"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(tt.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tt.stderr)
			}
		})
	}

	// without --from and --to: the next 30 days
	code, out, errOut = run()
	if code != 0 || !strings.Contains(out, "BEGIN:VEVENT") {
		t.Errorf("default range: exit %d %s", code, errOut)
	}
	if n := strings.Count(out, "DTSTAMP:"+time.Now().UTC().Format("20060102")); n == 0 {
		t.Errorf("DTSTAMP is not today:\n%s", out)
	}
}

func TestOncallValidate(t *testing.T) {
	example := filepath.Join("..", "..", "config", "oncall", "schedules.yaml")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`schedules:
  - name: p
    timeZone: Europe/Berlin
    layers:
      - {name: l, start: "2026-03-02T09:00", length: 0d, participants: [a], restrictions: [{days: [mon], from: "09:00", to: "09:00"}]}
    overrides:
      - {user: d, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
      - {user: e, from: "2026-03-29T09:00:00Z", to: "2026-03-29T11:00:00Z"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string
		problems       int
	}{
		{"the example", []string{"validate", example}, 0, []string{
			"primary: Europe/Berlin, 2 layer(s) (weekly: 1w from 2026-03-02T09:00, 3 participant(s), office-hours: 1d from 2026-03-02T09:00, 4 participant(s), 1 restriction(s)), 1 override(s) (" + example + ")",
			"follow-the-sun: UTC, 3 layer(s)",
			"database: America/New_York, 1 layer(s) (monthly: 1mo from 2026-01-31T10:00, 3 participant(s)), 0 override(s)",
		}, nil, 0},
		{"every problem", []string{"validate", example, bad}, 1, nil, []string{
			`bad.yaml:5: schedule "p": layer "l": length: "0d": N must be between 1 and 10000`,
			`bad.yaml:5: schedule "p": layer "l": restrictions[0]: from and to are the same time`,
			`bad.yaml:8: schedule "p": overrides[1]: overlaps overrides[0] (d from 2026-03-28T20:00:00+01:00 to 2026-03-29T12:00:00+02:00, line 7)`,
		}, 3},
		{"unreadable", []string{"validate", filepath.Join(dir, "nope.yaml")}, 2, nil, []string{"no such file"}, 0},
		{"no file", []string{"validate"}, 2, nil, []string{"at least one FILE"}, 0},
		{"help", []string{"--help"}, 0, []string{"cogniforge oncall who --schedules FILE"}, nil, 0},
		{"no subcommand", nil, 2, nil, []string{"usage:"}, 0},
		{"unknown subcommand", []string{"page"}, 2, nil, []string{`unknown subcommand "page"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), append([]string{"oncall"}, tt.args...), nil, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, c := range tt.stdout {
				if !strings.Contains(stdout.String(), c) {
					t.Errorf("stdout lacks %q:\n%s", c, stdout.String())
				}
			}
			for _, c := range tt.stderr {
				if !strings.Contains(stderr.String(), c) {
					t.Errorf("stderr lacks %q:\n%s", c, stderr.String())
				}
			}
			if tt.problems > 0 && strings.Count(stderr.String(), "\n") != tt.problems {
				t.Errorf("%d lines on stderr, want %d:\n%s", strings.Count(stderr.String(), "\n"), tt.problems, stderr.String())
			}
			if tt.code == 0 && tt.name == "the example" && strings.Count(stdout.String(), "\n") != 3 {
				t.Errorf("want a line per schedule:\n%s", stdout.String())
			}
		})
	}
}
