package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cogniforge/cogniforge/pkg/oncall"
)

func init() {
	register("oncall", command{summary: "on-call schedules: who is on call, iCalendar export, validate", run: runOncall})
}

const oncallUsage = `usage:
  cogniforge oncall who --schedules FILE [--schedule NAME] [--at RFC3339]
                                  who is on call at the instant (default now), after overrides and
                                  layers, as one JSON object: {"schedule","at","oncall":[user ids]}
                                  ("oncall" is [] when nobody is). --schedule may be left out when
                                  the file has one schedule
  cogniforge oncall export --schedules FILE [--schedule NAME] [--from RFC3339] [--to RFC3339]
                                  the final schedule over [from, to) as iCalendar (RFC 5545), one
                                  event per shift, times in UTC (default: from now, 30 days;
                                  at most 3 years)
  cogniforge oncall validate FILE...
                                  check schedules files: one summary line per schedule; exit 1
                                  with every problem (file:line: schedule: layer: field: what)
                                  on stderr, 2 when a file cannot be read
exit status: 0 ok, 1 the answer is no (validate: problems), 2 bad input (flags, an unreadable or
invalid schedules file, an unknown schedule name)
`

// oncallMaxExport bounds an export: a calendar of more is a mistake, and
// its size grows with every handoff.
const oncallMaxExport = 3 * 366 * 24 * time.Hour

func runOncall(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, oncallUsage)
		return 2
	}
	switch args[0] {
	case "who":
		return oncallWho(args[1:], time.Now(), stdout, stderr)
	case "export":
		return oncallExport(args[1:], time.Now(), stdout, stderr)
	case "validate":
		return oncallValidate(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, oncallUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge oncall: unknown subcommand %q\n\n%s", args[0], oncallUsage)
	return 2
}

// oncallSchedule loads the file and picks the schedule, or says why not
// (every failure here is bad input: exit 2).
func oncallSchedule(cmd, file, name string, stderr io.Writer) (*oncall.Schedule, bool) {
	if file == "" {
		fmt.Fprintf(stderr, "cogniforge oncall %s: --schedules FILE is required\n\n%s", cmd, oncallUsage)
		return nil, false
	}
	cfg, err := oncall.LoadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge oncall %s: %v\n", cmd, err)
		return nil, false
	}
	if name == "" {
		if all := cfg.Schedules(); len(all) == 1 {
			return all[0], true
		}
		fmt.Fprintf(stderr, "cogniforge oncall %s: --schedule NAME is required: %s has %d schedules (%v)\n", cmd, file, len(cfg.Schedules()), cfg.Names())
		return nil, false
	}
	s, err := cfg.Schedule(name)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge oncall %s: %v\n", cmd, err)
		return nil, false
	}
	return s, true
}

// oncallTime reads an RFC 3339 flag value; an empty one is def.
func oncallTime(cmd, flagName, value string, def time.Time, stderr io.Writer) (time.Time, bool) {
	if value == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge oncall %s: --%s %q: want an RFC 3339 time with an offset (2026-03-29T10:00:00Z)\n", cmd, flagName, value)
		return time.Time{}, false
	}
	return t, true
}

// oncallWhoJSON is the contract of oncall who.
type oncallWhoJSON struct {
	Schedule string   `json:"schedule"`
	At       string   `json:"at"`
	Oncall   []string `json:"oncall"`
}

func oncallWho(args []string, now time.Time, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("oncall who", flag.ContinueOnError)
	file := flags.String("schedules", "", "the schedules `FILE` (YAML)")
	name := flags.String("schedule", "", "the schedule's `NAME`")
	atFlag := flags.String("at", "", "the instant, RFC 3339 (default now)")
	pos, code, ok := interleaved(flags, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge oncall who: unexpected argument %q\n\n%s", pos[0], oncallUsage)
		return 2
	}
	at, ok := oncallTime("who", "at", *atFlag, now, stderr)
	if !ok {
		return 2
	}
	s, ok := oncallSchedule("who", *file, *name, stderr)
	if !ok {
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(oncallWhoJSON{Schedule: s.Name(), At: at.Format(time.RFC3339Nano), Oncall: s.Who(at)}); err != nil {
		fmt.Fprintf(stderr, "cogniforge oncall who: %v\n", err)
		return 1
	}
	return 0
}

func oncallExport(args []string, now time.Time, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("oncall export", flag.ContinueOnError)
	file := flags.String("schedules", "", "the schedules `FILE` (YAML)")
	name := flags.String("schedule", "", "the schedule's `NAME`")
	fromFlag := flags.String("from", "", "start of the range, RFC 3339 (default now)")
	toFlag := flags.String("to", "", "end of the range (excluded), RFC 3339 (default 30 days after --from)")
	pos, code, ok := interleaved(flags, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge oncall export: unexpected argument %q\n\n%s", pos[0], oncallUsage)
		return 2
	}
	from, ok := oncallTime("export", "from", *fromFlag, now.Truncate(time.Second), stderr)
	if !ok {
		return 2
	}
	to, ok := oncallTime("export", "to", *toFlag, from.Add(30*24*time.Hour), stderr)
	if !ok {
		return 2
	}
	switch {
	case !to.After(from):
		fmt.Fprintf(stderr, "cogniforge oncall export: --to %s is not after --from %s\n", to.Format(time.RFC3339), from.Format(time.RFC3339))
		return 2
	case to.Sub(from) > oncallMaxExport:
		fmt.Fprintf(stderr, "cogniforge oncall export: the range from %s to %s is longer than 3 years; export it in parts\n", from.Format(time.RFC3339), to.Format(time.RFC3339))
		return 2
	}
	s, ok := oncallSchedule("export", *file, *name, stderr)
	if !ok {
		return 2
	}
	if err := oncall.ExportICal(stdout, s, from, to, oncall.Stamp(now)); err != nil {
		fmt.Fprintf(stderr, "cogniforge oncall export: %v\n", err)
		return 1
	}
	return 0
}

// oncallValidate checks files: exit 0 and a line per schedule when they
// are valid, 1 and every problem when not, 2 when one cannot be read.
func oncallValidate(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("oncall validate", flag.ContinueOnError)
	pos, code, ok := interleaved(flags, args, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprint(stderr, "cogniforge oncall validate: at least one FILE is required\n\n"+oncallUsage)
		return 2
	}
	var cfgs []*oncall.Config
	var problems []error
	for _, file := range pos {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge oncall validate: %v\n", err)
			return 2
		}
		cfg, err := oncall.Parse(file, data)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		cfgs = append(cfgs, cfg)
	}
	if len(problems) > 0 {
		// one line per problem, as errors.Join writes them
		fmt.Fprintf(stderr, "%v\n", errors.Join(problems...))
		return 1
	}
	for _, cfg := range cfgs {
		for _, s := range cfg.Schedules() {
			fmt.Fprintf(stdout, "%s (%s)\n", s, cfg.Source)
		}
	}
	return 0
}
