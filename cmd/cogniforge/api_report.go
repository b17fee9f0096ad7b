package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/registry/governancefn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

const apiReportSynopsis = "report [--json] [--data-dir DIR | --url URL]"

const apiReportUsage = `usage:
  cogniforge api ` + apiReportSynopsis + `

Prints the governance overview: every API version of api/catalog.yaml with
its lifecycle state, OWASP API Top 10 compliance score, findings by
severity, last audit and pending breaking changes. With --url it asks a
governance-auditor (its function URL, or http://HOST/functions/governance-auditor
of a runtime); with --data-dir the reports the local runtime's auditor kept
(through the runtime when it holds the directory); with neither it audits
the embedded specs now. --json prints the overview as GET
/governance/overview answers it.
Exit 0 ok, 1 the overview could not be read, 2 bad input.
`

func init() { registerAPI("report", apiReportSynopsis, apiReport) }

func apiReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api report", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the overview as JSON")
	dataDir := fs.String("data-dir", "", "local runtime data directory whose store holds the auditor's reports")
	base := fs.String("url", "", "governance-auditor base URL")
	fs.Usage = func() { io.WriteString(stderr, apiReportUsage) }
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge api report: unexpected argument %q\n\n%s", pos[0], apiReportUsage)
		return 2
	}
	if *dataDir != "" && *base != "" {
		fmt.Fprintf(stderr, "cogniforge api report: give --data-dir or --url, not both\n")
		return 2
	}
	var ov apigov.Overview
	var err error
	u := *base
	switch {
	case u != "":
	case *dataDir != "":
		b, fu, code := openOrAskRuntime(*dataDir, governancefn.Name, "cogniforge api report", stderr)
		if code != 0 {
			return code
		}
		if b == nil {
			u = fu
			break
		}
		defer b.Close()
		ov, err = localOverview(ctx, wiring.Ports{Store: b}, false)
	default:
		ov, err = localOverview(ctx, wiring.Ports{Store: memory.New(memory.Config{})}, true)
	}
	if u != "" {
		ov, err = fetchOverview(ctx, u)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api report: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(ov)
		return 0
	}
	printOverview(stdout, ov)
	return 0
}

// localOverview builds the auditor over p's store; audit runs it over
// the embedded specs first.
func localOverview(ctx context.Context, p wiring.Ports, audit bool) (apigov.Overview, error) {
	cfg, err := governancefn.Config(p)
	if err != nil {
		return apigov.Overview{}, err
	}
	g, err := apigov.New(cfg)
	if err != nil {
		return apigov.Overview{}, err
	}
	if audit {
		if _, err := g.AuditAll(ctx); err != nil {
			return apigov.Overview{}, err
		}
	}
	return g.Overview(ctx)
}

// fetchOverview asks a governance-auditor's GET /governance/overview.
func fetchOverview(ctx context.Context, base string) (apigov.Overview, error) {
	u := strings.TrimRight(base, "/") + "/governance/overview"
	body, status, err := call(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		return apigov.Overview{}, err
	}
	if status != http.StatusOK {
		return apigov.Overview{}, fmt.Errorf("GET %s: %d: %s", u, status, strings.TrimSpace(string(body)))
	}
	var ov apigov.Overview
	if err := json.Unmarshal(body, &ov); err != nil {
		return apigov.Overview{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return ov, nil
}

func printOverview(w io.Writer, ov apigov.Overview) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tVERSION\tSTATE\tSCORE\tERRORS\tWARNINGS\tINFO\tBREAKING\tLAST AUDIT")
	for _, a := range ov.APIs {
		score, last := "-", "never"
		if a.Audited {
			score = fmt.Sprint(a.Score)
			last = a.LastAudit.UTC().Format(time.RFC3339)
		}
		if a.Error != "" {
			score = "unreadable"
		}
		state := a.State
		if state == "" {
			state = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", a.API, a.Version, state, score, a.Counts.Error, a.Counts.Warning, a.Counts.Info, a.BreakingPending, last)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d APIs, mean score %d, %d errors, %d warnings, %d breaking changes pending\n",
		len(ov.APIs), ov.Score, ov.Counts.Error, ov.Counts.Warning, ov.BreakingPending)
	for _, a := range ov.APIs {
		if a.Error != "" {
			fmt.Fprintf(w, "%s/%s: %s\n", a.API, a.Version, a.Error)
		}
	}
}
