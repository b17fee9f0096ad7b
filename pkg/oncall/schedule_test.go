package oncall

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// dstFile has schedules in two zones whose 2026 changes fall on different
// dates: the US moves on Mar 8 and Nov 1, the EU on Mar 29 and Oct 25.
const dstFile = `
schedules:
  - name: primary
    timeZone: Europe/Berlin
    layers:
      - name: weekly
        start: "2026-03-02T09:00"
        length: 1w
        participants: [alice, bob, carol]
    overrides:
      # crosses both the EU change (01:00Z on Mar 29) and nothing else
      - {user: dave, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
  - name: follow
    timeZone: America/New_York
    layers:
      - name: base
        start: "2026-03-02T09:00"
        length: 1w
        participants: [gina, hank]
      - name: nights
        start: "2026-03-06T08:00"
        length: 1d
        participants: [erin, frank]
        restrictions:
          - {from: "20:00", to: "08:00"}
    overrides:
      # crosses the nights handoff of Mar 8 (08:00 EDT = 12:00Z) and the US change
      - {user: ivan, from: "2026-03-08T06:00:00Z", to: "2026-03-08T12:30:00Z"}
  - name: hourly
    timeZone: Europe/Berlin
    layers:
      - {name: spring, start: "2026-03-29T00:00", length: 1h, participants: [a, b, c]}
      - {name: autumn, start: "2026-10-25T00:00", length: 1h, participants: [a, b, c]}
  - name: halfday
    timeZone: Europe/Berlin
    layers:
      - {name: h12, start: "2026-03-28T09:00", length: 12h, participants: [x, y]}
  - name: monthly
    timeZone: Europe/Berlin
    layers:
      - {name: m, start: "2026-01-31T09:00", length: 1mo, participants: [m1, m2, m3]}
  - name: weekend
    timeZone: America/New_York
    layers:
      - name: fri-night
        start: "2026-01-05T00:00"
        length: 1w
        participants: [w1, w2]
        restrictions:
          - {days: [fri], from: "22:00", to: "06:00"}
          - {days: [Sunday], from: "10:00", to: "24:00"}
`

