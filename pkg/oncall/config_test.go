package oncall

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBadInput(t *testing.T) {
	layer := func(extra string) string {
		return "schedules:\n  - name: p\n    timeZone: Europe/Berlin\n    layers:\n      - {name: l, start: \"2026-03-02T09:00\", length: 1w, participants: [a]" + extra + "}\n"
	}
	tests := []struct {
		name string
		src  string
		want []string // one substring per expected problem, in order
	}{
		{"unknown time zone", "schedules:\n  - name: p\n    timeZone: Europe/Berlinn\n    layers: [{name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [a]}]\n",
			[]string{`test.yaml:3: schedule "p": timeZone: unknown time zone "Europe/Berlinn"`}},
		{"Local is not a zone", strings.Replace(layer(""), "Europe/Berlin", "Local", 1), []string{`timeZone: unknown time zone "Local"`}},
		{"missing time zone", "schedules:\n  - name: p\n    layers: [{name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [a]}]\n",
			[]string{`test.yaml:2: schedule "p": timeZone: missing`}},
		{"empty rotation", strings.Replace(layer(""), "[a]", "[]", 1), []string{`test.yaml:5: schedule "p": layer "l": participants: empty rotation`}},
		{"no participants", strings.Replace(layer(""), ", participants: [a]", "", 1), []string{`layer "l": participants: empty rotation`}},
		{"empty user", strings.Replace(layer(""), "[a]", `[a, " "]`, 1), []string{`layer "l": participants[1]: empty user id`}},
		{"zero length", strings.Replace(layer(""), "1w", "0d", 1), []string{`layer "l": length: "0d": N must be between 1 and 10000`}},
		{"unknown unit", strings.Replace(layer(""), "1w", "2x", 1), []string{`length: "2x": want N followed by h, d, w or mo`}},
		{"minutes are not months", strings.Replace(layer(""), "1w", "1m", 1), []string{`length: "1m": months are written Nmo`}},
		{"missing length", strings.Replace(layer(""), ", length: 1w", "", 1), []string{`layer "l": length: missing`}},
		{"malformed start", strings.Replace(layer(""), "2026-03-02T09:00", "2026-03-02 9am", 1), []string{`layer "l": start: "2026-03-02 9am": want local wall-clock time`}},
		{"start with offset", strings.Replace(layer(""), "2026-03-02T09:00", "2026-03-02T09:00:00+01:00", 1), []string{`start: "2026-03-02T09:00:00+01:00": write the local wall-clock time without an offset`}},
		{"from equals to", layer(`, restrictions: [{days: [mon], from: "09:00", to: "09:00"}]`), []string{`layer "l": restrictions[0]: from and to are the same time`}},
		{"bad day", layer(`, restrictions: [{days: [mon, funday], from: "09:00", to: "17:00"}]`), []string{`restrictions[0].days: "funday" is not a day`}},
		{"empty days", layer(`, restrictions: [{days: [], from: "09:00", to: "17:00"}]`), []string{`restrictions[0].days: empty; omit days for every day`}},
		{"bad clock", layer(`, restrictions: [{from: "9:00", to: "25:00"}]`), []string{`restrictions[0].from: "9:00": want HH:MM`, `restrictions[0].to: "25:00": want HH:MM from 00:00 to 24:00`}},
		{"24:00 only ends", layer(`, restrictions: [{from: "24:00", to: "06:00"}]`), []string{`restrictions[0].from: "24:00"`}},
		{"duplicate schedule", layer("") + "  - {name: p, timeZone: UTC, layers: [{name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [b]}]}\n",
			[]string{`test.yaml:6: schedule "p": name: duplicate schedule name (also schedule #1, line 2)`}},
		{"duplicate layer", "schedules:\n  - name: p\n    timeZone: UTC\n    layers:\n      - {name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [a]}\n      - {name: l, start: \"2026-03-02T09:00\", length: 1d, participants: [b]}\n",
			[]string{`test.yaml:6: schedule "p": layer "l": name: duplicate layer name (also layer #1)`}},
		{"unknown field", strings.Replace(layer(""), "length:", "lenght: 1d, length:", 1), []string{`test.yaml:5: field lenght not found in a layer (known: name, start, length, participants, restrictions)`}},
		{"unknown top-level field", "schedule: []\n", []string{`test.yaml:1: field schedule not found at the top level`}},
		{"wrong type", "schedules: {name: p}\n", []string{`test.yaml:1: cannot unmarshal !!map into []oncall.rawSchedule`}},
		{"not YAML", "schedules: [\n", []string{`test.yaml:1: did not find expected node content`}},
		{"no schedules", "schedules: []\n", []string{`test.yaml:1: schedules: no schedules`}},
		{"empty file", "", []string{`test.yaml: schedules: no schedules`}},
		{"no layers", "schedules:\n  - {name: p, timeZone: UTC}\n", []string{`test.yaml:2: schedule "p": layers: no layers`}},
		{"nameless schedule and layer", "schedules:\n  - timeZone: UTC\n    layers: [{start: \"2026-03-02T09:00\", length: 1d, participants: [a]}]\n",
			[]string{`schedule #1: name: missing`, `schedule #1: layer #1: name: missing`}},
		{"override malformed", layer("") + "    overrides:\n      - {user: d, from: \"2026-03-28 20:00\", to: \"2026-03-29T12:00:00+02:00\"}\n",
			[]string{`test.yaml:7: schedule "p": overrides[0].from: "2026-03-28 20:00": want an RFC 3339 time`}},
		{"override backwards", layer("") + "    overrides:\n      - {user: d, from: \"2026-03-29T12:00:00+02:00\", to: \"2026-03-29T10:00:00Z\"}\n",
			[]string{`test.yaml:7: schedule "p": overrides[0]: to (2026-03-29T10:00:00Z) is not after from`}},
		{"override without user", layer("") + "    overrides:\n      - {from: \"2026-03-28T20:00:00+01:00\", to: \"2026-03-29T12:00:00+02:00\"}\n",
			[]string{`overrides[0].user: empty user id`}},
		{"overlapping overrides", layer("") + "    overrides:\n" +
			"      - {user: d, from: \"2026-03-28T20:00:00+01:00\", to: \"2026-03-29T12:00:00+02:00\"}\n" +
			"      - {user: e, from: \"2026-04-01T00:00:00Z\", to: \"2026-04-02T00:00:00Z\"}\n" +
			"      - {user: f, from: \"2026-03-29T09:00:00Z\", to: \"2026-03-29T11:00:00Z\"}\n",
			[]string{`test.yaml:9: schedule "p": overrides[2]: overlaps overrides[0] (d from 2026-03-28T20:00:00+01:00 to 2026-03-29T12:00:00+02:00, line 7): f from 2026-03-29T09:00:00Z to 2026-03-29T11:00:00Z`}},
		{"every problem at once", "schedules:\n  - name: p\n    timeZone: Mars/Olympus\n    layers:\n      - {name: l, start: \"x\", length: 0d, participants: []}\n",
			[]string{`timeZone: unknown time zone`, `start: "x"`, `length: "0d"`, `participants: empty rotation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("a config came back with the error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
			var p *Problem
			if !errors.As(err, &p) || p.Source != "test.yaml" {
				t.Errorf("errors.As(*Problem) = %v, %+v", err, p)
			}
		})
	}
}

func TestParseAcceptsTheContract(t *testing.T) {
	// the example of the issue, verbatim
	src := `
schedules:
  - name: primary
    timeZone: Europe/Berlin
    layers:                      # later layers win where they have someone on call
      - name: weekly
        start: "2026-03-02T09:00"  # local time of the first handoff
        length: 1w                 # 1d, 1w, 12h, 3d ...
        participants: [alice, bob, carol]
        restrictions:              # optional; outside them the layer has nobody
          - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
    overrides:
      - {user: dave, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
`
	cfg := mustParse(t, src)
	s, err := cfg.Schedule("primary")
	if err != nil {
		t.Fatal(err)
	}
	want := `primary: Europe/Berlin, 1 layer(s) (weekly: 1w from 2026-03-02T09:00, 3 participant(s), 1 restriction(s)), 1 override(s)`
	if s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
	if got := s.Who(mustTime(t, "2026-03-03T08:00:00Z")); len(got) != 1 || got[0] != "alice" {
		t.Errorf("Tuesday 09:00 = %q", got)
	}
	if got := s.Who(mustTime(t, "2026-03-03T17:00:00Z")); len(got) != 0 {
		t.Errorf("Tuesday 18:00 = %q, want nobody", got)
	}
	if _, err := cfg.Schedule("secondary"); !errors.Is(err, ErrUnknownSchedule) || !strings.Contains(err.Error(), "(schedules: primary)") {
		t.Errorf("unknown schedule: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	cfg, err := LoadFile(filepath.Join("..", "..", "config", "oncall", "schedules.yaml"))
	if err != nil {
		t.Fatalf("the example users copy: %v", err)
	}
	if len(cfg.Schedules()) == 0 {
		t.Fatal("the example has no schedules")
	}
	if _, err := os.Stat(cfg.Source); err != nil {
		t.Errorf("Source = %q: %v", cfg.Source, err)
	}
}
