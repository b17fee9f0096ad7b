package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func init() {
	registerAPI("lifecycle", `lifecycle [--json] [--data-dir DIR] [--days N] [--time T]
                                  every API version with its state (as of now or T), deprecation and
                                  sunset dates and migration guide; with --data-dir, the calls per
                                  client to deprecated and retired versions in the last N days (30)`, apiLifecycle)
}

type lifecycleJSON struct {
	Name       string               `json:"name"`
	Version    string               `json:"version"`
	Function   string               `json:"function"`
	State      apicatalog.State     `json:"state"`
	Prefix     string               `json:"prefix"`
	Deprecated string               `json:"deprecated,omitempty"`
	Sunset     string               `json:"sunset,omitempty"`
	Migration  string               `json:"migration,omitempty"`
	Calls      []apilifecycle.Calls `json:"calls,omitempty"`
}

func apiLifecycle(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("api lifecycle", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, `print JSON: {"since": day, "apis": [...]}`)
	dataDir := fl.String("data-dir", "", "local runtime data directory whose store holds the call counts")
	days := fl.Int("days", 30, "count the calls of the last N days (today included)")
	at := fl.String("time", "", "states and the window as of this RFC 3339 instant instead of now")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge api lifecycle: unexpected argument %q\n", pos[0])
		return 2
	}
	if *days < 1 || *days > 3650 {
		fmt.Fprintf(stderr, "cogniforge api lifecycle: --days %d: want 1 to 3650\n", *days)
		return 2
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge api lifecycle: --time %q is not an RFC 3339 time\n", *at)
			return 2
		}
		now = t
	}
	c, err := apilifecycle.Embedded()
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api lifecycle: %v\n", err)
		return 1
	}
	var st *bolt.Store
	if *dataDir != "" {
		st, err = bolt.Open(bolt.Config{Dir: *dataDir, MustExist: true, OpenTimeout: 200 * time.Millisecond})
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge api lifecycle: %v (stop the runtime serving it first)\n", err)
			return dataDirCode(err)
		}
		defer st.Close()
	}
	since := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-*days)
	var out []lifecycleJSON
	for _, e := range c.Entries {
		v := lifecycleJSON{Name: e.Name, Version: e.Version, Function: e.Function, State: e.StateAt(now), Prefix: e.Prefix, Migration: e.Migration}
		if !e.Deprecated.IsZero() {
			v.Deprecated = e.Deprecated.UTC().Format(time.DateOnly)
		}
		if !e.Sunset.IsZero() {
			v.Sunset = e.Sunset.UTC().Format(time.DateOnly)
		}
		if st != nil && e.State != apicatalog.Active {
			if v.Calls, err = apilifecycle.CallsSince(ctx, st, e.ID(), since); err != nil {
				fmt.Fprintf(stderr, "cogniforge api lifecycle: %v\n", err)
				return 1
			}
		}
		out = append(out, v)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"since": since.Format(time.DateOnly), "apis": out}); err != nil {
			fmt.Fprintf(stderr, "cogniforge api lifecycle: %v\n", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tVERSION\tFUNCTION\tPREFIX\tSTATE\tDEPRECATED\tSUNSET\tMIGRATION")
	for _, v := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, v.Version, v.Function, orDash(v.Prefix), v.State, orDash(v.Deprecated), orDash(v.Sunset), orDash(v.Migration))
	}
	tw.Flush()
	if st == nil {
		return 0
	}
	for _, v := range out {
		if v.State == apicatalog.Active {
			continue
		}
		fmt.Fprintf(stdout, "\n%s %s (%s) calls since %s:", v.Name, v.Version, v.State, since.Format(time.DateOnly))
		if len(v.Calls) == 0 {
			fmt.Fprintln(stdout, " none")
			continue
		}
		fmt.Fprintln(stdout)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CLIENT\tCALLS\tLAST")
		for _, c := range v.Calls {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", c.Client, c.Calls, c.Last)
		}
		tw.Flush()
	}
	return 0
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
