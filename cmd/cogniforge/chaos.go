package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("chaos", command{summary: "inject, list and clear faults; run chaos experiments", run: runChaos})
}

const chaosUsage = `usage:
  cogniforge chaos inject --function NAME --fault error|latency|timeout|status|deny|breaker|memory|cpu
        --for DURATION [--rate R] [--data-dir DIR | --url URL] [flags]
        store a fault for NAME that turns itself off after DURATION (at most
        --max-duration, default $COGNIFORGE_CHAOS_MAX_DURATION or 24h); prints
        the stored fault as JSON. Exit 0 stored, 2 invalid (nothing stored).
        --rate R            share of matching invocations, 0..1 (default 1)
        --latency D         latency fault's delay (with --latency-max: uniform
                            between the two); timeout fault's hold without a deadline
        --latency-max D
        --status CODE       status fault's HTTP status (400-599)
        --error-name NAME   error fault's name for ASL Catch (default Chaos.InjectedError)
        --error-message M, --retryable
        --hosts H,H         deny fault: host names (and their subdomains)
        --services S,S      deny fault: AWS SDK service ids (DynamoDB, EventBridge...)
        --deny-mode MODE    unavailable (default) or partition
        --breaker NAME      breaker fault's circuit breaker
        --memory-mb N, --cpu D   memory / cpu fault's pressure per invocation
        --qualifier Q       only the alias or version Q
        --event-type T      only events of type T (repeatable)
        --match EXPR        only events where EXPR holds (repeatable): FIELD=VALUE,
                            FIELD^=PREFIX, FIELD~=REGEX, or FIELD (exists); FIELD is
                            type, source, subject, id or data.<path>
        --blast-radius R    minimal (one instance, default), limited (<=25%),
                            moderate (<=50%), extensive (needs --approved-by)
        --approved-by WHO, --dry-run (log only), --id ID, --experiment NAME
  cogniforge chaos list [--data-dir DIR | --url URL] [--function NAME] [--json]
        the active faults (expired ones are not listed); --json: a JSON array
  cogniforge chaos clear [--function NAME] [--id ID] [--data-dir DIR | --url URL] [--json]
        remove active faults (all, or NAME's / ID)
  cogniforge chaos run FILE [--data-dir DIR]
        run a chaos experiment (config/chaos/*.yaml); prints its result as JSON;
        exit 0 when the steady-state hypothesis held, 1 when it did not
  cogniforge chaos report [--data-dir DIR] [--json] [--since T]
        the experiments run: hypothesis before and after, faults, SLO burn,
        verdict (Markdown, or JSON with --json)

Locally faults live in DIR/chaos-faults.json (DIR: --data-dir, else
$COGNIFORGE_DATA_DIR, else .data) and apply to cogniforge run, invoke and sfn
run on DIR within a second. --url talks to a chaos-injector function instead
(e.g. http://127.0.0.1:8080/functions/chaos-injector), with the API token.
`

func runChaos(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "chaos", chaosUsage, map[string]subcommand{
		"inject": chaosInject,
		"list":   chaosList,
		"clear":  chaosClear,
		"run":    chaosRun,
		"report": chaosReport,
	}, args, stdout, stderr)
}

// chaosDataDir is the data directory the chaos commands use.
func chaosDataDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(wiring.EnvDataDir); v != "" {
		return v
	}
	return ".data"
}

// chaosLimits are the CLI's limits: every registered function, the maximum
// duration from --max-duration, else the environment, else 24h.
func chaosLimits(maxDuration time.Duration) (chaos.Limits, error) {
	l := chaos.Limits{Functions: registry.Names(), MaxDuration: maxDuration}
	if l.MaxDuration == 0 {
		if v := os.Getenv(wiring.EnvChaosMaxDuration); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return l, fmt.Errorf("$%s: %q is not a positive duration", wiring.EnvChaosMaxDuration, v)
			}
			l.MaxDuration = d
		}
	}
	return l, nil
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseMatch reads FIELD=VALUE, FIELD^=PREFIX, FIELD~=REGEX or FIELD.
func parseMatch(expr string) chaos.Matcher {
	for _, op := range []struct{ sep, op string }{{"~=", chaos.OpRegex}, {"^=", chaos.OpPrefix}, {"=", chaos.OpEquals}} {
		if f, v, ok := strings.Cut(expr, op.sep); ok {
			return chaos.Matcher{Field: strings.TrimSpace(f), Op: op.op, Value: v}
		}
	}
	return chaos.Matcher{Field: strings.TrimSpace(expr), Op: chaos.OpExists}
}

func cliUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func chaosInject(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos inject", flag.ContinueOnError)
	var (
		f                                       chaos.Fault
		kind, hosts, services, denyMode, radius string
		rate                                    = fs.Float64("rate", 1, "")
		forD                                    = fs.Duration("for", 0, "")
		latency                                 = fs.Duration("latency", 0, "")
		latencyMax                              = fs.Duration("latency-max", 0, "")
		cpu                                     = fs.Duration("cpu", 0, "")
		maxDuration                             = fs.Duration("max-duration", 0, "")
		dataDir                                 = fs.String("data-dir", "", "")
		url                                     = fs.String("url", "", "")
		eventTypes, matches                     listFlag
	)
	fs.StringVar(&f.Function, "function", "", "")
	fs.StringVar(&kind, "fault", "", "")
	fs.IntVar(&f.Status, "status", 0, "")
	fs.StringVar(&f.ErrorName, "error-name", "", "")
	fs.StringVar(&f.ErrorMessage, "error-message", "", "")
	fs.BoolVar(&f.Retryable, "retryable", false, "")
	fs.StringVar(&hosts, "hosts", "", "")
	fs.StringVar(&services, "services", "", "")
	fs.StringVar(&denyMode, "deny-mode", "", "")
	fs.StringVar(&f.Breaker, "breaker", "", "")
	fs.IntVar(&f.MemoryMB, "memory-mb", 0, "")
	fs.StringVar(&f.Qualifier, "qualifier", "", "")
	fs.Var(&eventTypes, "event-type", "")
	fs.Var(&matches, "match", "")
	fs.StringVar(&radius, "blast-radius", "", "")
	fs.StringVar(&f.ApprovedBy, "approved-by", "", "")
	fs.BoolVar(&f.DryRun, "dry-run", false, "")
	fs.StringVar(&f.ID, "id", "", "")
	fs.StringVar(&f.Experiment, "experiment", "", "")
	fs.Bool("json", true, "")
	fs.Usage = func() { io.WriteString(stderr, chaosUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cogniforge chaos inject: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	f.Kind, f.Rate, f.DenyMode, f.BlastRadius = chaos.Kind(kind), rate, chaos.DenyMode(denyMode), chaos.BlastRadius(radius)
	f.For, f.Latency, f.LatencyMax, f.CPU = chaos.Duration(*forD), chaos.Duration(*latency), chaos.Duration(*latencyMax), chaos.Duration(*cpu)
	f.Hosts, f.Services, f.EventTypes = splitList(hosts), splitList(services), eventTypes
	for _, m := range matches {
		f.Match = append(f.Match, parseMatch(m))
	}
	f.CreatedBy = cliUser()
	if *forD <= 0 {
		fmt.Fprintln(stderr, "cogniforge chaos inject: --for: every fault needs a positive duration (it turns itself off after it)")
		return 2
	}
	limits, err := chaosLimits(*maxDuration)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos inject: %v\n", err)
		return 2
	}
	if *url != "" {
		// Check here too, so a bad request is refused the same way
		// whatever the function's limits.
		probe := f
		probe.ExpiresAt, probe.For = time.Now().Add(f.For.D()), 0
		if err := probe.Validate(limits, time.Now()); err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos inject: %v\n", err)
			return 2
		}
		return chaosRemote(ctx, *url, "/faults", http.MethodPost, f, *dataDir, stdout, stderr)
	}
	m := chaos.Manager{Store: chaosfile.Store{Dir: chaosDataDir(*dataDir)}, Limits: limits}
	stored, err := m.Inject(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos inject: %v\n", err)
		if errors.Is(err, chaos.ErrInvalidFault) {
			return 2
		}
		return 1
	}
	return writeJSONLine(stdout, stderr, stored)
}

