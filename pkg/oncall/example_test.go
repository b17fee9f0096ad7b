package oncall_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/oncall"
)

// A weekly rotation in Berlin with an override across the change to summer
// time: the handoff stays at 09:00 local time, which is 08:00Z before the
// change and 07:00Z after it.
func Example() {
	cfg, err := oncall.Parse("schedules.yaml", []byte(`
schedules:
  - name: primary
    timeZone: Europe/Berlin
    layers:
      - name: weekly
        start: "2026-03-02T09:00"
        length: 1w
        participants: [alice, bob, carol]
    overrides:
      - {user: dave, from: "2026-03-28T20:00:00+01:00", to: "2026-03-29T12:00:00+02:00"}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	primary, err := cfg.Schedule("primary")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, at := range []string{"2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z", "2026-03-30T06:59:00Z", "2026-03-30T07:00:00Z"} {
		t, _ := time.Parse(time.RFC3339, at)
		fmt.Println(at, primary.Who(t))
	}
	from, _ := time.Parse(time.RFC3339, "2026-03-28T00:00:00Z")
	for _, sh := range primary.Shifts(from, from.Add(72*time.Hour)) {
		fmt.Printf("%s %s to %s (layer %q)\n", sh.User, sh.Start.Format(time.RFC3339), sh.End.Format(time.RFC3339), sh.Layer)
	}
	if next, ok := primary.Next("carol", from); ok {
		fmt.Println("carol next:", next.Start.Format(time.RFC3339), "to", next.End.Format(time.RFC3339))
	}
	var cal strings.Builder
	if err := oncall.ExportICal(&cal, primary, from, from.Add(time.Hour), oncall.Stamp(from)); err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.ReplaceAll(cal.String(), "\r\n", "\n")) // the export ends lines in CRLF
	// Output:
	// 2026-03-28T12:00:00Z [alice]
	// 2026-03-29T01:30:00Z [dave]
	// 2026-03-30T06:59:00Z [alice]
	// 2026-03-30T07:00:00Z [bob]
	// alice 2026-03-28T01:00:00+01:00 to 2026-03-28T20:00:00+01:00 (layer "weekly")
	// dave 2026-03-28T20:00:00+01:00 to 2026-03-29T12:00:00+02:00 (layer "")
	// alice 2026-03-29T12:00:00+02:00 to 2026-03-30T09:00:00+02:00 (layer "weekly")
	// bob 2026-03-30T09:00:00+02:00 to 2026-03-31T02:00:00+02:00 (layer "weekly")
	// carol next: 2026-04-06T09:00:00+02:00 to 2026-04-13T09:00:00+02:00
	// BEGIN:VCALENDAR
	// VERSION:2.0
	// PRODID:-//CogniForge//oncall//EN
	// CALSCALE:GREGORIAN
	// METHOD:PUBLISH
	// X-WR-CALNAME:On call: primary
	// BEGIN:VEVENT
	// UID:4ccc993df10c6c9e68d93ff95279c708@oncall.cogniforge.dev
	// DTSTAMP:20260328T000000Z
	// DTSTART:20260328T000000Z
	// DTEND:20260328T010000Z
	// SUMMARY:On call: alice (primary)
	// DESCRIPTION:Schedule primary\, layer weekly
	// TRANSP:TRANSPARENT
	// END:VEVENT
	// END:VCALENDAR
}
