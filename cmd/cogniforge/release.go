package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/registry/releasefn"
	"github.com/cogniforge/cogniforge/pkg/release"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("release", command{summary: "releases: shift an alias to a new version in steps, roll back on a breach", run: runRelease})
}

const releaseUsage = `usage:
  cogniforge release start FUNCTION --version V [--strategy canary|linear|blue-green] [--alias live]
                         [--weights W,... | --weight W] [--interval 10m]
                         [--max-error-rate R] [--max-latency-ms MS [--latency-percentile P]]
                         [--slo NAME --max-burn-rate X [--burn-window 5m]]
                         [--min-requests N] [--max-holds N] [--id ID] [--by USER]
  cogniforge release status [ID] [--state running|promoted|rolledback] [--json]
  cogniforge release rollback ID [--by USER] [--reason TEXT]
  cogniforge release publish FUNCTION [--description TEXT]     (local runtime: a new version of FUNCTION)
  cogniforge release aliases FUNCTION [--alias live]           (its versions and where the alias routes)
each with [--url URL | --data-dir DIR]

A release moves the alias's traffic to version V: canary sends --weight
percent (default 10) for --interval, then everything; linear adds --weight
percent (default 10) every interval; --weights gives the steps outright;
blue-green sends everything at once and keeps the old version for an
instant rollback until the interval's check passes. Each check reads the new
version's request.completed events (those whose data.version is V and whose
service is FUNCTION): error rate (default limit 0.05), latency percentile,
or an SLO's burn rate over --burn-window; a breach rolls back at once, fewer
than --min-requests (default 10) holds the step, more than --max-holds
(default 3) holds roll back.

The commands talk to a release-controller: --url (its function URL, or
http://HOST/functions/release-controller of a local runtime), the runtime
serving --data-dir, or the local runtime at 127.0.0.1:8080, with the bearer
token of $COGNIFORGE_API_TOKEN or the data directory's api.token.
Exit 0 ok, 1 refused (a rollback of a promoted release, a second release on
an alias), 2 bad input (a weight that is not a number, a version, alias or
function that does not exist).
`

func runRelease(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "release", releaseUsage, subcommandsOf(releaseCall, "start", "status", "rollback", "publish", "aliases"), args, stdout, stderr)
}

// parseWeights reads "10,50" as percentages, naming a bad one.
func parseWeights(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "%"))
		w, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("%q is not a number (a percentage such as 10 or 12.5)", f)
		}
		out = append(out, w)
	}
	return out, nil
}

