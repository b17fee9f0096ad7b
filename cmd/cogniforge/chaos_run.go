package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// chaosExperimentDefinition is the state machine that runs experiments.
const chaosExperimentDefinition = "statemachines/chaos-experiment.asl.json"

// chaosRunOutput is exactly what `chaos run` prints.
type chaosRunOutput struct {
	Experiment string `json:"experiment"`
	Status     string `json:"status"`
	Hypothesis struct {
		Before bool `json:"before"`
		After  bool `json:"after"`
	} `json:"hypothesis"`
	RolledBack bool          `json:"rolledBack"`
	Injected   []chaos.Fault `json:"injected"`
}

// findUp resolves a repository path from the working directory or its
// ancestors (the CLI runs from the repository root; tests from package
// directories).
func findUp(p string) (string, error) {
	if _, err := os.Stat(p); err == nil || filepath.IsAbs(p) {
		return p, err
	}
	dir, _ := os.Getwd()
	for {
		c := filepath.Join(dir, p)
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s: not found here or in a parent directory", p)
		}
		dir = parent
	}
}

func chaosRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos run", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "")
	definition := fs.String("definition", chaosExperimentDefinition, "")
	fs.Usage = func() { io.WriteString(stderr, chaosUsage) }
	// FILE comes first; flags may follow it.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		fmt.Fprintln(stderr, "cogniforge chaos run: give one experiment FILE")
		return 2
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		return 2
	}
	limits, err := chaosLimits(0)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		return 2
	}
	ex, err := chaos.ParseExperiment(file, raw, limits)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		return 2
	}
	defPath, err := findUp(*definition)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: --definition: %v\n", err)
		return 2
	}
	defRaw, err := os.ReadFile(defPath)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		return 2
	}
	sm, err := asl.Compile(defRaw)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %s: %v\n", defPath, err)
		return 2
	}
	dir := chaosDataDir(*dataDir)
	tasks := newLocalTasks(ctx, dir, stderr)
	defer tasks.Close()
	if err := tasks.Open(); err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: --data-dir: %v\n", err)
		return dataDirCode(err)
	}
	exJSON, err := json.Marshal(ex)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		return 1
	}
	var exAny any
	_ = json.Unmarshal(exJSON, &exAny)
	var b [4]byte
	_, _ = rand.Read(b[:])
	run := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	_, res, err := sm.Run(ctx, asl.ExecutionConfig{
		Name: run, StateMachineName: "chaos-experiment", Input: map[string]any{"experiment": exAny},
		Invoker: tasks, FunctionName: tasks.FunctionName, MaxTransitions: 1_000_000,
	})
	out := chaosRunOutput{Experiment: ex.Name, Status: chaos.StatusFailed, Injected: []chaos.Fault{}}
	if err == nil && res.Status == asl.StatusSucceeded {
		b, _ := json.Marshal(res.Output)
		var rep chaos.Report
		if err := json.Unmarshal(b, &rep); err == nil {
			out.Status, out.Hypothesis.Before, out.Hypothesis.After, out.RolledBack = rep.Status, rep.Hypothesis.Before, rep.Hypothesis.After, rep.RolledBack
			if rep.Injected != nil {
				out.Injected = rep.Injected
			}
		}
		if rep.Reason != "" {
			fmt.Fprintf(stderr, "cogniforge chaos run: %s: %s\n", rep.Verdict, rep.Reason)
		}
	} else {
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos run: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "cogniforge chaos run: the experiment's execution %s: %s: %s\n", res.Status, res.Error, res.Cause)
		}
		// Never leave the experiment's faults behind, whatever failed.
		removed, cerr := (&chaos.Manager{Store: chaosfile.Store{Dir: dir}}).Clear(ctx, chaos.ClearFilter{Experiment: ex.Name})
		out.RolledBack = cerr == nil
		if removed != nil {
			out.Injected = removed
		}
	}
	if code := writeJSONLine(stdout, stderr, out); code != 0 {
		return code
	}
	if out.Status == chaos.StatusCompleted && out.Hypothesis.Before && out.Hypothesis.After {
		return 0
	}
	return 1
}

func chaosReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos report", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "")
	asJSON := fs.Bool("json", false, "")
	since := fs.String("since", "", "")
	experiment := fs.String("experiment", "", "")
	fs.Usage = func() { io.WriteString(stderr, chaosUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	var from time.Time
	if *since != "" {
		if t, err := time.Parse(time.RFC3339, *since); err == nil {
			from = t
		} else if d, err := time.ParseDuration(*since); err == nil {
			from = time.Now().Add(-d)
		} else {
			fmt.Fprintf(stderr, "cogniforge chaos report: --since: %q is neither RFC 3339 nor a duration\n", *since)
			return 2
		}
	}
	st, err := bolt.Open(bolt.Config{Dir: chaosDataDir(*dataDir), MustExist: true, OpenTimeout: 500 * time.Millisecond})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos report: %v\n", err)
		return dataDirCode(err)
	}
	defer st.Close()
	all, err := chaos.Reports(ctx, st, from)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos report: %v\n", err)
		return 1
	}
	reports := []chaos.Report{}
	for _, r := range all {
		if *experiment == "" || r.Experiment == *experiment {
			reports = append(reports, r)
		}
	}
	if *asJSON {
		return writeJSONLine(stdout, stderr, reports)
	}
	io.WriteString(stdout, chaosMarkdown(reports))
	return 0
}

// chaosMarkdown is the game-day report: a summary table, then each run.
func chaosMarkdown(reports []chaos.Report) string {
	var b strings.Builder
	b.WriteString("# Chaos experiments\n\n")
	if len(reports) == 0 {
		b.WriteString("No experiment has run.\n")
		return b.String()
	}
	b.WriteString("| started | experiment | status | hypothesis before | after | verdict | faults | rolled back |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %s | %s | %t | %t | **%s** | %d | %t |\n", r.StartedAt.Format(time.RFC3339), r.Experiment, r.Status,
			r.Hypothesis.Before, r.Hypothesis.After, r.Verdict, len(r.Injected), r.RolledBack)
	}
	for _, r := range reports {
		fmt.Fprintf(&b, "\n## %s (run %s)\n\n", r.Experiment, r.Run)
		fmt.Fprintf(&b, "- %s to %s (%s), %d stop-condition evaluation(s)\n", r.StartedAt.Format(time.RFC3339), r.EndedAt.Format(time.RFC3339),
			r.EndedAt.Sub(r.StartedAt).Round(time.Millisecond), r.Evaluations)
		fmt.Fprintf(&b, "- status **%s**, verdict **%s**", r.Status, r.Verdict)
		if r.Reason != "" {
			fmt.Fprintf(&b, ": %s", r.Reason)
		}
		b.WriteString("\n")
		for _, f := range r.Injected {
			fmt.Fprintf(&b, "- injected `%s` on `%s` at rate %.2f until %s\n", f.Kind, f.Function, f.EffectiveRate(), f.ExpiresAt.Format(time.RFC3339))
		}
		if len(r.SLOBurn) > 0 {
			names := make([]string, 0, len(r.SLOBurn))
			for n := range r.SLOBurn {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(&b, "- SLO `%s` during the experiment: %.4g\n", n, r.SLOBurn[n])
			}
		}
		for _, phase := range []struct {
			name   string
			probes []chaos.ProbeResult
		}{{"before", r.Before}, {"after", r.After}} {
			for _, p := range phase.probes {
				fmt.Fprintf(&b, "- %s: probe %q held %t: %s\n", phase.name, p.Name, p.Held, p.Detail)
			}
		}
	}
	return b.String()
}
