package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
)

func init() {
	register("events", command{summary: "validate events against the catalog, list types, query and replay the archive", run: runEvents})
}

const eventsUsage = `usage:
  cogniforge events validate FILE...   check structured CloudEvents (one event or a JSON array; - for stdin)
  cogniforge events list               print the catalog's event types
  cogniforge events schema TYPE        print the JSON Schema of a type
  cogniforge events query [--data-dir DIR] [--stream S] [--type T] [--subject S] [--correlation-id ID] [--from T1] [--to T2]
                                       print archived events as NDJSON, oldest first
  cogniforge events replay (--stream S | --type T) [--from T1] [--to T2] [--to-function F | --to-bus] [--dry-run] [--aws]
                                       re-deliver archived events in order, marked replayed

validate prints "FILE: ok" or one "FILE: <field>: <message>" line per problem
(FILE[i] for the i-th event of a batch) and exits 0 when every event is
valid, 1 otherwise, 2 on usage errors.
`

func runEvents(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, eventsUsage)
		return 2
	}
	verb, rest := args[0], args[1:]
	if verb == "-h" || verb == "--help" || verb == "help" {
		io.WriteString(stdout, eventsUsage)
		return 0
	}
	switch verb {
	case "query":
		return eventsQuery(ctx, rest, stdout, stderr)
	case "replay":
		return eventsReplay(ctx, rest, stdout, stderr)
	}
	catalog, err := events.NewCatalog()
	if err != nil { // the embedded catalog is broken: a build problem
		fmt.Fprintf(stderr, "cogniforge events: %v\n", err)
		return 2
	}
	switch verb {
	case "validate":
		if len(rest) == 0 {
			fmt.Fprintf(stderr, "cogniforge events validate: no files\n\n%s", eventsUsage)
			return 2
		}
		return eventsValidate(catalog, rest, stdin, stdout)
	case "list":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "cogniforge events list: unexpected arguments %q\n", rest)
			return 2
		}
		for _, t := range catalog.Types() {
			fmt.Fprintln(stdout, t)
		}
		return 0
	case "schema":
		if len(rest) != 1 {
			fmt.Fprintf(stderr, "cogniforge events schema: want one TYPE\n\n%s", eventsUsage)
			return 2
		}
		s := catalog.Schema(rest[0])
		if s == nil {
			fmt.Fprintf(stderr, "cogniforge events schema: unknown event type %q\n", rest[0])
			return 1
		}
		stdout.Write(s)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge events: unknown subcommand %q\n\n%s", verb, eventsUsage)
	return 2
}

func eventsValidate(catalog *events.Catalog, files []string, stdin io.Reader, stdout io.Writer) int {
	code := 0
	for _, name := range files {
		var b []byte
		var err error
		if name == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(name)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", name, err)
			code = 1
			continue
		}
		if !reportEvents(catalog, name, b, stdout) {
			code = 1
		}
	}
	return code
}

// reportEvents prints the verdict for one file and reports whether it was
// all valid.
func reportEvents(catalog *events.Catalog, name string, b []byte, w io.Writer) bool {
	var evs []cloudevents.Event
	var labels []string
	var err error
	if trimmed := bytes.TrimLeft(b, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		evs, err = events.DecodeBatch(b)
		for i := range evs {
			labels = append(labels, name+"["+strconv.Itoa(i)+"]")
		}
	} else {
		var e cloudevents.Event
		e, err = events.Decode(b)
		evs, labels = []cloudevents.Event{e}, []string{name}
	}
	if err != nil {
		printProblems(w, name, err)
		return false
	}
	ok := true
	for i, e := range evs {
		if err := catalog.Validate(e); err != nil {
			printProblems(w, labels[i], err)
			ok = false
			continue
		}
		fmt.Fprintf(w, "%s: ok\n", labels[i])
	}
	return ok
}

func printProblems(w io.Writer, label string, err error) {
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		fmt.Fprintf(w, "%s: %v\n", label, err)
		return
	}
	for _, f := range verr.Fields {
		fmt.Fprintf(w, "%s: %s\n", label, f)
	}
}