func releaseCall(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("release "+verb, flag.ContinueOnError)
	base := fl.String("url", "", "release-controller base URL")
	dataDir := fl.String("data-dir", "", "data directory of the local runtime to ask")
	version := fl.String("version", "", "start: the version to release")
	strategy := fl.String("strategy", "canary", "start: canary, linear or blue-green")
	alias := fl.String("alias", "", "start, aliases: the alias (default live)")
	weights := fl.String("weights", "", "start: the new version's percentages before 100, e.g. 10,50")
	weight := fl.String("weight", "", "start: canary's percentage, or linear's step")
	interval := fl.String("interval", "", "start: how long each step lasts before its check (default 10m)")
	maxErr := fl.String("max-error-rate", "", "start: highest error rate in [0, 1] (default 0.05)")
	maxLat := fl.String("max-latency-ms", "", "start: highest latency percentile, in ms")
	pct := fl.String("latency-percentile", "", "start: the latency percentile (default 99)")
	sloName := fl.String("slo", "", "start: an SLO whose burn rate is checked")
	burnWindow := fl.String("burn-window", "", "start: the burn rate's window (default 5m)")
	maxBurn := fl.String("max-burn-rate", "", "start: highest burn rate")
	minReq := fl.String("min-requests", "", "start: requests a check needs (default 10)")
	maxHolds := fl.String("max-holds", "", "start: holds tolerated (default 3)")
	id := fl.String("id", "", "start: the release's id")
	by := fl.String("by", "", "who acts")
	reason := fl.String("reason", "", "rollback: why")
	state := fl.String("state", "", "status: running, promoted or rolledback")
	description := fl.String("description", "", "publish: the version's description")
	asJSON := fl.Bool("json", false, "status: print JSON")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cogniforge release %s: %s\n", verb, fmt.Sprintf(format, a...))
		return 2
	}
	u, err := functionURL(*base, *dataDir, release.FunctionName)
	if err != nil {
		return bad("%v", err)
	}
	var method, path string
	var body any
	switch verb {
	case "start":
		if len(pos) != 1 {
			return bad("exactly one FUNCTION is required\n\n%s", releaseUsage)
		}
		rq := release.Request{Function: pos[0], Version: *version, Alias: *alias, Strategy: release.Strategy(*strategy), ID: *id, By: *by,
			SLO: *sloName}
		if *version == "" {
			return bad("--version is required")
		}
		switch {
		case *weights != "" && *weight != "":
			return bad("give --weights or --weight, not both")
		case *weights != "":
			if rq.Weights, err = parseWeights(*weights); err != nil {
				return bad("--weights: %v", err)
			}
		case *weight != "":
			w, err := parseWeights(*weight)
			if err != nil || len(w) != 1 {
				return bad("--weight: %q is not a number (a percentage such as 10)", *weight)
			}
			rq.Weights = w
			if rq.Strategy == release.Linear {
				if w[0] <= 0 || w[0] >= 100 {
					return bad("--weight: a linear step of %v%% is not in (0, 100)", w[0])
				}
				rq.Weights = release.LinearWeights(w[0])
			}
		}
		for _, d := range []struct {
			flag, v string
			dst     *string
		}{{"--interval", *interval, &rq.Interval}, {"--burn-window", *burnWindow, &rq.BurnWindow}} {
			if d.v == "" {
				continue
			}
			if _, err := release.ParseDuration(d.v); err != nil {
				return bad("%s: %v", d.flag, err)
			}
			*d.dst = d.v
		}
		for _, f := range []struct {
			flag, v string
			dst     *float64
		}{{"--max-error-rate", *maxErr, &rq.MaxErrorRate}, {"--max-latency-ms", *maxLat, &rq.MaxLatencyMs},
			{"--latency-percentile", *pct, &rq.LatencyPercentile}, {"--max-burn-rate", *maxBurn, &rq.MaxBurnRate}} {
			if f.v == "" {
				continue
			}
			v, err := strconv.ParseFloat(f.v, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return bad("%s: %q is not a number", f.flag, f.v)
			}
			*f.dst = v
		}
		for _, f := range []struct {
			flag, v string
			dst     *int
		}{{"--min-requests", *minReq, &rq.MinRequests}, {"--max-holds", *maxHolds, &rq.MaxHolds}} {
			if f.v == "" {
				continue
			}
			v, err := strconv.Atoi(f.v)
			if err != nil {
				return bad("%s: %q is not a whole number", f.flag, f.v)
			}
			*f.dst = v
		}
		// Every other check is the controller's, which names the field.
		method, path, body = http.MethodPost, "/releases", rq
	case "status":
		if len(pos) > 1 {
			return bad("at most one release ID")
		}
		method, path = http.MethodGet, "/releases"
		if len(pos) == 1 {
			path += "/" + url.PathEscape(pos[0])
		} else if *state != "" {
			path += "?" + url.Values{"state": {*state}}.Encode()
		}
	case "rollback":
		if len(pos) != 1 {
			return bad("exactly one release ID is required")
		}
		method, path, body = http.MethodPost, "/releases/"+url.PathEscape(pos[0])+"/rollback", map[string]string{"by": *by, "reason": *reason}
	case "publish":
		if len(pos) != 1 {
			return bad("exactly one FUNCTION is required")
		}
		method, path, body = http.MethodPost, "/versions/"+url.PathEscape(pos[0]), map[string]string{"description": *description}
	case "aliases":
		if len(pos) != 1 {
			return bad("exactly one FUNCTION is required")
		}
		method, path = http.MethodGet, "/aliases/"+url.PathEscape(pos[0])
		if *alias != "" {
			path += "?" + url.Values{"alias": {*alias}}.Encode()
		}
	}
	out, status, err := call(ctx, method, u+path, body, callerToken(*dataDir))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge release %s: %v\n", verb, err)
		return 1
	}
	if status >= 400 {
		fmt.Fprintf(stderr, "cogniforge release %s: %s\n", verb, strings.TrimSpace(string(out)))
		var p struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(out, &p)
		if status == http.StatusBadRequest || p.ErrorType == release.ErrNameNotFound || p.ErrorType == release.ErrNameInvalid {
			return 2
		}
		return 1
	}
	if verb == "status" && !*asJSON {
		var v struct {
			Releases []*release.Release `json:"releases"`
		}
		if len(pos) == 1 {
			var r release.Release
			if err := json.Unmarshal(out, &r); err != nil {
				fmt.Fprintf(stderr, "cogniforge release status: %v\n", err)
				return 1
			}
			v.Releases = []*release.Release{&r}
		} else if err := json.Unmarshal(out, &v); err != nil {
			fmt.Fprintf(stderr, "cogniforge release status: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFUNCTION\tALIAS\tVERSION\tFROM\tSTRATEGY\tSTATE\tWEIGHT\tSTARTED\tREASON")
		for _, r := range v.Releases {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v%%\t%s\t%s\n", r.ID, r.Function, r.Alias, r.Version, r.PreviousVersion, r.Strategy,
				r.State, r.Weight, r.StartedAt.UTC().Format(time.RFC3339), r.Reason)
		}
		tw.Flush()
		if len(pos) == 1 && len(v.Releases) == 1 {
			fmt.Fprintln(stdout)
			tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tAT\tDECISION\tWEIGHT\tBY\tREASON")
			for _, d := range v.Releases[0].History {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%v%%\t%s\t%s\n", d.Seq, d.At.UTC().Format(time.RFC3339), d.Kind, d.Weight, d.By, d.Reason)
			}
			tw.Flush()
		}
		return 0
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = append(pretty.Bytes(), '\n')
	}
	stdout.Write(out)
	return 0
}

// localRoute routes /functions/NAME:ALIAS by the alias's weights kept in
// the store (release-controller moves them; POST .../versions/NAME
// publishes versions); nil when the functions use AWS, where Lambda routes.
func localRoute(p wiring.Ports) func(ctx context.Context, fn, qualifier string) (string, error) {
	a := releasefn.Aliases(p)
	if a == nil {
		return nil
	}
	return func(ctx context.Context, fn, qualifier string) (string, error) {
		if vs, err := a.Versions(ctx, fn); err == nil && slices.Contains(vs, qualifier) {
			return qualifier, nil // a version, not an alias
		}
		return a.Pick(ctx, fn, qualifier, rand.Float64())
	}
}
