package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType is the catalog event every SLI is counted from.
const EventType = "dev.cogniforge.request.completed.v1"

// Event is the part of a request-completed event that SLIs select on, with
// the identity used to count it exactly once.
type Event struct {
	// Source and ID are the CloudEvent's source and id: together they name
	// the event, so a redelivery is recognised.
	Source, ID string
	// Time is data.timestamp, else the CloudEvent time.
	Time       time.Time
	Service    string
	Operation  string
	Region     string
	Status     string // "ok" or "error"
	HTTPStatus int    // 0 when the call was not HTTP
	DurationMs float64
	// Version is the version that served the call (data.version); SLIs do
	// not select on it, releases count by it.
	Version string
}

// Budgeting says how the error budget is counted.
type Budgeting string

// The budgeting methods of OpenSLO.
const (
	// Occurrences: the SLI is good events over all events.
	Occurrences Budgeting = "Occurrences"
	// Timeslices: the window is cut in slices of TimeSliceWindow; a slice is
	// good when its ratio reaches TimeSliceTarget; the SLI is good slices
	// over slices that saw events.
	Timeslices Budgeting = "Timeslices"
)

// Window is an SLO's time window: rolling (the last Duration) or calendar
// aligned (the current month or week in Location).
type Window struct {
	// Rolling is the length of a rolling window; zero for a calendar window.
	Rolling time.Duration
	// Calendar is "month" or "week" for a calendar window, else "".
	Calendar string
	// Location is the calendar window's time zone (UTC when nil).
	Location *time.Location
}

// Selector picks request-completed events. An empty field matches anything.
type Selector struct {
	Service    string
	Operation  string
	Region     string
	Status     string
	HTTPStatus Cond
	DurationMs Cond
}

// Cond is a numeric condition: a comparison ("<500", ">=200", "==404",
// "!=0", a bare number meaning ==) or, for HTTP status, a class ("5xx").
// The zero Cond matches anything.
type Cond struct {
	Op    string  // "", "<", "<=", ">", ">=", "==", "!="; "class" for Nxx
	Value float64 // the operand; the class digit for "class"
	Text  string  // what the user wrote, for messages
}

// AlertRule is one multi-window burn-rate condition: it holds when the burn
// rate is over the threshold in both the Long and the Short window.
type AlertRule struct {
	Severity string        // "page" or "ticket"
	Long     time.Duration // e.g. 1h
	Short    time.Duration // e.g. 5m
	// BudgetFraction, when not zero, is the share of the window's error
	// budget the rule allows to burn in Long (the Workbook's 2%, 5%, 10%):
	// the threshold is BudgetFraction × window / Long, so it scales with the
	// SLO window (14.4 for 2% of 30d in 1h, 13.44 for 28d).
	BudgetFraction float64
	// Threshold is an absolute burn-rate threshold (an OpenSLO burnrate
	// AlertCondition); used when BudgetFraction is zero.
	Threshold float64
	// OrEqual makes the comparison >= (OpenSLO op gte) instead of >.
	OrEqual bool
	// Name labels the rule in alerts (the AlertCondition's name, or
	// "1h/5m" style for the default table).
	Name string
}

// Factor is the burn-rate threshold of r for an SLO window of length w.
func (r AlertRule) Factor(w time.Duration) float64 {
	if r.BudgetFraction != 0 {
		return r.BudgetFraction * float64(w) / float64(r.Long)
	}
	return r.Threshold
}

// Exceeds reports whether burn rate b is over r's threshold f.
func (r AlertRule) Exceeds(b, f float64) bool {
	if r.OrEqual {
		return b >= f
	}
	return b > f
}

// DefaultAlerts is the Workbook's table for a 30-day window: page on 2% of
// the budget in 1h (and 5m) or 5% in 6h (and 30m); ticket on 10% in 1d (and
// 2h) or 10% in 3d (and 6h). Thresholds scale with the window (see Factor).
func DefaultAlerts() []AlertRule {
	h := time.Hour
	return []AlertRule{
		{Severity: "page", Long: h, Short: 5 * time.Minute, BudgetFraction: 0.02, Name: "1h/5m"},
		{Severity: "page", Long: 6 * h, Short: 30 * time.Minute, BudgetFraction: 0.05, Name: "6h/30m"},
		{Severity: "ticket", Long: 24 * h, Short: 2 * h, BudgetFraction: 0.10, Name: "1d/2h"},
		{Severity: "ticket", Long: 72 * h, Short: 6 * h, BudgetFraction: 0.10, Name: "3d/6h"},
	}
}

