package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
)

func init() {
	register("slo", command{summary: "SLOs: validate definitions, status, replay a recorded stream", run: runSLO})
}

const sloUsage = `usage:
  cogniforge slo validate [--json] FILE|DIR...
                                  check OpenSLO v1 definitions together (a DIR stands for its
                                  *.yaml and *.yml files), so references resolve across files;
                                  one line per SLO (--json: a JSON list). Exit 1 with every
                                  problem on stderr, 2 when a file cannot be read
  cogniforge slo status [--data-dir DIR] [--config DIR] [--url URL] [--time T] [--json]
                                  every SLO's SLI, error budget left, burn rates (5m..3d), projected
                                  exhaustion and firing alerts, as a table (--json: {"slos":[...]}).
                                  Reads DIR's store with the definitions of --config (config/slos),
                                  or asks the runtime serving DIR; without either, the runtime at
                                  127.0.0.1:8080; --url asks any slo-evaluator
  cogniforge slo replay --slo FILE --events FILE.ndjson [--step 1m]
                                  run aggregator and evaluator in virtual time over recorded
                                  request-completed CloudEvents (one per line, in time order),
                                  evaluating at every step of event time; prints one JSON line per
                                  alert transition: {"time","slo","severity","state",
                                  "burnRate":{"long","short"},"windows":[long,short]}
`

