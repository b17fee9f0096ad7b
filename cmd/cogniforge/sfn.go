package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

func init() {
	register("sfn", command{summary: "run or validate Step Functions (ASL) definitions locally", run: runSFN})
}

const sfnUsage = `usage:
  cogniforge sfn run --definition FILE --input JSON|@FILE [--history] [--fast-clock] [--name NAME]
                     [--mock-config FILE --test-case NAME] [--data-dir DIR]
                     [--max-events N] [--max-definition-bytes N]
  cogniforge sfn validate FILE...

run prints one JSON object {"status","output","error","cause"[,"history"]} and exits
0 when the execution SUCCEEDED, 1 when it did not, 2 when the definition or the call is invalid.
As on AWS (Standard), an execution fails with States.Runtime at 25,000 history events
(--max-events; 0 lifts it, leaving only a limit of 1,000,000 states entered), and a
definition over 1 MiB is refused (--max-definition-bytes; 0 lifts it).
validate prints diagnostics and exits 0 when every definition is valid, 1 otherwise.
`

func runSFN(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, sfnUsage)
		return 2
	}
	switch args[0] {
	case "run":
		return sfnRun(ctx, args[1:], stdin, stdout, stderr)
	case "validate":
		return sfnValidate(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, sfnUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge sfn: unknown subcommand %q\n\n%s", args[0], sfnUsage)
	return 2
}

// sfnRunMaxTransitions bounds an `sfn run` whose history limit was lifted
// (--max-events 0): a loop still ends, after about a second.
const sfnRunMaxTransitions = 1_000_000

type sfnRunOutput struct {
	Status  asl.Status         `json:"status"`
	Output  any                `json:"output"`
	Error   *string            `json:"error"`
	Cause   *string            `json:"cause"`
	History []asl.HistoryEvent `json:"history,omitempty"`
}

func sfnRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfn run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defPath := fs.String("definition", "", "state machine definition file (ASL JSON)")
	input := fs.String("input", "", "execution input: JSON text, @FILE, or @- for stdin (default {})")
	history := fs.Bool("history", false, "add the execution history to the output")
	fast := fs.Bool("fast-clock", false, "advance a virtual clock for Wait states and retries instead of sleeping")
	name := fs.String("name", "", "state machine name (default: the definition file name without .asl.json/.json)")
	execName := fs.String("execution-name", "", "execution name (default: a random UUID)")
	mockPath := fs.String("mock-config", "", "Step Functions Local mock configuration file")
	testCase := fs.String("test-case", "", "test case of the mock configuration")
	dataDir := fs.String("data-dir", "", "directory of the functions' durable state (bolt); memory for this run when empty")
	maxEvents := fs.Int64("max-events", asl.MaxStandardHistoryEvents,
		"fail the execution (States.Runtime) when its history reaches N events, counted with or without --history, as AWS does at 25,000; "+
			"0: no limit, leaving only the limit of 1,000,000 states entered (whose history, with --history, takes gigabytes)")
	maxDefBytes := fs.Int("max-definition-bytes", asl.MaxDefinitionBytes,
		"refuse a definition longer than N bytes, as AWS does over 1 MiB; 0: no limit")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *maxEvents < 0 || *maxDefBytes < 0 {
		fmt.Fprintln(stderr, "cogniforge sfn run: --max-events and --max-definition-bytes must be 0 (no limit) or more")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cogniforge sfn run: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *defPath == "" {
		fmt.Fprintln(stderr, "cogniforge sfn run: --definition is required")
		return 2
	}
	if (*mockPath == "") != (*testCase == "") {
		fmt.Fprintln(stderr, "cogniforge sfn run: --mock-config and --test-case go together")
		return 2
	}
	raw, err := os.ReadFile(*defPath)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge sfn run: %v\n", err)
		return 2
	}
	// raw is read for this alone: the machine may keep it uncopied.
	sm, err := asl.Compile(raw, asl.OwnedDefinition(), asl.MaxDefinitionSize(*maxDefBytes))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge sfn run: InvalidDefinition: %s: %v\n", *defPath, err)
		return 2
	}
	// run refuses what the engine cannot run (asl.Compile's structural
	// checks, a machine that could never end included); the stricter AWS
	// validator (unreachable states and the like) is `sfn validate`, as
	// AWS's own local runners execute such machines.
	in, err := readInput(*input, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge sfn run: InvalidExecutionInput: --input: %v\n", err)
		return 2
	}
	machineName := *name
	if machineName == "" {
		base := filepath.Base(*defPath)
		base = strings.TrimSuffix(base, ".json")
		machineName = strings.TrimSuffix(base, ".asl")
	}
	cfg := asl.ExecutionConfig{
		Name:             *execName,
		StateMachineName: machineName,
		Input:            in,
		History:          *history,
		// A definition that loops forever fails instead of hanging the CLI
		// or taking its memory: at the history limit, as on AWS (some 25 MB
		// of history at 25,000 events), and, with that lifted, at a
		// million states.
		MaxHistoryEvents: *maxEvents,
		MaxTransitions:   sfnRunMaxTransitions,
	}
	if *fast {
		cfg.Clock = asl.NewFastClock(time.Now())
	}
	tasks := newLocalTasks(ctx, *dataDir, stderr)
	defer tasks.Close()
	if *dataDir != "" {
		// The caller asked for durable state: open it now, so a locked or
		// unusable data directory is a usage error (exit 2), not a failed
		// execution.
		if err := tasks.Open(); err != nil {
			fmt.Fprintf(stderr, "cogniforge sfn run: --data-dir: %v\n", err)
			return 2
		}
	}
	cfg.Invoker, cfg.FunctionName = tasks, tasks.FunctionName
	if *mockPath != "" {
		mraw, err := os.ReadFile(*mockPath)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge sfn run: %v\n", err)
			return 2
		}
		mc, err := asl.ParseMockConfig(mraw)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge sfn run: %s: %v\n", *mockPath, err)
			return 2
		}
		if cfg.Mock, err = mc.TestCase(machineName, *testCase); err != nil {
			fmt.Fprintf(stderr, "cogniforge sfn run: %v\n", err)
			return 2
		}
	}
	ex, res, err := sm.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge sfn run: %v\n", err)
		return 2
	}
	out := sfnRunOutput{Status: res.Status}
	if res.Status == asl.StatusSucceeded {
		out.Output = res.Output
	} else {
		e, c := res.Error, res.Cause
		if e != "" {
			out.Error = &e
		}
		if c != "" {
			out.Cause = &c
		}
	}
	if *history {
		out.History = ex.History()
		if out.History == nil {
			out.History = []asl.HistoryEvent{}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "cogniforge sfn run: %v\n", err)
		return 2
	}
	if res.Status != asl.StatusSucceeded {
		return 1
	}
	return 0
}