func chaosList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos list", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "")
	url := fs.String("url", "", "")
	function := fs.String("function", "", "")
	asJSON := fs.Bool("json", false, "")
	fs.Usage = func() { io.WriteString(stderr, chaosUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	var faults []chaos.Fault
	if *url != "" {
		var buf bytes.Buffer
		q := "/faults"
		if *function != "" {
			q += "?function=" + *function
		}
		if code := chaosRemote(ctx, *url, q, http.MethodGet, nil, *dataDir, &buf, stderr); code != 0 {
			return code
		}
		if err := json.Unmarshal(buf.Bytes(), &faults); err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos list: %v\n", err)
			return 1
		}
	} else {
		m := chaos.Manager{Store: chaosfile.Store{Dir: chaosDataDir(*dataDir)}}
		all, err := m.List(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos list: %v\n", err)
			return 1
		}
		for _, f := range all {
			if *function == "" || f.Function == *function {
				faults = append(faults, f)
			}
		}
	}
	if faults == nil {
		faults = []chaos.Fault{}
	}
	if *asJSON {
		return writeJSONLine(stdout, stderr, faults)
	}
	if len(faults) == 0 {
		fmt.Fprintln(stdout, "no active faults")
	}
	for _, f := range faults {
		fmt.Fprintf(stdout, "%s\t%s\t%s\trate %.2f\tuntil %s\t%s\n", f.ID, f.Function, f.Kind, f.EffectiveRate(),
			f.ExpiresAt.Format(time.RFC3339), map[bool]string{true: "dry-run", false: ""}[f.DryRun])
	}
	return 0
}

func chaosClear(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaos clear", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "")
	url := fs.String("url", "", "")
	var filter chaos.ClearFilter
	fs.StringVar(&filter.Function, "function", "", "")
	fs.StringVar(&filter.ID, "id", "", "")
	fs.StringVar(&filter.Experiment, "experiment", "", "")
	asJSON := fs.Bool("json", false, "")
	fs.Usage = func() { io.WriteString(stderr, chaosUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if filter.Function != "" {
		if _, err := registry.Lookup(filter.Function); err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos clear: --function: %v\n", err)
			return 2
		}
	}
	var removed []chaos.Fault
	if *url != "" {
		var buf bytes.Buffer
		body := map[string]string{"action": chaos.ActionClear, "function": filter.Function, "id": filter.ID, "experiment": filter.Experiment}
		if code := chaosRemote(ctx, *url, "/faults/clear", http.MethodPost, body, *dataDir, &buf, stderr); code != 0 {
			return code
		}
		var out struct {
			Cleared []chaos.Fault `json:"cleared"`
		}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos clear: %v\n", err)
			return 1
		}
		removed = out.Cleared
	} else {
		m := chaos.Manager{Store: chaosfile.Store{Dir: chaosDataDir(*dataDir)}}
		var err error
		if removed, err = m.Clear(ctx, filter); err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos clear: %v\n", err)
			return 1
		}
	}
	if removed == nil {
		removed = []chaos.Fault{}
	}
	if *asJSON {
		return writeJSONLine(stdout, stderr, removed)
	}
	fmt.Fprintf(stdout, "cleared %d fault(s)\n", len(removed))
	return 0
}

// chaosRemote calls a chaos-injector's route and copies its JSON answer.
func chaosRemote(ctx context.Context, base, path, method string, body any, dataDir string, stdout, stderr io.Writer) int {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge chaos: %v\n", err)
			return 2
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos: --url: %v\n", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	if tok := callerToken(chaosDataDir(dataDir)); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		fmt.Fprintf(stderr, "cogniforge chaos: %s: %s\n", resp.Status, bytes.TrimSpace(b))
		if resp.StatusCode == http.StatusBadRequest {
			return 2
		}
		return 1
	}
	stdout.Write(bytes.TrimSpace(b))
	io.WriteString(stdout, "\n")
	return 0
}

func writeJSONLine(stdout, stderr io.Writer, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge chaos: %v\n", err)
		return 1
	}
	stdout.Write(append(b, '\n'))
	return 0
}
