package slo

import (
	"fmt"
	"strconv"
	"time"
)

// StandardWindows are the burn-rate windows every status reports.
var StandardWindows = []time.Duration{
	5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour,
}

// FormatWindow writes a duration the way SLO windows are written: 5m, 6h,
// 3d, 30d.
func FormatWindow(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// Bounds returns the window in force at now: [start, now) and the full
// length the budget is spread over (the rolling duration, or the whole
// current month or ISO week).
func (w Window) Bounds(now time.Time) (start time.Time, length time.Duration) {
	if w.Calendar == "" {
		return now.Add(-w.Rolling), w.Rolling
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	var end time.Time
	switch w.Calendar {
	case "week":
		// ISO weeks start on Monday.
		back := (int(t.Weekday()) + 6) % 7
		start = time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
		end = time.Date(start.Year(), start.Month(), start.Day()+7, 0, 0, 0, 0, loc)
	default: // month
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		end = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
	}
	return start, end.Sub(start)
}

// String describes the window: "30d" or "month in Europe/Berlin".
func (w Window) String() string {
	if w.Calendar == "" {
		return FormatWindow(w.Rolling)
	}
	loc := "UTC"
	if w.Location != nil {
		loc = w.Location.String()
	}
	return fmt.Sprintf("%s in %s", w.Calendar, loc)
}
