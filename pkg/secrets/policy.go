package secrets

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/schedule"
)

// RotationRules is Secrets Manager's RotationRulesType: either
// AutomaticallyAfterDays or ScheduleExpression (rate() or cron()), and
// optionally Duration, the length of the rotation window ("3h"). The zero
// value is no rotation policy.
type RotationRules struct {
	AutomaticallyAfterDays int64  `json:"automaticallyAfterDays,omitempty"`
	ScheduleExpression     string `json:"scheduleExpression,omitempty"`
	Duration               string `json:"duration,omitempty"`
}

// IsZero reports whether r names no policy.
func (r RotationRules) IsZero() bool {
	return r.AutomaticallyAfterDays == 0 && r.ScheduleExpression == "" && r.Duration == ""
}

// String is the rule as an operator writes it: "rate(90 days), window 3h".
func (r RotationRules) String() string {
	var s string
	switch {
	case r.ScheduleExpression != "":
		s = r.ScheduleExpression
	case r.AutomaticallyAfterDays != 0:
		s = fmt.Sprintf("every %d days (AutomaticallyAfterDays)", r.AutomaticallyAfterDays)
	default:
		return "none"
	}
	if r.Duration != "" {
		s += ", window " + r.Duration
	}
	return s
}

// Presets are the named policies `cogniforge secrets policy --preset`
// offers, as Secrets Manager rate() rules counted from the last rotation
// (a calendar cron() would make a secret rotated the day before the 1st
// due again on the 1st).
var Presets = map[string]RotationRules{
	"daily":     {ScheduleExpression: "rate(1 day)"},
	"weekly":    {ScheduleExpression: "rate(7 days)"},
	"monthly":   {ScheduleExpression: "rate(30 days)"},
	"quarterly": {ScheduleExpression: "rate(90 days)"},
}

// Preset returns the rules of a named preset.
func Preset(name string) (RotationRules, error) {
	r, ok := Presets[name]
	if !ok {
		return RotationRules{}, fmt.Errorf("%w: preset %q: want daily, weekly, monthly or quarterly", ErrInvalidPolicy, name)
	}
	return r, nil
}

// ErrInvalidPolicy is wrapped by every rotation-rule parse error.
var ErrInvalidPolicy = &Error{Name: "Secrets.InvalidPolicy", Msg: "invalid rotation rules"}

// Policy is parsed RotationRules: when a secret's next rotation window
// opens after its last rotation, and how long it stays open. Everything is
// in UTC, as in Secrets Manager.
type Policy struct {
	rules  RotationRules
	days   int               // AutomaticallyAfterDays or rate(N days)
	sched  schedule.Schedule // rate(N hours) or cron()
	window time.Duration     // 0: the default (see Window)
	hourly bool              // the schedule opens more than one window a day
	gap    time.Duration     // shortest time between two windows of sched
}

func policyErr(format string, args ...any) error {
	return &Error{Name: ErrInvalidPolicy.Name, Msg: fmt.Sprintf(format, args...)}
}

