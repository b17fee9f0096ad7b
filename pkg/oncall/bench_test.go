package oncall

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchFile builds the schedule of the figure: 5 layers (weekly,
// daily with a night window, 12h, monthly, weekdays) and 50 overrides.
func benchFile() string {
	var b strings.Builder
	b.WriteString(`schedules:
  - name: big
    timeZone: America/New_York
    layers:
      - {name: weekly, start: "2025-01-06T09:00", length: 1w, participants: [a1, a2, a3, a4, a5]}
      - {name: daily, start: "2025-01-06T08:00", length: 1d, participants: [b1, b2, b3], restrictions: [{from: "20:00", to: "08:00"}]}
      - {name: half, start: "2025-01-06T09:00", length: 12h, participants: [c1, c2], restrictions: [{days: [sat, sun]}]}
      - {name: monthly, start: "2025-01-31T10:00", length: 1mo, participants: [d1, d2, d3, d4], restrictions: [{days: [mon], from: "06:00", to: "07:00"}]}
      - {name: office, start: "2025-01-06T09:00", length: 3d, participants: [e1, e2, e3], restrictions: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}]}
    overrides:
`)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		from := start.Add(time.Duration(i) * 7 * 24 * time.Hour)
		fmt.Fprintf(&b, "      - {user: o%d, from: %q, to: %q}\n", i, from.Format(time.RFC3339), from.Add(36*time.Hour).Format(time.RFC3339))
	}
	return b.String()
}

var sink int

func BenchmarkWho(b *testing.B) {
	s := mustParse(b, benchFile()).Schedules()[0]
	// instants spread over the year, none in an override, so every layer is asked
	var at []time.Time
	for t := time.Date(2026, 1, 3, 3, 17, 0, 0, time.UTC); len(at) < 1024; t = t.Add(8*time.Hour + 13*time.Minute) {
		if _, over := s.overrideAt(t); !over {
			at = append(at, t)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		n += len(s.Who(at[i%len(at)]))
	}
	sink = n
}

// TestWhoBudget keeps the figure honest in ordinary test runs, with
// room for slow shared machines: the target is 10 µs, the test fails at 100.
func TestWhoBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	r := testing.Benchmark(BenchmarkWho)
	if per := time.Duration(r.NsPerOp()); per > 100*time.Microsecond {
		t.Errorf("Who takes %v, the target is 10µs", per)
	}
}
