package slo_test

import (
	"math"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
)

func TestWindowBounds(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		w         slo.Window
		now       time.Time
		start     time.Time
		length    time.Duration
		formatted string
	}{
		{"rolling 30d", slo.Window{Rolling: 30 * 24 * time.Hour}, t0, t0.Add(-30 * 24 * time.Hour), 30 * 24 * time.Hour, "30d"},
		// March 2026 in Paris has a DST change: 31 days less one hour.
		{"month with DST", slo.Window{Calendar: "month", Location: paris}, time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 1, 0, 0, 0, 0, paris), 31*24*time.Hour - time.Hour, "month in Europe/Paris"},
		{"february", slo.Window{Calendar: "month"}, time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 28 * 24 * time.Hour, "month in UTC"},
		// 2026-12-02 is a Wednesday: the ISO week began on Monday 11-30.
		{"week", slo.Window{Calendar: "week"}, time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, "week in UTC"},
		{"week on a Sunday", slo.Window{Calendar: "week"}, time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, "week in UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, length := tt.w.Bounds(tt.now)
			if !start.Equal(tt.start) || length != tt.length {
				t.Errorf("Bounds = %s, %s; want %s, %s", start, length, tt.start, tt.length)
			}
			if got := tt.w.String(); got != tt.formatted {
				t.Errorf("String = %q, want %q", got, tt.formatted)
			}
		})
	}
}

func TestDefaultThresholdsScaleWithTheWindow(t *testing.T) {
	want := map[time.Duration][]float64{
		30 * 24 * time.Hour: {14.4, 6, 3, 1},
		28 * 24 * time.Hour: {13.44, 5.6, 2.8, 2.8 / 3},
	}
	for w, factors := range want {
		for i, r := range slo.DefaultAlerts() {
			if got := r.Factor(w); math.Abs(got-factors[i]) > 1e-9 {
				t.Errorf("%s rule %s: threshold %v, want %v", slo.FormatWindow(w), r.Name, got, factors[i])
			}
		}
	}
}