// ParsePolicy checks rules as Secrets Manager does and returns the policy:
// AutomaticallyAfterDays 1-1000 or a ScheduleExpression, not both;
// rate(N hours) with N 4-23 or rate(N days) with N 1-999; cron() with six
// fields, 0 in the minutes and * in the year (the L, W and # modifiers are
// refused here); Duration whole hours, at least 1h, not past the end of the
// window's UTC day nor into the next window.
func ParsePolicy(rules RotationRules) (*Policy, error) {
	p := &Policy{rules: rules}
	switch {
	case rules.AutomaticallyAfterDays != 0 && rules.ScheduleExpression != "":
		return nil, policyErr("give AutomaticallyAfterDays or ScheduleExpression, not both")
	case rules.AutomaticallyAfterDays != 0:
		if rules.AutomaticallyAfterDays < 1 || rules.AutomaticallyAfterDays > 1000 {
			return nil, policyErr("AutomaticallyAfterDays %d: want 1 to 1000", rules.AutomaticallyAfterDays)
		}
		p.days = int(rules.AutomaticallyAfterDays)
	case rules.ScheduleExpression != "":
		if err := p.parseExpression(strings.TrimSpace(rules.ScheduleExpression)); err != nil {
			return nil, err
		}
	default:
		return nil, policyErr("no rule: give AutomaticallyAfterDays or ScheduleExpression")
	}
	if rules.Duration != "" {
		d, err := parseWindow(rules.Duration)
		if err != nil {
			return nil, err
		}
		p.window = d
		if err := p.checkWindow(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseWindow reads Duration: "3h" (or any Go duration of whole hours).
func parseWindow(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < time.Hour || d%time.Hour != 0 || d > 24*time.Hour {
		return 0, policyErr("Duration %q: want whole hours from 1h to 24h, e.g. 3h", s)
	}
	return d, nil
}

func (p *Policy) parseExpression(expr string) error {
	if body, ok := strings.CutPrefix(expr, "rate("); ok && strings.HasSuffix(body, ")") {
		f := strings.Fields(strings.TrimSuffix(body, ")"))
		if len(f) != 2 {
			return policyErr("%s: rate() takes a value and a unit, e.g. rate(10 days)", expr)
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return policyErr("%s: %q is not a positive whole number", expr, f[0])
		}
		switch strings.TrimSuffix(f[1], "s") {
		case "day":
			if n > 999 {
				return policyErr("%s: at most 999 days", expr)
			}
			p.days = n
			return nil
		case "hour":
			if n < 4 || n > 23 {
				return policyErr("%s: a rate in hours must be 4 to 23 hours (Secrets Manager rotates at most every four hours; use days beyond a day)", expr)
			}
			// Secrets Manager's hourly windows open at midnight and every
			// N hours after, restarting each UTC day, as cron(0 0/N ...).
			s, err := schedule.Parse(fmt.Sprintf("cron(0 0/%d * * ? *)", n))
			if err != nil {
				return policyErr("%s: %v", expr, err)
			}
			p.setSchedule(s)
			return nil
		}
		return policyErr("%s: the unit must be hours or days", expr)
	}
	if !strings.HasPrefix(expr, "cron(") {
		return policyErr("ScheduleExpression %q: want rate(N hours|days) or cron(...)", expr)
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
	if len(f) != 6 {
		return policyErr("%s: cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(f))
	}
	if f[0] != "0" {
		return policyErr("%s: the minutes field must be 0 (rotation windows open on the hour)", expr)
	}
	if f[5] != "*" {
		return policyErr("%s: the year field must be * (Secrets Manager schedules repeat within a year)", expr)
	}
	s, err := schedule.Parse(expr)
	if err != nil {
		return policyErr("%v", err)
	}
	p.setSchedule(s)
	return nil
}

// setSchedule samples the schedule's first windows of a year: more than
// one a day makes it hourly (its default window is one hour), and the
// shortest gap bounds Duration.
func (p *Policy) setSchedule(s schedule.Schedule) {
	p.sched = s
	t := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
	var prev time.Time
	for i := 0; i < 64; i++ {
		n := s.Next(t)
		if n.IsZero() {
			break
		}
		if !prev.IsZero() {
			if g := n.Sub(prev); p.gap == 0 || g < p.gap {
				p.gap = g
			}
			if n.YearDay() == prev.YearDay() && n.Year() == prev.Year() {
				p.hourly = true
			}
		}
		prev, t = n, n
	}
}

func (p *Policy) checkWindow() error {
	if p.hourly {
		if p.gap > 0 && p.window > p.gap {
			return policyErr("Duration %s runs into the next rotation window, %s later", p.rules.Duration, p.gap)
		}
		return nil
	}
	// A daily-or-longer window must close by the end of its UTC day.
	start := p.NextWindowStart(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	if start.Add(p.window).After(day.Add(24 * time.Hour)) {
		return policyErr("Duration %s from %02d:00 runs into the next UTC day", p.rules.Duration, start.Hour())
	}
	return nil
}

// Rules returns the rules the policy was parsed from.
func (p *Policy) Rules() RotationRules { return p.rules }

// String is Rules().String().
func (p *Policy) String() string { return p.rules.String() }

// Window is how long a rotation window stays open: Duration when given,
// else one hour for a schedule that opens several windows a day and the
// rest of the UTC day otherwise.
func (p *Policy) Window(start time.Time) time.Duration {
	switch {
	case p.window > 0:
		return p.window
	case p.hourly:
		return time.Hour
	}
	start = start.UTC()
	end := time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, time.UTC)
	return end.Sub(start)
}

// NextWindowStart is when the first rotation window after a rotation at
// last opens: for AutomaticallyAfterDays and rate(N days), midnight UTC N
// days after the day of the last rotation (Secrets Manager counts from the
// previous rotation); for rate(N hours) and cron(), the schedule's first
// window that opens after last.
func (p *Policy) NextWindowStart(last time.Time) time.Time {
	last = last.UTC()
	if p.sched == nil {
		return time.Date(last.Year(), last.Month(), last.Day()+p.days, 0, 0, 0, 0, time.UTC)
	}
	return p.sched.Next(last)
}

// Due states.
const (
	// StateScheduled: the next window has not opened yet.
	StateScheduled = "scheduled"
	// StateDue: the window is open now and the secret not rotated in it.
	StateDue = "due"
	// StateOverdue: a window closed with no rotation since the last one.
	StateOverdue = "overdue"
)

// Status is a secret's standing against its policy at an instant.
type Status struct {
	State       string    `json:"state"`
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
}

// Check says where a secret last rotated at last stands at now.
func (p *Policy) Check(last, now time.Time) Status {
	start := p.NextWindowStart(last)
	st := Status{WindowStart: start, WindowEnd: start.Add(p.Window(start))}
	switch {
	case now.Before(st.WindowStart):
		st.State = StateScheduled
	case now.Before(st.WindowEnd):
		st.State = StateDue
	default:
		st.State = StateOverdue
	}
	return st
}
