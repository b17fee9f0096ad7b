package oncall

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Unit is the calendar unit of a rotation length.
type Unit int

// The units of a Length.
const (
	Hour  Unit = iota + 1 // wall-clock hours ("12h")
	Day                   // calendar days ("3d"); weeks ("1w") are 7 days
	Month                 // calendar months ("1mo")
)

// Length is how long each participant of a layer stays on call.
type Length struct {
	N    int  // how many units, > 0
	Unit Unit // Hour, Day or Month
	Week bool // written in weeks: N is then a multiple of 7 days
}

// String returns the length as it is written in the file ("1w", "12h").
func (l Length) String() string {
	switch {
	case l.Unit == Day && l.Week:
		return strconv.Itoa(l.N/7) + "w"
	case l.Unit == Day:
		return strconv.Itoa(l.N) + "d"
	case l.Unit == Month:
		return strconv.Itoa(l.N) + "mo"
	default:
		return strconv.Itoa(l.N) + "h"
	}
}

// Restriction is a window of local time, repeated on some days of the week,
// inside which a layer may have someone on call.
type Restriction struct {
	Days [7]bool // indexed by time.Weekday; all true when the file omits days
	From int     // start, seconds after local midnight of a listed day
	To   int     // end, seconds after local midnight; <= From ends the next day; 24h is midnight
}

func (r Restriction) wraps() bool { return r.To <= r.From }

// Layer is one rotation of a schedule.
type Layer struct {
	Name         string
	Start        time.Time // the first handoff, in the schedule's location
	Length       Length
	Participants []string
	Restrictions []Restriction

	loc       *time.Location
	startWall int64 // wall-clock seconds of Start
}

// Override puts User on call over [From, To), above every layer.
type Override struct {
	User     string
	From, To time.Time
}

// Shift is a stretch of time during which one person is on call.
type Shift struct {
	User       string
	Start, End time.Time // [Start, End), in the schedule's location
	// Layer names the layer that puts User on call at Start, "" when an
	// override does. A shift goes on across a change of layer when the same
	// person stays on call.
	Layer string
}

// Schedule is a parsed, validated schedule: immutable and safe for
// concurrent use.
type Schedule struct {
	name      string
	loc       *time.Location
	layers    []*Layer
	overrides []Override // sorted by From; they do not overlap, so To is sorted too
}

// Name returns the schedule's name.
func (s *Schedule) Name() string { return s.name }

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Layers returns a copy of the schedule's layers, lowest first.
func (s *Schedule) Layers() []Layer {
	out := make([]Layer, len(s.layers))
	for i, l := range s.layers {
		out[i] = *l
		out[i].Participants = append([]string(nil), l.Participants...)
		out[i].Restrictions = append([]Restriction(nil), l.Restrictions...)
	}
	return out
}

// Overrides returns a copy of the schedule's overrides, in time order.
func (s *Schedule) Overrides() []Override { return append([]Override(nil), s.overrides...) }

// Who returns the ids of the people on call at the instant at: the user of
// the override covering it, else the participant of the last layer that has
// someone. It returns an empty (never nil) slice when nobody is on call;
// today it holds at most one id (a slice leaves room for layers that page
// several people at once).
func (s *Schedule) Who(at time.Time) []string {
	if u, _ := s.who(at); u != "" {
		return []string{u}
	}
	return []string{}
}

// who returns who is on call at t and the index of the layer that puts them
// there (-1 for an override or nobody).
func (s *Schedule) who(t time.Time) (string, int) {
	if o, ok := s.overrideAt(t); ok {
		return o.User, -1
	}
	for i := len(s.layers) - 1; i >= 0; i-- {
		if u := s.layers[i].who(t); u != "" {
			return u, i
		}
	}
	return "", -1
}

// overrideAt finds the override covering t by binary search.
func (s *Schedule) overrideAt(t time.Time) (Override, bool) {
	i := sort.Search(len(s.overrides), func(i int) bool { return s.overrides[i].To.After(t) })
	if i < len(s.overrides) && !t.Before(s.overrides[i].From) {
		return s.overrides[i], true
	}
	return Override{}, false
}

