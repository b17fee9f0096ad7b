package oncall

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the example users copy
// and the tests' schedules: it must not panic or hang; an error comes with
// no Config and is made of *Problem values naming the source; and a parsed
// schedule answers Who, Shifts and Next consistently.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config", "oncall", "schedules.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(example), dstFile, oddFile, benchFile(),
		"schedules: [{name: p, timeZone: UTC, layers: [{name: l, start: \"2026-03-29T02:30\", length: 1h, participants: [a]}]}]\n",
		"schedules: [{name: p, timeZone: Europe/Berlin, layers: [{name: l, start: \"2026-03-29T02:30\", length: 1h, participants: [a, b], restrictions: [{from: \"02:30\", to: \"02:00\"}]}]}]\n",
		"schedules: [{name: p, timeZone: Australia/Lord_Howe, layers: [{name: l, start: \"2026-04-05T01:45\", length: 10000mo, participants: [a]}]}]\n",
		"schedules: [{name: p, timeZone: Europe/Berlinn, layers: [{name: l, start: x, length: 0d, participants: []}]}]\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("a Config with an error")
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				var p *Problem
				if !errors.As(e, &p) || p.Source != "f.yaml" || p.Msg == "" {
					t.Fatalf("%T %v", e, e)
				}
			}
			return
		}
		for _, s := range cfg.Schedules() {
			from := s.layers[0].Start.Add(-time.Hour)
			to := from.Add(4 * 24 * time.Hour)
			shifts := s.Shifts(from, to)
			for _, sh := range shifts {
				if !sh.Start.Before(sh.End) {
					t.Fatalf("%s: empty shift %+v", s.Name(), sh)
				}
				if who := s.Who(sh.Start); len(who) != 1 || who[0] != sh.User {
					t.Fatalf("%s: Who(%s) = %q, shift says %q", s.Name(), sh.Start, who, sh.User)
				}
				if who := s.Who(sh.End.Add(-time.Nanosecond)); len(who) != 1 || who[0] != sh.User {
					t.Fatalf("%s: Who just before the end of %+v = %q", s.Name(), sh, who)
				}
			}
			// between the shifts' edges Who must not change: sample it
			k := 0
			for at := from; at.Before(to); at = at.Add(7*time.Minute + 13*time.Second) {
				for k < len(shifts) && !at.Before(shifts[k].End) {
					k++
				}
				want := ""
				if k < len(shifts) && !at.Before(shifts[k].Start) {
					want = shifts[k].User
				}
				if got := s.Who(at); (want == "") != (len(got) == 0) || (want != "" && got[0] != want) {
					t.Fatalf("%s at %s: Who %q, Shifts %q", s.Name(), at, got, want)
				}
			}
			if len(shifts) > 0 && shifts[0].Start.After(from) {
				if next, ok := s.Next(shifts[0].User, from); !ok || !next.Start.Equal(shifts[0].Start) {
					t.Fatalf("%s: Next = %+v, %v; the first shift is %+v", s.Name(), next, ok, shifts[0])
				}
			}
		}
	})
}
