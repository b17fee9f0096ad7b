package incident

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Policies are escalation policies (config/oncall/policies.yaml):
//
//	policies:
//	  - name: checkout
//	    services: [checkout]          # incidents of these services; default: true for the rest
//	    repeat: 1                     # run the levels again this many times while unacknowledged
//	    levels:
//	      - targets: [{schedule: primary}, {user: alice}]
//	        channels: [slack, webhook]
//	        delay: 5m                 # before the next level
//	      - targets: [{schedule: secondary}]
//	        channels: [pagerduty]
//	        delay: 10m
//	    severities:                   # per-severity rules
//	      SEV1: {channels: [pagerduty, slack, sms]}   # every level, every channel
//	      SEV4: {channels: [ticket], levels: 1, repeat: 0}  # only a ticket
//
// Acknowledging stops the escalation; resolving ends it.
type Policies struct {
	Policies []Policy `yaml:"policies"`
	// Users gives people's time zones, for localTime rules; a person paged
	// through a schedule is in the schedule's zone unless named here.
	Users map[string]UserSettings `yaml:"users"`
}

// UserSettings are one person's.
type UserSettings struct {
	TimeZone string `yaml:"timeZone"`
}

// LocalRule picks a level's channels by the paged person's local time:
// between From and To (HH:MM; To before From ends the next day) on Days
// (mon..sun; none: every day) the person is paged on Channels instead.
// Rules are tried in order; the first that holds wins.
type LocalRule struct {
	Days     []string `yaml:"days"`
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	Channels []string `yaml:"channels"`
}

// Policy is one escalation policy.
type Policy struct {
	Name       string                 `yaml:"name"`
	Services   []string               `yaml:"services"`
	Default    bool                   `yaml:"default"`
	Repeat     int                    `yaml:"repeat"`
	Levels     []Level                `yaml:"levels"`
	Severities map[Severity]LevelRule `yaml:"severities"`
}

// Level is one step of a policy.
type Level struct {
	Targets  []Target `yaml:"targets"`
	Channels []string `yaml:"channels"`
	// Delay is how long this level has before the next one is notified.
	Delay Duration `yaml:"delay"`
	// LocalTime rules change the channels by the paged person's local
	// time, e.g. SMS at night instead of Slack.
	LocalTime []LocalRule `yaml:"localTime"`
}

// Target is a schedule (whoever is on call when the level is reached) or a
// person.
type Target struct {
	Schedule string `yaml:"schedule"`
	User     string `yaml:"user"`
}

// LevelRule adjusts a policy for one severity.
type LevelRule struct {
	// Channels, when set, replace every level's channels.
	Channels []string `yaml:"channels"`
	// Levels, when set, is how many levels are used (from the first).
	Levels *int `yaml:"levels"`
	// Repeat, when set, replaces the policy's repeat.
	Repeat *int `yaml:"repeat"`
}

