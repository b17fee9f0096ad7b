package oncall

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// ErrUnknownSchedule is wrapped by Config.Schedule's error for a name no
// schedule has.
var ErrUnknownSchedule = errors.New("no such schedule")

// Problem is one thing wrong with a schedules file. Parse joins every
// problem it finds (errors.Join); errors.As finds the first.
type Problem struct {
	Source   string // the file, as given to Parse
	Line     int    // 1-based; 0 when unknown
	Schedule string // the schedule's name, or "#n" (1-based) when it has none
	Layer    string // the layer's name, or "#n"; "" outside layers
	Field    string // the field's path inside the schedule or layer, e.g. "restrictions[0].from"
	Msg      string
}

// Error reads "file:line: schedule "s": layer "l": field: message".
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Source)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Schedule != "" {
		fmt.Fprintf(&b, "schedule %s: ", p.Schedule)
	}
	if p.Layer != "" {
		fmt.Fprintf(&b, "layer %s: ", p.Layer)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Config is a parsed schedules file: immutable and safe for concurrent use.
type Config struct {
	Source    string
	schedules []*Schedule
}

// Schedules returns the schedules in file order.
func (c *Config) Schedules() []*Schedule { return append([]*Schedule(nil), c.schedules...) }

// Names returns the schedules' names in file order.
func (c *Config) Names() []string {
	out := make([]string, len(c.schedules))
	for i, s := range c.schedules {
		out[i] = s.name
	}
	return out
}

// Schedule returns the schedule called name; the error wraps
// ErrUnknownSchedule and lists the names there are.
func (c *Config) Schedule(name string) (*Schedule, error) {
	for _, s := range c.schedules {
		if s.name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%s: %w %q (schedules: %s)", c.Source, ErrUnknownSchedule, name, strings.Join(c.Names(), ", "))
}

// LoadFile reads and parses a schedules file. A file that cannot be read
// gives the *fs.PathError of os.ReadFile; problems in it, joined *Problem
// values.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// The file as decoded, before validation.
type (
	rawFile struct {
		Schedules []rawSchedule `yaml:"schedules"`
	}
	rawSchedule struct {
		Name      string        `yaml:"name"`
		TimeZone  string        `yaml:"timeZone"`
		Layers    []rawLayer    `yaml:"layers"`
		Overrides []rawOverride `yaml:"overrides"`
	}
	rawLayer struct {
		Name         string           `yaml:"name"`
		Start        string           `yaml:"start"`
		Length       string           `yaml:"length"`
		Participants []string         `yaml:"participants"`
		Restrictions []rawRestriction `yaml:"restrictions"`
	}
	rawRestriction struct {
		Days []string `yaml:"days"`
		From *string  `yaml:"from"`
		To   *string  `yaml:"to"`
	}
	rawOverride struct {
		User string `yaml:"user"`
		From string `yaml:"from"`
		To   string `yaml:"to"`
	}
)

// friendlier names for yaml.v3's messages about the raw types
var rawTypeNames = strings.NewReplacer(
	"in type oncall.rawFile", "at the top level (known: schedules)",
	"in type oncall.rawSchedule", "in a schedule (known: name, timeZone, layers, overrides)",
	"in type oncall.rawLayer", "in a layer (known: name, start, length, participants, restrictions)",
	"in type oncall.rawRestriction", "in a restriction (known: days, from, to)",
	"in type oncall.rawOverride", "in an override (known: user, from, to)",
)

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// Parse decodes and validates a schedules file; source names it in errors.
// It reports every problem found, joined, and then returns no Config.
func Parse(source string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p := &Problem{Source: source, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		if g := yamlLine.FindStringSubmatch(p.Msg); g != nil {
			p.Line, _ = strconv.Atoi(g[1])
			p.Msg = g[2]
		}
		return nil, p
	}
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, &Problem{Source: source, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		var errs []error
		for _, m := range te.Errors {
			p := &Problem{Source: source, Msg: rawTypeNames.Replace(m)}
			if g := yamlLine.FindStringSubmatch(m); g != nil {
				p.Line, _ = strconv.Atoi(g[1])
				p.Msg = rawTypeNames.Replace(g[2])
			}
			errs = append(errs, p)
		}
		return nil, errors.Join(errs...)
	}
	v := &validator{source: source, root: &root}
	cfg := &Config{Source: source}
	if len(raw.Schedules) == 0 {
		v.add(Problem{Line: v.line(), Field: "schedules", Msg: "no schedules"})
	}
	seen := map[string]int{}
	for i, rs := range raw.Schedules {
		s := v.schedule(i, rs)
		if rs.Name != "" {
			if j, dup := seen[rs.Name]; dup {
				v.add(Problem{Line: v.line("schedules", i, "name"), Schedule: strconv.Quote(rs.Name),
					Field: "name", Msg: fmt.Sprintf("duplicate schedule name (also schedule #%d, line %d)", j+1, v.line("schedules", j, "name"))})
			}
			seen[rs.Name] = i
		}
		cfg.schedules = append(cfg.schedules, s)
	}
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	return cfg, nil
}

// validator collects problems; root finds their lines.
type validator struct {
	source string
	root   *yaml.Node
	errs   []error
}

func (v *validator) add(p Problem) {
	p.Source = v.source
	v.errs = append(v.errs, &p)
}

// line returns the line of the node at path (mapping keys and sequence
// indexes) or of the deepest node of it that exists.
func (v *validator) line(path ...any) int {
	n := v.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range path {
		var next *yaml.Node
		switch k := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						line = n.Content[i].Line
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func label(name string, i int) string {
	if name == "" {
		return "#" + strconv.Itoa(i+1)
	}
	return strconv.Quote(name)
}

func (v *validator) schedule(i int, rs rawSchedule) *Schedule {
	at := func(path ...any) int { return v.line(append([]any{"schedules", i}, path...)...) }
	sname := label(rs.Name, i)
	s := &Schedule{name: rs.Name}
	if rs.Name == "" {
		v.add(Problem{Line: at(), Schedule: sname, Field: "name", Msg: "missing"})
	}
	switch loc, err := loadLocation(rs.TimeZone); {
	case rs.TimeZone == "":
		v.add(Problem{Line: at(), Schedule: sname, Field: "timeZone", Msg: "missing (an IANA name such as Europe/Berlin)"})
	case err != nil:
		v.add(Problem{Line: at("timeZone"), Schedule: sname, Field: "timeZone", Msg: fmt.Sprintf("unknown time zone %q", rs.TimeZone)})
	default:
		s.loc = loc
	}
	if len(rs.Layers) == 0 {
		v.add(Problem{Line: at("layers"), Schedule: sname, Field: "layers", Msg: "no layers"})
	}
	names := map[string]int{}
	for j, rl := range rs.Layers {
		if j0, dup := names[rl.Name]; dup && rl.Name != "" {
			v.add(Problem{Line: at("layers", j, "name"), Schedule: sname, Layer: label(rl.Name, j), Field: "name",
				Msg: fmt.Sprintf("duplicate layer name (also layer #%d)", j0+1)})
		}
		names[rl.Name] = j
		if l := v.layer(sname, j, rl, s.loc, func(path ...any) int { return at(append([]any{"layers", j}, path...)...) }); l != nil {
			s.layers = append(s.layers, l)
		}
	}
	s.overrides = v.overrides(sname, rs.Overrides, at)
	return s
}

// loadLocation refuses "Local" and "", which time.LoadLocation accepts but
// which would make a schedule mean different things on different machines.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, errors.New("not an IANA zone")
	}
	return time.LoadLocation(name)
}

const maxLength = 10000 // units; keeps handoff arithmetic far from overflow

var lengthRE = regexp.MustCompile(`^(\d+)(h|d|w|mo)$`)

// ParseLength reads a rotation length: Nh, Nd, Nw or Nmo with 0 < N <= 10000.
func ParseLength(s string) (Length, error) {
	g := lengthRE.FindStringSubmatch(strings.TrimSpace(s))
	if g == nil {
		if strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M") || strings.HasSuffix(s, "y") {
			return Length{}, fmt.Errorf("%q: months are written Nmo (minutes and years are not rotation lengths)", s)
		}
		return Length{}, fmt.Errorf("%q: want N followed by h, d, w or mo (12h, 1d, 1w, 1mo)", s)
	}
	n, err := strconv.Atoi(g[1])
	if err != nil || n <= 0 || n > maxLength {
		return Length{}, fmt.Errorf("%q: N must be between 1 and %d", s, maxLength)
	}
	switch g[2] {
	case "h":
		return Length{N: n, Unit: Hour}, nil
	case "d":
		return Length{N: n, Unit: Day}, nil
	case "w":
		return Length{N: 7 * n, Unit: Day, Week: true}, nil
	default:
		return Length{N: n, Unit: Month}, nil
	}
}

// parseWall reads a layer start, local wall-clock time without an offset.
func parseWall(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1900 {
				return time.Time{}, fmt.Errorf("%q: years before 1900 are not supported", s)
			}
			return t, nil
		}
	}
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return time.Time{}, fmt.Errorf("%q: write the local wall-clock time without an offset (2026-03-02T09:00); the schedule's timeZone applies", s)
	}
	return time.Time{}, fmt.Errorf("%q: want local wall-clock time YYYY-MM-DDTHH:MM", s)
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// parseClock reads HH:MM (00:00 to 23:59; 24:00 too when end is set).
func parseClock(s string, end bool) (int, error) {
	if end && s == "24:00" {
		return daySeconds, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q: want HH:MM from 00:00 to %s", s, map[bool]string{false: "23:59", true: "24:00"}[end])
	}
	return t.Hour()*3600 + t.Minute()*60, nil
}

