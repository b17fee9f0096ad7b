package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/governance"
)

func init() {
	registerAPI("audit", "audit [--format text|json|sarif] [--fail-on error|warning|info] [--probe URL] SPEC...", apiAudit)
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// apiAudit audits OpenAPI specs against the OWASP API Security Top 10
// (2023); with --probe it also probes the running API of the one SPEC
// given. Exit 1 when a finding is at or above --fail-on, 2 when a spec
// cannot be read or is not OpenAPI.
func apiAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("api audit", flag.ContinueOnError)
	format := fl.String("format", "text", "output: text, json ({\"apis\": [report...]}) or sarif (SARIF 2.1.0)")
	asJSON := fl.Bool("json", false, "same as --format json")
	failOn := fl.String("fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning or info")
	probe := fl.String("probe", "", "also probe the API running at this base URL (one SPEC only)")
	var headers headerFlags
	fl.Var(&headers, "probe-header", "`Name: value` sent with the oversized-body and rate-limit probes (credentials); repeatable")
	unsafe := fl.Bool("probe-unsafe", false, "let the unauthenticated probe send POST, PUT, PATCH and DELETE too")
	burst := fl.Int("probe-burst", 100, "rapid requests the rate-limit probe sends before it expects a 429")
	disable := fl.String("disable", "", "comma-separated rule ids to leave out")
	listRules := fl.Bool("rules", false, "list every rule (id, category, severity, summary) and exit")
	maxBytes := fl.Int64("max-bytes", governance.DefaultMaxBytes, "refuse specs larger than this")
	fl.Usage = func() {
		fmt.Fprint(fl.Output(), "usage: cogniforge api audit [--format text|json|sarif] [--fail-on error|warning|info] [--probe URL] SPEC...\n\n"+
			"Audits OpenAPI 3 specs against the OWASP API Security Top 10 (2023).\n"+
			"Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: bad input.\n\n")
		fl.PrintDefaults()
	}
	specs, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if *asJSON {
		*format = "json"
	}
	if *listRules {
		return printRules(stdout, *format)
	}
	threshold, ok := governance.ParseSeverity(*failOn)
	if !ok {
		fmt.Fprintf(stderr, "cogniforge api audit: --fail-on %q: want error, warning or info\n", *failOn)
		return 2
	}
	if *format != "text" && *format != "json" && *format != "sarif" {
		fmt.Fprintf(stderr, "cogniforge api audit: --format %q: want text, json or sarif\n", *format)
		return 2
	}
	if len(specs) == 0 {
		fmt.Fprint(stderr, "cogniforge api audit: at least one SPEC is required\n")
		return 2
	}
	if *probe != "" && len(specs) != 1 {
		fmt.Fprint(stderr, "cogniforge api audit: --probe takes exactly one SPEC\n")
		return 2
	}
	probeHeader := http.Header{}
	for _, h := range headers {
		name, value, found := strings.Cut(h, ":")
		if !found || strings.TrimSpace(name) == "" {
			fmt.Fprintf(stderr, "cogniforge api audit: --probe-header %q: want \"Name: value\"\n", h)
			return 2
		}
		probeHeader.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	opts := governance.Options{MaxBytes: *maxBytes}
	if *disable != "" {
		for _, id := range strings.Split(*disable, ",") {
			id = strings.TrimSpace(id)
			if _, ok := governance.RuleByID(id); !ok {
				fmt.Fprintf(stderr, "cogniforge api audit: --disable: no rule %q (see --rules)\n", id)
				return 2
			}
			opts.Disable = append(opts.Disable, id)
		}
	}

	reports := []governance.Report{}
	type specError struct {
		Spec  string `json:"spec"`
		Error string `json:"error"`
	}
	var bad []specError
	for _, name := range specs {
		raw, err := governance.ReadFile(name, opts)
		var rep governance.Report
		if err == nil {
			rep, err = governance.Audit(ctx, name, raw, opts)
		}
		if err == nil && *probe != "" {
			var fs []governance.Finding
			fs, err = governance.Probe(ctx, *probe, raw, governance.ProbeOptions{Header: probeHeader, Unsafe: *unsafe, Burst: *burst})
			rep.Findings = append(rep.Findings, fs...)
			rep.Score = governance.Score(rep.Findings, rep.Operations)
		}
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge api audit: %v\n", err)
			bad = append(bad, specError{name, err.Error()})
			continue
		}
		reports = append(reports, rep)
	}

	switch *format {
	case "json":
		out := map[string]any{"apis": reports}
		if len(bad) > 0 {
			out["errors"] = bad
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "cogniforge api audit: %v\n", err)
			return 2
		}
	case "sarif":
		b, err := governance.SARIF(reports)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge api audit: %v\n", err)
			return 2
		}
		stdout.Write(append(b, '\n'))
	default:
		printAuditText(stdout, reports)
	}
	if len(bad) > 0 {
		return 2
	}
	for _, r := range reports {
		if r.Worst().Rank() >= threshold.Rank() {
			return 1
		}
	}
	return 0
}

func printAuditText(w io.Writer, reports []governance.Report) {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: score %d/100, %d operations: %d errors, %d warnings, %d infos\n", r.Spec, r.Score, r.Operations,
			r.Count(governance.SeverityError), r.Count(governance.SeverityWarning), r.Count(governance.SeverityInfo))
		for _, f := range r.Findings {
			where := r.Spec
			if f.Line > 0 {
				where = fmt.Sprintf("%s:%d", r.Spec, f.Line)
			}
			fmt.Fprintf(w, "  %s %s %s %s\n    at %s\n    %s\n", where, f.Severity, f.Category, f.Rule, f.Path, f.Message)
			if f.Hint != "" {
				fmt.Fprintf(w, "    fix: %s\n", f.Hint)
			}
		}
	}
}

func printRules(w io.Writer, format string) int {
	rules := governance.Rules()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"rules": rules})
		return 0
	}
	for _, r := range rules {
		fmt.Fprintf(w, "%-11s %-7s %-32s %s\n", r.Category, r.Severity, r.ID, r.Summary)
	}
	return 0
}
