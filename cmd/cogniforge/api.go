package main

import (
	"context"
	"io"
	"sort"
	"strings"
)

// The api subcommands (list, audit, diff, report, ...) each live in their
// own file and add themselves with registerAPI from an init function, so
// adding one touches no other file.
var apiSubcommands = map[string]apiSubcommand{}

type apiSubcommand struct {
	synopsis string // the usage line, after "cogniforge api "
	run      subcommand
}

func registerAPI(name, synopsis string, run subcommand) {
	if _, dup := apiSubcommands[name]; dup {
		panic("cogniforge: api subcommand registered twice: " + name)
	}
	apiSubcommands[name] = apiSubcommand{synopsis: synopsis, run: run}
}

func init() {
	register("api", command{summary: "API governance: specs, OWASP audits, breaking changes, lifecycle, rate limits", run: runAPI})
}

func apiUsage() string {
	names := make([]string, 0, len(apiSubcommands))
	for n := range apiSubcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, n := range names {
		b.WriteString("  cogniforge api " + apiSubcommands[n].synopsis + "\n")
	}
	return b.String()
}

func runAPI(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	subs := make(map[string]subcommand, len(apiSubcommands))
	for n, s := range apiSubcommands {
		subs[n] = s.run
	}
	return runSubcommand(ctx, "api", apiUsage(), subs, args, stdout, stderr)
}