func (v *validator) layer(sname string, j int, rl rawLayer, loc *time.Location, at func(...any) int) *Layer {
	lname := label(rl.Name, j)
	bad := len(v.errs)
	problem := func(line int, field, format string, args ...any) {
		v.add(Problem{Line: line, Schedule: sname, Layer: lname, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	l := &Layer{Name: rl.Name, loc: loc}
	if rl.Name == "" {
		problem(at(), "name", "missing")
	}
	if rl.Start == "" {
		problem(at(), "start", "missing (local wall-clock time of the first handoff, 2026-03-02T09:00)")
	} else if w, err := parseWall(rl.Start); err != nil {
		problem(at("start"), "start", "%v", err)
	} else {
		l.startWall = w.Unix()
	}
	if rl.Length == "" {
		problem(at(), "length", "missing (12h, 1d, 1w, 1mo ...)")
	} else if n, err := ParseLength(rl.Length); err != nil {
		problem(at("length"), "length", "%v", err)
	} else {
		l.Length = n
	}
	if len(rl.Participants) == 0 {
		problem(at("participants"), "participants", "empty rotation: list at least one person")
	}
	for k, p := range rl.Participants {
		if msg := badUser(p); msg != "" {
			problem(at("participants", k), fmt.Sprintf("participants[%d]", k), "%s", msg)
		}
	}
	l.Participants = append([]string(nil), rl.Participants...)
	for k, rr := range rl.Restrictions {
		field := fmt.Sprintf("restrictions[%d]", k)
		r := Restriction{To: daySeconds}
		if rr.Days == nil {
			r.Days = [7]bool{true, true, true, true, true, true, true}
		} else if len(rr.Days) == 0 {
			problem(at("restrictions", k, "days"), field+".days", "empty; omit days for every day")
		}
		for _, d := range rr.Days {
			wd, ok := dayNames[strings.ToLower(d)]
			if !ok {
				problem(at("restrictions", k, "days"), field+".days", "%q is not a day (mon, tue, wed, thu, fri, sat, sun)", d)
				continue
			}
			r.Days[wd] = true
		}
		var errFrom, errTo error
		if rr.From != nil {
			if r.From, errFrom = parseClock(*rr.From, false); errFrom != nil {
				problem(at("restrictions", k, "from"), field+".from", "%v", errFrom)
			}
		}
		if rr.To != nil {
			if r.To, errTo = parseClock(*rr.To, true); errTo != nil {
				problem(at("restrictions", k, "to"), field+".to", "%v", errTo)
			}
		}
		if errFrom == nil && errTo == nil && r.From == r.To {
			problem(at("restrictions", k), field, "from and to are the same time: the window would be empty (omit from and to for the whole day)")
		}
		l.Restrictions = append(l.Restrictions, r)
	}
	if len(v.errs) > bad || loc == nil {
		return nil
	}
	l.Start = instant(loc, l.startWall)
	return l
}

// parseInstant reads an RFC 3339 time with its offset.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time with an offset (2026-03-28T20:00:00+01:00)", s)
	}
	return t, nil
}

func (v *validator) overrides(sname string, ros []rawOverride, at func(...any) int) []Override {
	type indexed struct {
		Override
		k int
	}
	var list []indexed
	for k, ro := range ros {
		field := fmt.Sprintf("overrides[%d]", k)
		problem := func(line int, f, format string, args ...any) {
			v.add(Problem{Line: line, Schedule: sname, Field: field + f, Msg: fmt.Sprintf(format, args...)})
		}
		ok := true
		if msg := badUser(ro.User); msg != "" {
			problem(at("overrides", k), ".user", "%s", msg)
			ok = false
		}
		from, err := parseInstant(ro.From)
		if err != nil {
			problem(at("overrides", k, "from"), ".from", "%v", err)
			ok = false
		}
		to, err := parseInstant(ro.To)
		if err != nil {
			problem(at("overrides", k, "to"), ".to", "%v", err)
			ok = false
		}
		if ok && !to.After(from) {
			problem(at("overrides", k), "", "to (%s) is not after from (%s)", ro.To, ro.From)
			ok = false
		}
		if ok {
			list = append(list, indexed{Override{User: ro.User, From: from, To: to}, k})
		}
	}
	sort.SliceStable(list, func(a, b int) bool { return list[a].From.Before(list[b].From) })
	out := make([]Override, 0, len(list))
	for i, o := range list {
		if i > 0 && list[i-1].To.After(o.From) {
			p := list[i-1]
			v.add(Problem{Line: at("overrides", o.k), Schedule: sname, Field: fmt.Sprintf("overrides[%d]", o.k),
				Msg: fmt.Sprintf("overlaps overrides[%d] (%s from %s to %s, line %d): %s from %s to %s",
					p.k, p.User, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), at("overrides", p.k),
					o.User, o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))})
		}
		out = append(out, o.Override)
	}
	return out
}

// badUser says what is wrong with a user id, "" when nothing is: ids are
// printed in JSON and iCalendar text, where control characters do not
// belong.
func badUser(u string) string {
	if strings.TrimSpace(u) == "" {
		return "empty user id"
	}
	for _, r := range u {
		if unicode.IsControl(r) {
			return fmt.Sprintf("user id %q has a control character", u)
		}
	}
	return ""
}
