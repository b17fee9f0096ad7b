package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func init() {
	register("resilience", command{summary: "show the shared circuit breakers and bulkheads, force a breaker", run: runResilience})
}

const resilienceUsage = `usage:
  cogniforge resilience status [--data-dir DIR | --url URL] [--json]
        every circuit breaker (name, state, consecutive failures, calls and failures in its
        window, opened at, force) and bulkhead (limits, calls in use and queued, summed over
        the instances that reported in the last 15 s)
  cogniforge resilience force NAME --mode open|closed|none [--for D | --until T] [--data-dir DIR | --url URL]
        make every instance treat breaker NAME as open (refuse calls) or closed (let them all
        through) for D (e.g. 5m), until T (RFC 3339) or until cleared with --mode none

  --data-dir DIR   the local runtime's data directory: its store is read directly, or, while
                   a runtime serves it, through that runtime's resilience-admin function
  --url URL        a resilience-admin base URL (http://HOST/functions/resilience-admin of a
                   runtime); the default is the local runtime at 127.0.0.1:8080
exit status: 0 done, 1 failed, 2 bad input
`

func runResilience(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "resilience", resilienceUsage, map[string]subcommand{
		"status": resilienceStatus,
		"force":  resilienceForce,
	}, args, stdout, stderr)
}

// resilienceTarget is where a command reads and writes the breakers: a
// store opened directly, or a resilience-admin function over HTTP.
type resilienceTarget struct {
	admin *resilience.Admin
	url   string
	token string
	close func()
}

// openResilience opens the data directory's store, or finds the function
// serving it (a runtime holds the store's lock), or takes url.
func openResilience(dataDir, url string) (resilienceTarget, error) {
	if url != "" {
		return resilienceTarget{url: strings.TrimRight(url, "/"), token: callerToken(dataDir), close: func() {}}, nil
	}
	if dataDir == "" {
		u, _ := functionURL("", "", resilience.AdminName)
		return resilienceTarget{url: u, token: callerToken(""), close: func() {}}, nil
	}
	b, err := bolt.Open(bolt.Config{Dir: dataDir, MustExist: true, OpenTimeout: 200 * time.Millisecond})
	if errors.Is(err, bolt.ErrLocked) {
		u, uerr := functionURL("", dataDir, resilience.AdminName)
		if uerr != nil {
			return resilienceTarget{}, fmt.Errorf("%v, and %v", err, uerr)
		}
		return resilienceTarget{url: u, token: callerToken(dataDir), close: func() {}}, nil
	}
	if err != nil {
		return resilienceTarget{}, err
	}
	return resilienceTarget{admin: &resilience.Admin{Store: b}, close: func() { b.Close() }}, nil
}

// ask calls the function and decodes its JSON answer into v.
func (t resilienceTarget) ask(ctx context.Context, method, path string, body, v any) error {
	out, code, err := call(ctx, method, t.url+path, body, t.token)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		var p struct {
			Title, Detail string
		}
		if json.Unmarshal(out, &p) == nil && p.Detail != "" {
			return &httpError{code: code, msg: p.Detail}
		}
		return &httpError{code: code, msg: strings.TrimSpace(string(out))}
	}
	return json.Unmarshal(out, v)
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }

func resilienceStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("resilience status", flag.ContinueOnError)
	dataDir := fl.String("data-dir", "", "local runtime data directory holding the store")
	url := fl.String("url", "", "resilience-admin base URL")
	asJSON := fl.Bool("json", false, `print JSON: {"breakers": [...], "bulkheads": [...]}`)
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge resilience status: unexpected argument %q\n\n%s", pos[0], resilienceUsage)
		return 2
	}
	t, err := openResilience(*dataDir, *url)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge resilience status: %v\n", err)
		return dataDirCode(err)
	}
	defer t.close()
	var st resilience.Status
	if t.admin != nil {
		st, err = t.admin.Status(ctx)
	} else {
		err = t.ask(ctx, http.MethodGet, "/breakers", nil, &st)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge resilience status: %v\n", err)
		return 1
	}
	if st.Breakers == nil {
		st.Breakers = []resilience.BreakerStatus{}
	}
	if st.Bulkheads == nil {
		st.Bulkheads = []resilience.BulkheadUse{}
	}
	if *asJSON {
		return printJSON(stdout, stderr, st, 0)
	}
	printResilience(stdout, st)
	return 0
}

func printResilience(w io.Writer, st resilience.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BREAKER\tSTATE\tFAILURES\tWINDOW\tOPENED AT\tFORCED")
	for _, b := range st.Breakers {
		opened, forced := "-", "-"
		if !b.OpenedAt.IsZero() {
			opened = b.OpenedAt.UTC().Format(time.RFC3339)
		}
		if b.Forced != resilience.ForceNone {
			forced = string(b.Forced)
			if !b.ForcedUntil.IsZero() {
				forced += " until " + b.ForcedUntil.UTC().Format(time.RFC3339)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d failed\t%s\t%s\n", b.Name, b.State, b.ConsecutiveFailures, b.WindowFailures, b.WindowCalls, opened, forced)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "BULKHEAD\tMAX CONCURRENT\tMAX QUEUED\tQUEUE TIMEOUT\tIN USE\tQUEUED\tINSTANCES")
	for _, b := range st.Bulkheads {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\n", b.Name, b.Limits.MaxConcurrent, b.Limits.MaxQueued, b.Limits.QueueTimeout, b.InUse, b.Queued, b.Instances)
	}
	tw.Flush()
}

func resilienceForce(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("resilience force", flag.ContinueOnError)
	dataDir := fl.String("data-dir", "", "local runtime data directory holding the store")
	url := fl.String("url", "", "resilience-admin base URL")
	mode := fl.String("mode", "", "open, closed or none (clear the force)")
	forD := fl.String("for", "", "how long the force lasts (e.g. 5m)")
	until := fl.String("until", "", "when the force ends (RFC 3339)")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprint(stderr, "cogniforge resilience force: exactly one breaker NAME is required\n\n"+resilienceUsage)
		return 2
	}
	cmd := resilience.Command{Name: pos[0], Mode: *mode, For: *forD, Until: *until}
	m, end, err := resilience.ParseForce(cmd, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge resilience force: --%v\n", err)
		return 2
	}
	t, err := openResilience(*dataDir, *url)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge resilience force: %v\n", err)
		return dataDirCode(err)
	}
	defer t.close()
	var bs resilience.BreakerStatus
	if t.admin != nil {
		if err = t.admin.Force(ctx, cmd.Name, m, end); err == nil {
			bs, err = resilience.NewBreakerStatus(ctx, t.admin.Store, cmd.Name)
		}
	} else {
		err = t.ask(ctx, http.MethodPost, "/breakers/"+cmd.Name+"/force", resilience.Command{Mode: cmd.Mode, For: cmd.For, Until: cmd.Until}, &bs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge resilience force: %v\n", err)
		var he *httpError
		if errors.As(err, &he) && he.code == http.StatusBadRequest {
			return 2
		}
		return 1
	}
	return printJSON(stdout, stderr, bs, 0)
}