// handoff returns the instant of the layer's p-th handoff (p >= 0).
func (l *Layer) handoff(p int64) time.Time {
	n := int64(l.Length.N) * p
	switch l.Length.Unit {
	case Hour:
		return instant(l.loc, l.startWall+n*3600)
	case Day:
		y, m, d, sec := civil(l.startWall)
		return instant(l.loc, wallDate(y, m, d+int(n), sec))
	default:
		y, m, d, sec := civil(l.startWall)
		months := int64(m-1) + n
		y += int(floorDiv(months, 12))
		m = time.Month(months-floorDiv(months, 12)*12) + 1
		return instant(l.loc, wallDate(y, m, min(d, daysIn(y, m)), sec))
	}
}

// period returns the index of the period holding t, which must not be
// before Start. The guess from wall-clock arithmetic is off by at most one
// around a change of offset or a clamped month end; the loops correct it.
func (l *Layer) period(t time.Time) int64 {
	w := wallOf(t, l.loc)
	n := int64(l.Length.N)
	var p int64
	switch l.Length.Unit {
	case Hour:
		p = floorDiv(w-l.startWall, n*3600)
	case Day:
		p = floorDiv(dayOf(w)-dayOf(l.startWall), n)
	default:
		y0, m0, _, _ := civil(l.startWall)
		y, m, _, _ := civil(w)
		p = floorDiv(int64(y-y0)*12+int64(m-m0), n)
	}
	p = max(p, 0)
	for p > 0 && t.Before(l.handoff(p)) {
		p--
	}
	for !t.Before(l.handoff(p + 1)) {
		p++
	}
	return p
}

// who returns the layer's participant on call at t, "" for nobody.
func (l *Layer) who(t time.Time) string {
	if t.Before(l.Start) {
		return ""
	}
	if len(l.Restrictions) > 0 && !l.inside(t) {
		return ""
	}
	return l.Participants[l.period(t)%int64(len(l.Participants))]
}

// window returns the instants of restriction r's window that starts on the
// local day number day.
func (l *Layer) window(r Restriction, day int64) (time.Time, time.Time) {
	from := instant(l.loc, day*daySeconds+int64(r.From))
	end := day * daySeconds
	if r.wraps() {
		end += daySeconds
	}
	return from, instant(l.loc, end+int64(r.To))
}

// inside reports whether t is in one of the layer's restriction windows.
func (l *Layer) inside(t time.Time) bool {
	day := dayOf(wallOf(t, l.loc))
	for _, r := range l.Restrictions {
		for d := day; d >= day-1; d-- {
			if d < day && !r.wraps() {
				break
			}
			if !r.Days[weekdayOf(d)] {
				continue
			}
			if from, to := l.window(r, d); !t.Before(from) && t.Before(to) {
				return true
			}
		}
	}
	return false
}

// nextChange returns the first instant after t at which the layer's answer
// may change: its start, a handoff, or the edge of a restriction window.
func (l *Layer) nextChange(t time.Time) time.Time {
	if t.Before(l.Start) {
		return l.Start
	}
	next := l.handoff(l.period(t) + 1)
	day := dayOf(wallOf(t, l.loc))
	for _, r := range l.Restrictions {
		// windows of later days start and end later: the first day with an
		// edge after t has this restriction's next edge
		for d := day - 1; d <= day+8; d++ {
			if !r.Days[weekdayOf(d)] {
				continue
			}
			from, to := l.window(r, d)
			if from.After(t) {
				if from.Before(next) {
					next = from
				}
				break
			}
			if to.After(t) {
				if to.Before(next) {
					next = to
				}
				break
			}
		}
	}
	return next
}

// nextChange returns the first instant after t at which the schedule's
// answer may change.
func (s *Schedule) nextChange(t time.Time) time.Time {
	var next time.Time
	pick := func(c time.Time) {
		if next.IsZero() || c.Before(next) {
			next = c
		}
	}
	for _, l := range s.layers {
		pick(l.nextChange(t))
	}
	i := sort.Search(len(s.overrides), func(i int) bool { return s.overrides[i].To.After(t) })
	if i < len(s.overrides) {
		if o := s.overrides[i]; o.From.After(t) {
			pick(o.From)
		} else {
			pick(o.To)
		}
	}
	return next
}