func runSLO(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, sloUsage)
		return 2
	}
	switch args[0] {
	case "validate":
		return sloValidate(args[1:], stdout, stderr)
	case "status":
		return sloStatus(ctx, args[1:], stdout, stderr)
	case "replay":
		return sloReplay(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, sloUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge slo: unknown subcommand %q\n\n%s", args[0], sloUsage)
	return 2
}

// sloValidate compiles the definitions: exit 0 and a summary when they are
// valid, 1 and the problems when not, 2 when the input cannot be read.
func sloValidate(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("slo validate", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print the compiled SLOs as a JSON list")
	pos, code, ok := interleaved(flags, args, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprint(stderr, "cogniforge slo validate: at least one FILE or DIR is required\n\n"+sloUsage)
		return 2
	}
	slos, err := slo.LoadFiles(pos...)
	if err != nil {
		if sloUnreadable(err) {
			fmt.Fprintf(stderr, "cogniforge slo validate: %v\n", err)
			return 2
		}
		// One line per problem, as errors.Join writes them.
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	if *asJSON {
		out := make([]sloJSON, 0, len(slos))
		for i := range slos {
			out = append(out, newSLOJSON(&slos[i]))
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "cogniforge slo validate: %v\n", err)
			return 1
		}
	} else {
		for i := range slos {
			fmt.Fprintln(stdout, sloLine(&slos[i]))
		}
	}
	if len(slos) == 0 {
		fmt.Fprintln(stderr, "cogniforge slo validate: valid, but no kind: SLO in the files given")
	}
	return 0
}

// sloUnreadable tells input that cannot be read (exit 2) from definitions
// with problems (exit 1).
func sloUnreadable(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) || errors.Is(err, slo.ErrNoDefinitionFiles)
}

// sloSpan writes a duration in the OpenSLO shorthand when it is one.
func sloSpan(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d <= 0:
		return "0m"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

func sloWindow(w slo.Window) string {
	if w.Calendar == "" {
		return sloSpan(w.Rolling) + " rolling"
	}
	return "calendar " + w.Calendar + " in " + w.Location.String()
}

// sloRule reads like "page >14.4x 1h/5m". A Workbook rule (a share of the
// budget) on a calendar window gives the share: its threshold changes with
// the length of the month.
func sloRule(r slo.AlertRule, w slo.Window) string {
	op := ">"
	if r.OrEqual {
		op = ">="
	}
	threshold := strconv.FormatFloat(r.Threshold, 'g', 4, 64) + "x"
	if r.BudgetFraction != 0 {
		if w.Calendar == "" {
			threshold = strconv.FormatFloat(r.Factor(w.Rolling), 'g', 4, 64) + "x"
		} else {
			threshold = strconv.FormatFloat(r.BudgetFraction*100, 'g', 4, 64) + "% of budget"
		}
	}
	return fmt.Sprintf("%s %s%s %s/%s", r.Severity, op, threshold, sloSpan(r.Long), sloSpan(r.Short))
}

// sloLine is one SLO on one line: name, target, window, budgeting, alert
// rules and where it was defined.
func sloLine(s *slo.SLO) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: target %s, window %s, %s", s.Name, strconv.FormatFloat(s.Target, 'f', -1, 64), sloWindow(s.Window), s.Budgeting)
	if s.Budgeting == slo.Timeslices {
		fmt.Fprintf(&b, " (%s slices good at %s)", sloSpan(s.TimeSliceWindow), strconv.FormatFloat(s.TimeSliceTarget, 'f', -1, 64))
	}
	rules := make([]string, len(s.Alerts))
	for i, r := range s.Alerts {
		rules[i] = sloRule(r, s.Window)
	}
	fmt.Fprintf(&b, ", alerts: %s, min events %d (%s)", strings.Join(rules, "; "), s.MinEvents, s.Source)
	return b.String()
}

// sloJSON is the --json shape of one compiled SLO. Durations are in the
// OpenSLO shorthand ("30d", "5m").
type sloJSON struct {
	Name            string         `json:"name"`
	Service         string         `json:"service"`
	Description     string         `json:"description,omitempty"`
	Source          string         `json:"source"`
	Target          float64        `json:"target"`
	Window          sloWindowJSON  `json:"window"`
	Budgeting       slo.Budgeting  `json:"budgetingMethod"`
	TimeSliceTarget float64        `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow string         `json:"timeSliceWindow,omitempty"`
	Good            *sloSelector   `json:"good,omitempty"`
	Bad             *sloSelector   `json:"bad,omitempty"`
	Total           sloSelector    `json:"total"`
	Alerts          []sloAlertJSON `json:"alerts"`
	MinEvents       int64          `json:"minEvents"`
}

type sloWindowJSON struct {
	Rolling  string `json:"rolling,omitempty"`
	Calendar string `json:"calendar,omitempty"` // month or week
	TimeZone string `json:"timeZone,omitempty"`
}

type sloSelector struct {
	Service    string `json:"service,omitempty"`
	Operation  string `json:"operation,omitempty"`
	Region     string `json:"region,omitempty"`
	Status     string `json:"status,omitempty"`
	HTTPStatus string `json:"httpStatus,omitempty"`
	DurationMs string `json:"durationMs,omitempty"`
}

type sloAlertJSON struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Long     string `json:"long"`
	Short    string `json:"short"`
	// BudgetFraction is set for the Workbook's rules, Threshold for an
	// OpenSLO burnrate condition; Factor is the threshold for a rolling
	// window (absent for a calendar one with a BudgetFraction).
	BudgetFraction float64  `json:"budgetFraction,omitempty"`
	Threshold      float64  `json:"threshold,omitempty"`
	Factor         *float64 `json:"factor,omitempty"`
	OrEqual        bool     `json:"orEqual,omitempty"`
}

func newSLOSelector(s slo.Selector) sloSelector {
	return sloSelector{Service: s.Service, Operation: s.Operation, Region: s.Region, Status: s.Status, HTTPStatus: s.HTTPStatus.Text, DurationMs: s.DurationMs.Text}
}

func newSLOJSON(s *slo.SLO) sloJSON {
	out := sloJSON{
		Name: s.Name, Service: s.Service, Description: s.Description, Source: s.Source,
		Target: s.Target, Budgeting: s.Budgeting, Total: newSLOSelector(s.Total), MinEvents: s.MinEvents,
		Alerts: make([]sloAlertJSON, 0, len(s.Alerts)),
	}
	if s.Window.Calendar == "" {
		out.Window.Rolling = sloSpan(s.Window.Rolling)
	} else {
		out.Window.Calendar, out.Window.TimeZone = s.Window.Calendar, s.Window.Location.String()
	}
	if s.Budgeting == slo.Timeslices {
		out.TimeSliceTarget, out.TimeSliceWindow = s.TimeSliceTarget, sloSpan(s.TimeSliceWindow)
	}
	if s.HasGood {
		g := newSLOSelector(s.Good)
		out.Good = &g
	}
	if s.HasBad {
		b := newSLOSelector(s.Bad)
		out.Bad = &b
	}
	for _, r := range s.Alerts {
		a := sloAlertJSON{Name: r.Name, Severity: r.Severity, Long: sloSpan(r.Long), Short: sloSpan(r.Short), BudgetFraction: r.BudgetFraction, Threshold: r.Threshold, OrEqual: r.OrEqual}
		if r.BudgetFraction == 0 || s.Window.Calendar == "" {
			f := r.Factor(s.Window.Rolling)
			a.Factor = &f
		}
		out.Alerts = append(out.Alerts, a)
	}
	return out
}