// Duration reads "5m", "1h30m" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 5m or 1h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// ParsePolicies reads a policy file strictly; known lists the schedules
// that exist (nil: not checked). Every problem names the policy, level and
// field.
func ParsePolicies(source string, data []byte, known []string) (*Policies, error) {
	var p Policies
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(source+": "+format, args...)) }
	if len(p.Policies) == 0 {
		bad("policies: none defined")
	}
	has := map[string]bool{}
	for _, k := range known {
		has[k] = true
	}
	names := map[string]bool{}
	for i, pol := range p.Policies {
		where := fmt.Sprintf("policies[%d] (%s)", i, pol.Name)
		if pol.Name == "" {
			bad("policies[%d].name: required", i)
		} else if names[pol.Name] {
			bad("%s.name: defined twice", where)
		}
		names[pol.Name] = true
		if pol.Repeat < 0 || pol.Repeat > 10 {
			bad("%s.repeat: %d is not between 0 and 10", where, pol.Repeat)
		}
		if len(pol.Levels) == 0 {
			bad("%s.levels: at least one level is required", where)
		}
		for j, l := range pol.Levels {
			if len(l.Targets) == 0 {
				bad("%s.levels[%d].targets: at least one target is required", where, j)
			}
			if len(l.Channels) == 0 {
				bad("%s.levels[%d].channels: at least one channel is required", where, j)
			}
			for k, r := range l.LocalTime {
				if _, _, err := parseClock(r.From, r.To); err != nil {
					bad("%s.levels[%d].localTime[%d]: %v", where, j, k, err)
				}
				if len(r.Channels) == 0 {
					bad("%s.levels[%d].localTime[%d].channels: at least one channel is required", where, j, k)
				}
				for _, d := range r.Days {
					if _, ok := weekdays[strings.ToLower(d)]; !ok {
						bad("%s.levels[%d].localTime[%d].days: %q is not mon, tue, wed, thu, fri, sat or sun", where, j, k, d)
					}
				}
			}
			for k, t := range l.Targets {
				switch {
				case (t.Schedule == "") == (t.User == ""):
					bad("%s.levels[%d].targets[%d]: exactly one of schedule and user is required", where, j, k)
				case t.Schedule != "" && known != nil && !has[t.Schedule]:
					bad("%s.levels[%d].targets[%d].schedule: no schedule %q (have %s)", where, j, k, t.Schedule, strings.Join(known, ", "))
				}
			}
		}
		for sev, r := range pol.Severities {
			if !sev.Valid() {
				bad("%s.severities: %q is not SEV1..SEV4", where, sev)
			}
			if r.Levels != nil && (*r.Levels < 1 || *r.Levels > len(pol.Levels)) {
				bad("%s.severities.%s.levels: %d is not between 1 and %d", where, sev, *r.Levels, len(pol.Levels))
			}
			if r.Repeat != nil && (*r.Repeat < 0 || *r.Repeat > 10) {
				bad("%s.severities.%s.repeat: %d is not between 0 and 10", where, sev, *r.Repeat)
			}
		}
	}
	for u, us := range p.Users {
		if _, err := time.LoadLocation(us.TimeZone); err != nil || us.TimeZone == "" {
			bad("users.%s.timeZone: %q is not an IANA time zone", u, us.TimeZone)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &p, nil
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// parseClock reads a rule's from and to as minutes of the day.
func parseClock(from, to string) (int, int, error) {
	read := func(name, v string) (int, error) {
		t, err := time.Parse("15:04", v)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not HH:MM", name, v)
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	f, err := read("from", from)
	if err != nil {
		return 0, 0, err
	}
	t, err := read("to", to)
	if err != nil {
		return 0, 0, err
	}
	if f == t {
		return 0, 0, fmt.Errorf("from and to are both %s: an empty window", from)
	}
	return f, t, nil
}

// holds reports whether local time t falls in the rule's window; the day is
// the day the window started (a 22:00-07:00 rule on fri covers Saturday
// morning).
func (r LocalRule) holds(t time.Time) bool {
	from, to, err := parseClock(r.From, r.To)
	if err != nil {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	in := false
	switch {
	case from < to:
		in = m >= from && m < to
	case m >= from:
		in = true
	case m < to:
		in, day = true, (day+6)%7
	}
	if !in || len(r.Days) == 0 {
		return in
	}
	for _, d := range r.Days {
		if weekdays[strings.ToLower(d)] == day {
			return true
		}
	}
	return false
}

// For picks the policy of a service: the first naming it, else the first
// marked default, else the first.
func (p *Policies) For(service string) *Policy {
	for i := range p.Policies {
		for _, s := range p.Policies[i].Services {
			if s == service {
				return &p.Policies[i]
			}
		}
	}
	for i := range p.Policies {
		if p.Policies[i].Default {
			return &p.Policies[i]
		}
	}
	return &p.Policies[0]
}

// Step is one level reached: when (after the incident opened), which level
// (1-based) in which round (0 the first), its targets and channels.
type Step struct {
	At       time.Duration
	Level    int
	Round    int
	Targets  []Target
	Channels []string
	// LocalTime rules of the level (none when the severity fixes the
	// channels).
	LocalTime []LocalRule
}

// Steps lists every level an escalation of severity reaches, in order, if
// nobody acknowledges: the plan the state machine and the simulation run.
func (pol *Policy) Steps(sev Severity) []Step {
	levels, repeat := pol.Levels, pol.Repeat
	rule, ok := pol.Severities[sev]
	if ok && rule.Levels != nil {
		levels = levels[:*rule.Levels]
	}
	if ok && rule.Repeat != nil {
		repeat = *rule.Repeat
	}
	var out []Step
	var at time.Duration
	for round := 0; round <= repeat; round++ {
		for j, l := range levels {
			ch, local := l.Channels, l.LocalTime
			if ok && len(rule.Channels) > 0 {
				ch, local = rule.Channels, nil
			}
			out = append(out, Step{At: at, Level: j + 1, Round: round, Targets: l.Targets, Channels: ch, LocalTime: local})
			at += time.Duration(l.Delay)
		}
	}
	return out
}

// Roster says who is on call on a schedule at an instant.
type Roster interface {
	OnCall(schedule string, at time.Time) ([]string, error)
}

// Notification is one message an escalation sends.
type Notification struct {
	At      time.Duration `json:"at"`
	Level   int           `json:"level"`
	Round   int           `json:"round"`
	Target  string        `json:"target"`
	Channel string        `json:"channel"`
}

// Zoner is a Roster that knows its schedules' time zones.
type Zoner interface {
	Zone(schedule string) (*time.Location, bool)
}

// Recipient is one person a step pages, and on which channels.
type Recipient struct {
	User     string
	Channels []string
}

// Recipients resolves a step at instant at: who is paged and, by their
// local time (users' own zones, else the zone of the schedule that paged
// them, else UTC), on which channels.
func (s Step) Recipients(r Roster, users map[string]UserSettings, at time.Time) (out []Recipient, empty []string, err error) {
	seen := map[string]bool{}
	addUser := func(u string, zone *time.Location) {
		if seen[u] {
			return
		}
		seen[u] = true
		if us, ok := users[u]; ok {
			if loc, err := time.LoadLocation(us.TimeZone); err == nil {
				zone = loc
			}
		}
		ch := s.Channels
		for _, rule := range s.LocalTime {
			if rule.holds(at.In(zone)) {
				ch = rule.Channels
				break
			}
		}
		out = append(out, Recipient{User: u, Channels: ch})
	}
	for _, t := range s.Targets {
		if t.User != "" {
			addUser(t.User, time.UTC)
			continue
		}
		who, err := r.OnCall(t.Schedule, at)
		if err != nil {
			return nil, nil, err
		}
		if len(who) == 0 {
			empty = append(empty, t.Schedule)
		}
		zone := time.UTC
		if z, ok := r.(Zoner); ok {
			if loc, ok := z.Zone(t.Schedule); ok {
				zone = loc
			}
		}
		for _, u := range who {
			addUser(u, zone)
		}
	}
	return out, empty, nil
}

// Simulate runs an escalation in virtual time from start: every step whose
// time comes before ackAfter (zero: never acknowledged) notifies its
// targets on its channels. Notifications are in time order, then level,
// target and channel.
func (pol *Policy) Simulate(r Roster, users map[string]UserSettings, sev Severity, start time.Time, ackAfter time.Duration) ([]Notification, error) {
	var out []Notification
	for _, s := range pol.Steps(sev) {
		if ackAfter > 0 && s.At >= ackAfter {
			break
		}
		recips, _, err := s.Recipients(r, users, start.Add(s.At))
		if err != nil {
			return nil, err
		}
		for _, rc := range recips {
			for _, c := range rc.Channels {
				out = append(out, Notification{At: s.At, Level: s.Level, Round: s.Round, Target: rc.User, Channel: c})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out, nil
}