// DefaultMinEvents is the low-traffic gate when a definition sets none
// (annotation cogniforge.dev/min-events): a rule's long window must hold at
// least this many events before it may fire, so a few failures in a quiet
// night do not page anyone.
const DefaultMinEvents = 10

// SLO is one compiled objective: what Parse returns for every objective of
// every `kind: SLO` document, ready to classify events and be evaluated.
type SLO struct {
	// Name identifies the SLO in the store, alerts and the API: the
	// document's metadata.name, suffixed with "/" and the objective's
	// displayName (or index) when the SLO has several objectives.
	Name        string
	Service     string
	Description string
	// Source names where it was defined ("config/slos/x.yaml#2").
	Source string

	// Good, Bad and Total select events. Total is required; exactly one of
	// HasGood and HasBad is set.
	Good, Bad, Total Selector
	HasGood, HasBad  bool

	Target          float64 // in (0,1)
	Window          Window
	Budgeting       Budgeting
	TimeSliceTarget float64       // Timeslices only, in (0,1]
	TimeSliceWindow time.Duration // Timeslices only, a whole number of minutes

	// Alerts are the burn-rate rules: DefaultAlerts unless the definition
	// names AlertPolicies with burnrate conditions, which replace the table.
	Alerts []AlertRule
	// MinEvents is the low-traffic gate: no alert fires while the long
	// window of the rule holds fewer events.
	MinEvents int64
}

// Classify reports whether e counts for s and, if so, whether it is good.
func (s *SLO) Classify(e *Event) (counted, good bool) {
	if !s.Total.Match(e) {
		return false, false
	}
	if s.HasGood {
		return true, s.Good.Match(e)
	}
	return true, !s.Bad.Match(e)
}

// Match reports whether e is selected.
func (s *Selector) Match(e *Event) bool {
	if s.Service != "" && s.Service != e.Service {
		return false
	}
	if s.Operation != "" && s.Operation != e.Operation {
		return false
	}
	if s.Region != "" && s.Region != e.Region {
		return false
	}
	if s.Status != "" && s.Status != e.Status {
		return false
	}
	if s.HTTPStatus.Op != "" {
		if e.HTTPStatus == 0 || !s.HTTPStatus.Holds(float64(e.HTTPStatus)) {
			return false
		}
	}
	return s.DurationMs.Op == "" || s.DurationMs.Holds(e.DurationMs)
}

// Holds reports whether v satisfies c.
func (c Cond) Holds(v float64) bool {
	switch c.Op {
	case "":
		return true
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	case "==":
		return v == c.Value
	case "!=":
		return v != c.Value
	case "class":
		return int(v)/100 == int(c.Value)
	}
	return false
}

// ParseCond reads a condition; class reports whether "Nxx" is allowed.
func ParseCond(text string, class bool) (Cond, error) {
	t := strings.TrimSpace(text)
	if class && len(t) == 3 && (t[1] == 'x' || t[1] == 'X') && (t[2] == 'x' || t[2] == 'X') && t[0] >= '1' && t[0] <= '5' {
		return Cond{Op: "class", Value: float64(t[0] - '0'), Text: text}, nil
	}
	op := "=="
	for _, p := range []string{"<=", ">=", "==", "!=", "<", ">", "="} {
		if strings.HasPrefix(t, p) {
			op, t = p, strings.TrimSpace(t[len(p):])
			break
		}
	}
	if op == "=" {
		op = "=="
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" {
		want := `a comparison such as "<500", ">=200" or "==404"`
		if class {
			want += ` or a class such as "5xx"`
		}
		return Cond{}, fmt.Errorf("%q is not %s", text, want)
	}
	return Cond{Op: op, Value: v, Text: text}, nil
}

// String gives the condition as written.
func (c Cond) String() string { return c.Text }
