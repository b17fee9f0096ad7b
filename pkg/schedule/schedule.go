// Package schedule parses EventBridge schedule expressions — rate(), cron()
// and at() — and computes when they fire next. The local runtime uses it to
// fire scheduled functions exactly as EventBridge Scheduler would.
//
// cron() takes EventBridge's six fields (minutes hours day-of-month month
// day-of-week year), where one of day-of-month and day-of-week must be "?"
// and day-of-week counts 1 (SUN) to 7 (SAT). The five calendar fields are
// evaluated by robfig/cron, a well-kept parser, after translating EventBridge's
// numbering; the year field is checked here. The L, W and # modifiers are
// refused with an error naming them. Expressions are evaluated in UTC.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when an expression fires.
type Schedule interface {
	// Next returns the first firing strictly after t, or the zero time when
	// the expression never fires again.
	Next(t time.Time) time.Time
	// String returns the expression as written.
	String() string
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("schedule: invalid expression")

// Parse parses rate(...), cron(...) or at(...).
func Parse(expr string) (Schedule, error) {
	e := strings.TrimSpace(expr)
	open := strings.IndexByte(e, '(')
	if open < 0 || !strings.HasSuffix(e, ")") {
		return nil, fmt.Errorf("%w %q: want rate(...), cron(...) or at(...)", ErrSyntax, expr)
	}
	body := strings.TrimSpace(e[open+1 : len(e)-1])
	switch e[:open] {
	case "rate":
		return parseRate(expr, body)
	case "cron":
		return parseCron(expr, body)
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			return nil, fmt.Errorf("%w %q: at() takes yyyy-mm-ddThh:mm:ss: %v", ErrSyntax, expr, err)
		}
		return at{expr: expr, t: t.UTC()}, nil
	}
	return nil, fmt.Errorf("%w %q: unknown kind %q, want rate, cron or at", ErrSyntax, expr, e[:open])
}

type rate struct {
	expr  string
	every time.Duration
}

func (r rate) String() string { return r.expr }

// Next for a rate fires on multiples of the period since the Unix epoch, so a
// restart does not shift the phase.
func (r rate) Next(t time.Time) time.Time {
	return t.Truncate(r.every).Add(r.every)
}

func parseRate(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return nil, fmt.Errorf("%w %q: rate() takes a value and a unit, e.g. rate(5 minutes)", ErrSyntax, expr)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("%w %q: rate value %q must be a positive whole number", ErrSyntax, expr, f[0])
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := f[1]
	singular := strings.TrimSuffix(unit, "s")
	d, ok := units[singular]
	if !ok {
		return nil, fmt.Errorf("%w %q: rate unit %q must be minute(s), hour(s) or day(s)", ErrSyntax, expr, unit)
	}
	// EventBridge insists on the singular for 1 and the plural otherwise.
	if (n == 1) != (unit == singular) {
		want := singular
		if n != 1 {
			want += "s"
		}
		return nil, fmt.Errorf("%w %q: with value %d the unit is %q", ErrSyntax, expr, n, want)
	}
	return rate{expr: expr, every: time.Duration(n) * d}, nil
}

type at struct {
	expr string
	t    time.Time
}

func (a at) String() string { return a.expr }

func (a at) Next(t time.Time) time.Time {
	if t.Before(a.t) {
		return a.t
	}
	return time.Time{}
}

type cronSchedule struct {
	expr  string
	inner cron.Schedule
	years func(int) bool
}

func (c cronSchedule) String() string { return c.expr }

// maxYear bounds the search of a year field that never matches again.
const maxYear = 2199

func (c cronSchedule) Next(t time.Time) time.Time {
	t = t.UTC()
	for {
		n := c.inner.Next(t)
		if n.IsZero() || n.Year() > maxYear {
			return time.Time{}
		}
		if c.years(n.Year()) {
			return n
		}
		// Jump to the end of this year rather than walking every firing.
		t = time.Date(n.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
	}
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func parseCron(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("%w %q: cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got %d", ErrSyntax, expr, len(f))
	}
	for i, name := range []string{"minutes", "hours", "day-of-month", "month", "day-of-week", "year"} {
		if strings.ContainsAny(f[i], "LW#") && !isNameField(i, f[i]) {
			return nil, fmt.Errorf("%w %q: the L, W and # modifiers in the %s field are not supported", ErrSyntax, expr, name)
		}
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("%w %q: exactly one of day-of-month and day-of-week must be '?'", ErrSyntax, expr)
	}
	dow, err := translateDow(f[4])
	if err != nil {
		return nil, fmt.Errorf("%w %q: day-of-week: %v", ErrSyntax, expr, err)
	}
	inner, err := cronParser.Parse(strings.Join([]string{f[0], f[1], f[2], f[3], dow}, " "))
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrSyntax, expr, err)
	}
	years, err := parseYears(f[5])
	if err != nil {
		return nil, fmt.Errorf("%w %q: year: %v", ErrSyntax, expr, err)
	}
	return cronSchedule{expr: expr, inner: inner, years: years}, nil
}

// isNameField reports whether field i holds month or weekday names, whose
// letters (JUL, WED, ...) are not modifiers.
func isNameField(i int, s string) bool {
	if i != 3 && i != 4 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 &&
		!strings.ContainsAny(s, "#") && !strings.HasSuffix(s, "L") && !strings.HasSuffix(s, "W")
}

// translateDow maps EventBridge's 1 (SUN) .. 7 (SAT) to cron's 0 .. 6.
func translateDow(field string) (string, error) {
	if field == "?" || field == "*" {
		return "*", nil
	}
	var out []string
	for _, part := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		lo, hi, isRange := strings.Cut(rng, "-")
		conv := func(s string) (string, error) {
			if s == "*" {
				return s, nil
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return s, nil // a name such as MON
			}
			if n < 1 || n > 7 {
				return "", fmt.Errorf("%d is out of range 1-7", n)
			}
			return strconv.Itoa(n - 1), nil
		}
		a, err := conv(lo)
		if err != nil {
			return "", err
		}
		p := a
		if isRange {
			b, err := conv(hi)
			if err != nil {
				return "", err
			}
			p += "-" + b
		}
		if hasStep {
			p += "/" + step
		}
		out = append(out, p)
	}
	return strings.Join(out, ","), nil
}

// parseYears accepts *, a year, a range, a list and /step.
func parseYears(field string) (func(int) bool, error) {
	if field == "*" || field == "?" {
		return func(int) bool { return true }, nil
	}
	type span struct{ lo, hi, step int }
	var spans []span
	for _, part := range strings.Split(field, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		s := span{lo: 1970, hi: maxYear, step: 1}
		if rng != "*" {
			lo, hi, isRange := strings.Cut(rng, "-")
			var err error
			if s.lo, err = strconv.Atoi(lo); err != nil {
				return nil, fmt.Errorf("%q is not a year", lo)
			}
			s.hi = s.lo
			if isRange {
				if s.hi, err = strconv.Atoi(hi); err != nil {
					return nil, fmt.Errorf("%q is not a year", hi)
				}
			} else if hasStep {
				s.hi = maxYear
			}
		}
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("step %q must be a positive number", stepStr)
			}
			s.step = n
		}
		if s.lo < 1970 || s.hi > maxYear || s.lo > s.hi {
			return nil, fmt.Errorf("%q is outside 1970-%d", part, maxYear)
		}
		spans = append(spans, s)
	}
	return func(y int) bool {
		for _, s := range spans {
			if y >= s.lo && y <= s.hi && (y-s.lo)%s.step == 0 {
				return true
			}
		}
		return false
	}, nil
}
