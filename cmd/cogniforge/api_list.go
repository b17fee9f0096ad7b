package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apispec"
)

func init() {
	registerAPI("list", "list [--json]", apiList)
}

// apiListRow is one API version as `api list --json` prints it.
type apiListRow struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	State    string `json:"state"`
	Function string `json:"function"`
	Prefix   string `json:"prefix"`
	Spec     string `json:"spec"`
	// Operations counts the operations of the spec.
	Operations int    `json:"operations"`
	Deprecated string `json:"deprecated,omitempty"`
	Sunset     string `json:"sunset,omitempty"`
	Migration  string `json:"migration,omitempty"`
}

// apiList prints every API version of api/catalog.yaml with its state
// today (a version past its sunset is retired), the function serving it
// and how many operations its spec has.
func apiList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("api list", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, `print JSON: {"apis": [{"name", "version", "state", "function", "prefix", "spec", "operations", "deprecated", "sunset", "migration"}]}`)
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge api list: unexpected argument %q\n\n%s", pos[0], apiUsage())
		return 2
	}
	rows, err := apiListRows(time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api list: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			APIs []apiListRow `json:"apis"`
		}{rows}); err != nil {
			fmt.Fprintf(stderr, "cogniforge api list: %v\n", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATE\tFUNCTION\tPREFIX\tSPEC\tOPERATIONS\tDEPRECATED\tSUNSET")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, r.Version, r.State, r.Function, dash(r.Prefix), r.Spec,
			r.Operations, dash(r.Deprecated), dash(r.Sunset))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "cogniforge api list: %v\n", err)
		return 1
	}
	return 0
}

func apiListRows(now time.Time) ([]apiListRow, error) {
	c, err := apicatalog.Load(api.Files, api.CatalogFile)
	if err != nil {
		return nil, err
	}
	date := func(d apicatalog.Date) string {
		if d.IsZero() {
			return ""
		}
		if d.Equal(d.Truncate(24 * time.Hour)) {
			return d.UTC().Format(time.DateOnly)
		}
		return d.UTC().Format(time.RFC3339)
	}
	rows := make([]apiListRow, 0, len(c.Entries))
	for _, e := range c.Entries {
		s, err := apispec.Load(api.Files, e)
		if err != nil {
			return nil, err
		}
		ops := 0
		for _, item := range s.Doc.Paths.Map() {
			ops += len(item.Operations())
		}
		rows = append(rows, apiListRow{Name: e.Name, Version: e.Version, State: string(e.StateAt(now)), Function: e.Function,
			Prefix: e.Prefix, Spec: e.Spec, Operations: ops, Deprecated: date(e.Deprecated), Sunset: date(e.Sunset), Migration: e.Migration})
	}
	return rows, nil
}