// Shifts returns the final schedule over [from, to): who is on call when,
// in time order, each shift clipped to the range. Contiguous time with the
// same person on call is one shift, even across a handoff or a change of
// layer. Time with nobody on call has no shift.
func (s *Schedule) Shifts(from, to time.Time) []Shift {
	var out []Shift
	for t := from; t.Before(to); {
		user, layer := s.who(t)
		next := s.nextChange(t)
		if next.IsZero() || next.After(to) {
			next = to
		}
		if user != "" {
			if n := len(out); n > 0 && out[n-1].User == user && out[n-1].End.Equal(t) {
				out[n-1].End = next.In(s.loc)
			} else {
				out = append(out, Shift{User: user, Start: t.In(s.loc), End: next.In(s.loc), Layer: s.layerName(layer)})
			}
		}
		t = next
	}
	return out
}

func (s *Schedule) layerName(i int) string {
	if i < 0 {
		return ""
	}
	return s.layers[i].Name
}

// Next returns user's next shift: the first time after the instant after
// at which user goes on call, with its end (when user goes off call again).
// It looks as far as one full turn of the longest rotation after the last
// layer start and override, past which the schedule repeats, but never more
// than NextHorizon ahead; ok is false when user has no shift that soon, and
// End is the zero Time when the shift found does not end that soon. Its
// cost grows with the number of handoffs and restriction edges it passes.
func (s *Schedule) Next(user string, after time.Time) (shift Shift, ok bool) {
	horizon := s.horizon(after)
	prev, _ := s.who(after)
	for t := after; ; {
		t = s.nextChange(t)
		if t.IsZero() || t.After(horizon) {
			return Shift{}, false
		}
		u, layer := s.who(t)
		if u == user && prev != user {
			shift = Shift{User: user, Start: t.In(s.loc), Layer: s.layerName(layer)}
			for {
				t = s.nextChange(t)
				if t.IsZero() || t.After(horizon) {
					return shift, true // End stays zero: no end in sight
				}
				if u, _ := s.who(t); u != user {
					shift.End = t.In(s.loc)
					return shift, true
				}
			}
		}
		prev = u
	}
}

// horizon bounds Next's search: past the last start and override, every
// layer's answer repeats after one turn of its rotation.
func (s *Schedule) horizon(after time.Time) time.Time {
	h := after
	var turn time.Duration
	for _, l := range s.layers {
		if l.Start.After(h) {
			h = l.Start
		}
		unit := 2 * time.Hour // a wall-clock hour lasts at most two
		switch l.Length.Unit {
		case Day:
			unit = 25 * time.Hour
		case Month:
			unit = 31 * 25 * time.Hour
		}
		turn = max(turn, time.Duration(l.Length.N*(len(l.Participants)+1))*unit)
	}
	if n := len(s.overrides); n > 0 && s.overrides[n-1].To.After(h) {
		h = s.overrides[n-1].To
	}
	h = h.Add(turn + 8*24*time.Hour)
	if limit := after.Add(NextHorizon); h.After(limit) {
		return limit
	}
	return h
}

// NextHorizon bounds how far ahead Next looks: a reminder needs the next
// shift, not one years away.
const NextHorizon = 3 * 366 * 24 * time.Hour

// String summarises the schedule in one line, as oncall validate prints it.
func (s *Schedule) String() string {
	out := fmt.Sprintf("%s: %s, %d layer(s)", s.name, s.loc, len(s.layers))
	for i, l := range s.layers {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		out += fmt.Sprintf("%s%s: %s from %s, %d participant(s)", sep, l.Name, l.Length, l.Start.Format("2006-01-02T15:04"), len(l.Participants))
		if len(l.Restrictions) > 0 {
			out += fmt.Sprintf(", %d restriction(s)", len(l.Restrictions))
		}
	}
	if len(s.layers) > 0 {
		out += ")"
	}
	return out + fmt.Sprintf(", %d override(s)", len(s.overrides))
}
