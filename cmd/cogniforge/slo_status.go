package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
)

// RuntimeAddrFile is written by `cogniforge run` into its data directory:
// the address it serves on, so commands that find the directory locked by
// it can ask it instead.
const RuntimeAddrFile = "runtime.addr"

// sloStatus prints every SLO's status. Where from: --url (an slo-evaluator
// function URL, or a local runtime), else --data-dir read directly with the
// definitions of --config, or through the runtime serving it when that
// runtime holds the directory; with neither, the local runtime at its
// default address.
func sloStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("slo status", flag.ContinueOnError)
	dataDir := fl.String("data-dir", "", "local runtime data directory holding the store")
	configDir := fl.String("config", "config", "configuration directory whose slos/ holds the definitions (used when reading --data-dir directly)")
	url := fl.String("url", "", "slo-evaluator base URL (a function URL, or http://HOST/functions/slo-evaluator of a runtime)")
	asJSON := fl.Bool("json", false, "print JSON: {\"slos\": [status...]}")
	at := fl.String("time", "", "evaluate at this RFC 3339 instant instead of now")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge slo status: unexpected argument %q\n\n%s", pos[0], sloUsage)
		return 2
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge slo status: --time %q is not an RFC 3339 time\n", *at)
			return 2
		}
		now = t
	}
	var sts []slo.Status
	var err error
	base := *url
	switch {
	case base != "":
	case *dataDir != "":
		b, u, code := openOrAskRuntime(*dataDir, slo.EvaluatorName, "cogniforge slo status", stderr)
		if code != 0 {
			return code
		}
		if b == nil { // a runtime serves this directory: ask it
			base = u
			break
		}
		defer b.Close()
		slos, lerr := slo.LoadFiles(filepath.Join(*configDir, "slos"))
		if lerr != nil {
			fmt.Fprintf(stderr, "cogniforge slo status: definitions: %v\n", lerr)
			return 2
		}
		ev, eerr := slo.NewEvaluator(slo.EvaluatorConfig{Store: b, SLOs: slos})
		if eerr != nil {
			fmt.Fprintf(stderr, "cogniforge slo status: %v\n", eerr)
			return 2
		}
		sts, err = ev.Status(ctx, now)
	default:
		base, _ = functionURL("", "", slo.EvaluatorName)
	}
	if base != "" {
		sts, err = fetchStatus(ctx, base, *at)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge slo status: %v\n", err)
		return 1
	}
	if sts == nil {
		sts = []slo.Status{}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"slos": sts}); err != nil {
			fmt.Fprintf(stderr, "cogniforge slo status: %v\n", err)
			return 1
		}
		return 0
	}
	printStatusTable(stdout, sts)
	return 0
}

// fetchStatus asks an slo-evaluator's GET /slos.
func fetchStatus(ctx context.Context, base, at string) ([]slo.Status, error) {
	u := strings.TrimRight(base, "/") + "/slos"
	if at != "" {
		u += "?time=" + at
	}
	body, status, err := call(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d: %s", u, status, strings.TrimSpace(string(body)))
	}
	var out struct {
		SLOs []slo.Status `json:"slos"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return out.SLOs, nil
}

func printStatusTable(w io.Writer, sts []slo.Status) {
	sort.Slice(sts, func(i, j int) bool { return sts[i].SLO < sts[j].SLO })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLO\tTARGET\tWINDOW\tSLI\tGOOD/TOTAL\tBUDGET LEFT\tBURN 5m\t1h\t6h\t1d\t3d\tEXHAUSTED AT\tALERTS")
	for _, s := range sts {
		sli := "-"
		if s.SLI != nil {
			sli = fmt.Sprintf("%.4f%%", *s.SLI*100)
		}
		exh := "-"
		if s.Exhaustion != nil {
			exh = s.Exhaustion.UTC().Format(time.RFC3339)
		}
		var alerts []string
		for _, a := range s.Alerts {
			alerts = append(alerts, fmt.Sprintf("%s (%s since %s)", a.Severity, a.Rule, a.Since.UTC().Format("15:04")))
		}
		al := "-"
		if len(alerts) > 0 {
			al = strings.Join(alerts, ", ")
		}
		b := func(k string) string { return fmt.Sprintf("%.2f", s.BurnRates[k]) }
		fmt.Fprintf(tw, "%s\t%g%%\t%s\t%s\t%d/%d\t%.1f%%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.SLO, s.Target*100, s.Window, sli,
			s.Good, s.Total, s.BudgetRemaining*100, b("5m"), b("1h"), b("6h"), b("1d"), b("3d"), exh, al)
	}
	tw.Flush()
}
