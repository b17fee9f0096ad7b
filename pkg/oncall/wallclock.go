package oncall

import "time"

// Wall-clock arithmetic. A "wall" value is a civil date and time of the
// schedule's zone written as seconds since 1970-01-01T00:00 of that civil
// calendar (as if the zone were UTC): adding days or hours to it is
// calendar arithmetic, and instant turns it back into absolute time.

const daySeconds = 24 * 60 * 60

// wallOf returns the wall-clock seconds of t in loc.
func wallOf(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return t.Unix() + int64(off)
}

// offsetAt returns loc's UTC offset in seconds at the Unix time u.
func offsetAt(loc *time.Location, u int64) int64 {
	_, off := time.Unix(u, 0).In(loc).Zone()
	return int64(off)
}

// instant returns the absolute time of the wall-clock time w in loc. A wall
// time that happens twice (a backward change) gives the earlier instant; one
// that does not happen (a forward change) is read with the offset in force
// before the gap, which lands as much after the wall time as the gap is long
// (RFC 5545, 3.3.5). Changes closer than a day apart are not told apart;
// no zone has them.
func instant(loc *time.Location, w int64) time.Time {
	before := offsetAt(loc, w-daySeconds)
	after := offsetAt(loc, w+daySeconds)
	c1 := w - before
	if before == after {
		return time.Unix(c1, 0).In(loc)
	}
	c2 := w - after
	ok1 := offsetAt(loc, c1) == before
	ok2 := offsetAt(loc, c2) == after
	switch {
	case ok1 && ok2:
		return time.Unix(min(c1, c2), 0).In(loc)
	case ok2:
		return time.Unix(c2, 0).In(loc)
	default: // ok1 alone, or the gap
		return time.Unix(c1, 0).In(loc)
	}
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayOf returns the day number of a wall time (0 is 1970-01-01).
func dayOf(w int64) int64 { return floorDiv(w, daySeconds) }

// weekdayOf returns the day of the week of a day number.
func weekdayOf(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

// wallDate returns the wall time of a civil date and clock, normalising
// out-of-range values as time.Date does.
func wallDate(y int, m time.Month, d int, sec int64) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() + sec
}

// civil splits a wall time into its calendar fields.
func civil(w int64) (y int, m time.Month, d int, sec int64) {
	t := time.Unix(w, 0).UTC()
	y, m, d = t.Date()
	return y, m, d, w - dayOf(w)*daySeconds
}

// daysIn returns the number of days of a month.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