// readInput decodes --input: JSON text, @FILE or @- (stdin). Empty means {}.
func readInput(s string, stdin io.Reader) (any, error) {
	var data []byte
	switch {
	case s == "":
		return jsonv.NewObject(nil), nil
	case s == "@-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, err
		}
		data = b
	case strings.HasPrefix(s, "@"):
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
		data = b
	default:
		data = []byte(s)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
	// Decoded in document order: AWS keeps the input's key order, and so
	// does everything the execution builds from it.
	v, n, err := jsonv.DecodeFirst(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if len(bytes.TrimSpace(data[n:])) > 0 {
		return nil, errors.New("not valid JSON: trailing data after the value")
	}
	return v, nil
}

func sfnValidate(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: cogniforge sfn validate FILE...")
		return 2
	}
	bad := false
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", f, err)
			bad = true
			continue
		}
		diags := validateDefinition(raw)
		if len(diags) == 0 {
			if _, err := asl.Compile(raw); err != nil {
				diags = compileDiagnostics(err)
			}
		}
		for _, d := range diags {
			fmt.Fprintf(stdout, "%s: %s\n", f, d)
		}
		if len(diags) > 0 {
			bad = true
		} else {
			fmt.Fprintf(stdout, "%s: valid\n", f)
		}
	}
	if bad {
		return 1
	}
	return 0
}

func compileDiagnostics(err error) []string {
	var out []string
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if errors.Is(e, asl.ErrInvalidDefinition) && e == asl.ErrInvalidDefinition {
				continue
			}
			out = append(out, e.Error())
		}
	}
	if len(out) == 0 {
		out = append(out, err.Error())
	}
	return out
}