func mustParse(t testing.TB, src string) *Config {
	t.Helper()
	c, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestWhoAcrossDST(t *testing.T) {
	cfg := mustParse(t, dstFile)
	tests := []struct {
		schedule, at, want string // want "" for nobody
	}{
		// Berlin weekly, handoffs Mondays 09:00 local
		{"primary", "2026-03-02T07:59:59Z", ""}, // before the layer's start
		{"primary", "2026-03-02T08:00:00Z", "alice"},
		{"primary", "2026-03-09T07:59:59Z", "alice"},
		{"primary", "2026-03-09T08:00:00Z", "bob"},
		{"primary", "2026-03-23T08:00:00Z", "alice"},
		// the override crossing the EU change
		{"primary", "2026-03-28T18:59:59Z", "alice"},
		{"primary", "2026-03-28T19:00:00Z", "dave"},
		{"primary", "2026-03-29T00:59:59Z", "dave"},
		{"primary", "2026-03-29T01:00:00Z", "dave"},
		{"primary", "2026-03-29T09:59:59Z", "dave"},
		{"primary", "2026-03-29T10:00:00Z", "alice"},
		// after the change, 09:00 CEST is 07:00Z: a duration-based rotation would say 08:00Z
		{"primary", "2026-03-30T06:59:59Z", "alice"},
		{"primary", "2026-03-30T07:00:00Z", "bob"},
		{"primary", "2026-03-30T07:30:00+00:00", "bob"},
		{"primary", "2026-03-30T09:30:00+02:00", "bob"},
		// autumn: 09:00 CET is 08:00Z again, week 34 after the start
		{"primary", "2026-10-26T07:59:59Z", "alice"},
		{"primary", "2026-10-26T08:00:00Z", "bob"},
		{"primary", "2026-10-26T07:00:00Z", "alice"},

		// New York: weekly base below, nights layer 20:00-08:00 above; US change 07:00Z Mar 8
		{"follow", "2026-03-06T12:59:59Z", "gina"},
		{"follow", "2026-03-07T00:59:59Z", "gina"}, // 19:59 EST
		{"follow", "2026-03-07T01:00:00Z", "erin"}, // 20:00 EST, the night of Mar 6
		{"follow", "2026-03-07T12:59:59Z", "erin"},
		{"follow", "2026-03-07T13:00:00Z", "gina"}, // 08:00 EST: window over, frank's period begun
		{"follow", "2026-03-08T00:59:59Z", "gina"},
		{"follow", "2026-03-08T01:00:00Z", "frank"},
		{"follow", "2026-03-08T05:59:59Z", "frank"},
		{"follow", "2026-03-08T06:00:00Z", "ivan"},
		{"follow", "2026-03-08T07:00:00Z", "ivan"},
		{"follow", "2026-03-08T12:29:59Z", "ivan"},
		{"follow", "2026-03-08T12:30:00Z", "gina"}, // 08:30 EDT: after the window
		{"follow", "2026-03-08T23:59:59Z", "gina"}, // 19:59 EDT
		{"follow", "2026-03-09T00:00:00Z", "erin"}, // 20:00 EDT, erin's period since 08:00 EDT
		{"follow", "2026-03-09T11:59:59Z", "erin"},
		{"follow", "2026-03-09T12:00:00Z", "gina"}, // 08:00 EDT
		{"follow", "2026-03-09T12:59:59Z", "gina"},
		{"follow", "2026-03-09T13:00:00Z", "hank"}, // 09:00 EDT: weekly handoff
		// US autumn change, 06:00Z Nov 1: 20:00 EST is 01:00Z
		// (Oct 31 is day 239 of the nights rotation: frank; Oct 26 week 34 of base: gina)
		{"follow", "2026-10-31T23:59:59Z", "gina"},  // 19:59 EDT Oct 31
		{"follow", "2026-11-01T00:00:00Z", "frank"}, // 20:00 EDT Oct 31
		{"follow", "2026-11-01T05:59:59Z", "frank"}, // 01:59 EDT, the first 01:59
		{"follow", "2026-11-01T06:30:00Z", "frank"}, // 01:30 EST, the second 01:30
		{"follow", "2026-11-01T12:59:59Z", "frank"}, // 07:59 EST: a 13-hour night
		{"follow", "2026-11-01T13:00:00Z", "gina"},  // 08:00 EST
		{"follow", "2026-11-02T00:59:59Z", "gina"},  // 19:59 EST
		{"follow", "2026-11-02T01:00:00Z", "erin"},  // 20:00 EST
		{"follow", "2026-11-02T13:59:59Z", "gina"},  // 08:59 EST Monday
		{"follow", "2026-11-02T14:00:00Z", "hank"},  // 09:00 EST: week 35

		// wall-clock hours: 02:00 does not exist on Mar 29, c's hour is empty
		{"hourly", "2026-03-28T22:59:59Z", ""},
		{"hourly", "2026-03-28T23:00:00Z", "a"},
		{"hourly", "2026-03-29T00:00:00Z", "b"},
		{"hourly", "2026-03-29T00:59:59Z", "b"},
		{"hourly", "2026-03-29T01:00:00Z", "a"}, // 03:00 CEST
		{"hourly", "2026-03-29T02:00:00Z", "b"},
		// 02:00 happens twice on Oct 25: c holds both hours (the later layer wins)
		{"hourly", "2026-10-24T23:00:00Z", "b"},
		{"hourly", "2026-10-25T00:00:00Z", "c"},
		{"hourly", "2026-10-25T01:30:00Z", "c"},
		{"hourly", "2026-10-25T02:00:00Z", "a"},

		// 12h: 09:00 and 21:00 local; the night of the change is 11 hours
		{"halfday", "2026-03-28T08:00:00Z", "x"},
		{"halfday", "2026-03-28T20:00:00Z", "y"},
		{"halfday", "2026-03-29T06:59:59Z", "y"},
		{"halfday", "2026-03-29T07:00:00Z", "x"},
		{"halfday", "2026-03-29T19:00:00Z", "y"},

		// months clamp to the month's end without drifting
		{"monthly", "2026-02-28T07:59:59Z", "m1"},
		{"monthly", "2026-02-28T08:00:00Z", "m2"},
		{"monthly", "2026-03-30T12:00:00Z", "m2"},
		{"monthly", "2026-03-31T06:59:59Z", "m2"},
		{"monthly", "2026-03-31T07:00:00Z", "m3"},
		{"monthly", "2026-04-30T07:00:00Z", "m1"},
		{"monthly", "2027-02-28T08:00:00Z", "m2"}, // 13 months on

		// restrictions: Friday 22:00 to Saturday 06:00, Sunday from 10:00 to midnight
		{"weekend", "2026-03-06T02:59:59Z", ""},   // Thursday 21:59 EST
		{"weekend", "2026-03-07T02:59:59Z", ""},   // Friday 21:59 EST
		{"weekend", "2026-03-07T03:00:00Z", "w1"}, // Friday 22:00 EST, week 8 after Jan 5
		{"weekend", "2026-03-07T10:59:59Z", "w1"}, // Saturday 05:59
		{"weekend", "2026-03-07T11:00:00Z", ""},
		{"weekend", "2026-03-08T13:59:59Z", ""},   // Sunday 09:59 EDT
		{"weekend", "2026-03-08T14:00:00Z", "w1"}, // Sunday 10:00 EDT
		{"weekend", "2026-03-09T03:59:59Z", "w1"}, // Sunday 23:59 EDT
		{"weekend", "2026-03-09T04:00:00Z", ""},   // Monday 00:00
	}
	for _, tt := range tests {
		t.Run(tt.schedule+"@"+tt.at, func(t *testing.T) {
			s, err := cfg.Schedule(tt.schedule)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{}
			if tt.want != "" {
				want = []string{tt.want}
			}
			if got := s.Who(mustTime(t, tt.at)); !reflect.DeepEqual(got, want) {
				t.Errorf("Who(%s) = %q, want %q", tt.at, got, want)
			}
		})
	}
}

// TestShiftsAgreeWithWho checks the final schedule against Who at every
// minute, and that consecutive shifts differ in who is on call.
func TestShiftsAgreeWithWho(t *testing.T) {
	cfg := mustParse(t, dstFile)
	windows := [][2]string{
		{"2026-03-01T00:00:00Z", "2026-04-02T00:00:00Z"},
		{"2026-10-20T00:00:00Z", "2026-11-04T00:00:00Z"},
	}
	for _, s := range cfg.Schedules() {
		for _, w := range windows {
			from, to := mustTime(t, w[0]), mustTime(t, w[1])
			shifts := s.Shifts(from, to)
			for i, sh := range shifts {
				if !sh.Start.Before(sh.End) || sh.Start.Before(from) || sh.End.After(to) {
					t.Fatalf("%s: shift %d %+v out of order or range", s.Name(), i, sh)
				}
				if i > 0 && shifts[i-1].End.Equal(sh.Start) && shifts[i-1].User == sh.User {
					t.Errorf("%s: shifts %d and %d should be one: %+v %+v", s.Name(), i-1, i, shifts[i-1], sh)
				}
			}
			k := 0
			for at := from; at.Before(to); at = at.Add(time.Minute) {
				for k < len(shifts) && !at.Before(shifts[k].End) {
					k++
				}
				want := ""
				if k < len(shifts) && !at.Before(shifts[k].Start) {
					want = shifts[k].User
				}
				got := strings.Join(s.Who(at), ",")
				if got != want {
					t.Fatalf("%s at %s: Who %q, Shifts %q", s.Name(), at.Format(time.RFC3339), got, want)
				}
			}
		}
	}
}

func TestShiftsLayerAndClipping(t *testing.T) {
	s, _ := mustParse(t, dstFile).Schedule("primary")
	got := s.Shifts(mustTime(t, "2026-03-28T00:00:00Z"), mustTime(t, "2026-03-30T12:00:00Z"))
	want := []Shift{
		{User: "alice", Start: mustTime(t, "2026-03-28T00:00:00Z"), End: mustTime(t, "2026-03-28T19:00:00Z"), Layer: "weekly"},
		{User: "dave", Start: mustTime(t, "2026-03-28T19:00:00Z"), End: mustTime(t, "2026-03-29T10:00:00Z"), Layer: ""},
		{User: "alice", Start: mustTime(t, "2026-03-29T10:00:00Z"), End: mustTime(t, "2026-03-30T07:00:00Z"), Layer: "weekly"},
		{User: "bob", Start: mustTime(t, "2026-03-30T07:00:00Z"), End: mustTime(t, "2026-03-30T12:00:00Z"), Layer: "weekly"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d shifts %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g := got[i]
		if g.User != want[i].User || !g.Start.Equal(want[i].Start) || !g.End.Equal(want[i].End) || g.Layer != want[i].Layer {
			t.Errorf("shift %d = %+v, want %+v", i, g, want[i])
		}
		if g.Start.Location() != s.Location() {
			t.Errorf("shift %d not in the schedule's zone: %v", i, g.Start.Location())
		}
	}
}

func TestNext(t *testing.T) {
	cfg := mustParse(t, dstFile)
	tests := []struct {
		schedule, user, after string
		start, end            string // "" when none
	}{
		{"primary", "bob", "2026-03-01T00:00:00Z", "2026-03-09T08:00:00Z", "2026-03-16T08:00:00Z"},
		{"primary", "alice", "2026-03-02T08:00:00Z", "2026-03-23T08:00:00Z", "2026-03-28T19:00:00Z"}, // strictly after: not the shift starting then
		{"primary", "alice", "2026-03-28T20:00:00Z", "2026-03-29T10:00:00Z", "2026-03-30T07:00:00Z"}, // back after the override
		{"primary", "dave", "2026-03-01T00:00:00Z", "2026-03-28T19:00:00Z", "2026-03-29T10:00:00Z"},
		{"primary", "dave", "2026-03-29T00:00:00Z", "", ""}, // no shift after this one
		{"primary", "nobody", "2026-03-01T00:00:00Z", "", ""},
		{"follow", "erin", "2026-03-07T02:00:00Z", "2026-03-09T00:00:00Z", "2026-03-09T12:00:00Z"},
		{"monthly", "m1", "2026-02-01T00:00:00Z", "2026-04-30T07:00:00Z", "2026-05-31T07:00:00Z"},
		{"weekend", "w2", "2026-03-07T03:00:00Z", "2026-03-14T02:00:00Z", "2026-03-14T10:00:00Z"}, // Friday 22:00 EDT
		{"weekend", "w1", "2026-03-07T03:00:00Z", "2026-03-08T14:00:00Z", "2026-03-09T04:00:00Z"}, // Sunday's window, after Saturday's gap
	}
	for _, tt := range tests {
		t.Run(tt.schedule+"/"+tt.user+"@"+tt.after, func(t *testing.T) {
			s, _ := cfg.Schedule(tt.schedule)
			sh, ok := s.Next(tt.user, mustTime(t, tt.after))
			if tt.start == "" {
				if ok {
					t.Fatalf("Next = %+v, want none", sh)
				}
				return
			}
			if !ok || sh.User != tt.user || !sh.Start.Equal(mustTime(t, tt.start)) || !sh.End.Equal(mustTime(t, tt.end)) {
				t.Fatalf("Next = %+v, %v; want %s to %s", sh, ok, tt.start, tt.end)
			}
		})
	}
}

func TestHandoffsOneTurnOfMonths(t *testing.T) {
	s, _ := mustParse(t, dstFile).Schedule("monthly")
	l := s.layers[0]
	want := []string{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
		"2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28"}
	for p, w := range want {
		h := l.handoff(int64(p)).In(s.Location())
		if got := h.Format("2006-01-02T15:04"); got != w+"T09:00" {
			t.Errorf("handoff %d = %s, want %sT09:00", p, got, w)
		}
	}
}

func TestInstantGapAndOverlap(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ wall, want string }{
		{"2026-03-29T01:59:00", "2026-03-29T00:59:00Z"},
		{"2026-03-29T02:30:00", "2026-03-29T01:30:00Z"}, // the gap: read with +01:00, i.e. 03:30 CEST
		{"2026-03-29T03:00:00", "2026-03-29T01:00:00Z"},
		{"2026-10-25T02:30:00", "2026-10-25T00:30:00Z"}, // twice: the first
		{"2026-10-25T03:00:00", "2026-10-25T02:00:00Z"},
		{"2026-07-01T12:00:00", "2026-07-01T10:00:00Z"},
	}
	for _, tt := range tests {
		w, _ := time.Parse("2006-01-02T15:04:05", tt.wall)
		if got := instant(berlin, w.Unix()).UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("instant(%s) = %s, want %s", tt.wall, got, tt.want)
		}
	}
}
