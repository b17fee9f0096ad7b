package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("invoke", command{
		summary: "run one function in-process on a CloudEvent or a raw platform payload",
		run:     runInvoke,
	})
}

// printBus prints what a function publishes during a one-shot invoke, so
// nothing it emits is lost silently.
type printBus struct{ w io.Writer }

func (b printBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	for _, e := range evs {
		j, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(b.w, "published: %s\n", j)
	}
	return make([]error, len(evs)), nil
}

const invokeUsage = `usage: cogniforge invoke <function> (--event FILE | --payload FILE | -) [--data-dir DIR]

  --event FILE    a CloudEvent (structured JSON) to deliver
  --payload FILE  a raw platform payload: an SQS batch, an EventBridge event, a
                  function URL request, a rotation request, a Step Functions task input
  -               read the payload from standard input (any of the above)

Prints the function's answer as JSON on stdout; exit 0 on success, 1 when the
function failed (stdout then holds {"errorType","errorMessage"}), 2 on usage errors.
`

func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	eventFile := fs.String("event", "", "CloudEvent file")
	payloadFile := fs.String("payload", "", "raw platform payload file")
	dataDir := fs.String("data-dir", "", "directory of the embedded store; memory when empty")
	fs.Usage = func() { io.WriteString(stderr, invokeUsage) }
	// The function name comes first; flags follow it.
	if len(args) == 0 {
		io.WriteString(stderr, invokeUsage)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" {
		io.WriteString(stdout, invokeUsage)
		return 0
	}
	name, rest := args[0], args[1:]
	if code, ok := parseFlags(fs, rest, stderr); !ok {
		return code
	}
	fromStdin := fs.NArg() == 1 && fs.Arg(0) == "-"
	sources := 0
	for _, set := range []bool{*eventFile != "", *payloadFile != "", fromStdin} {
		if set {
			sources++
		}
	}
	if sources != 1 || (fs.NArg() > 0 && !fromStdin) {
		fmt.Fprintln(stderr, "cogniforge invoke: give exactly one of --event FILE, --payload FILE or -")
		io.WriteString(stderr, invokeUsage)
		return 2
	}
	var payload []byte
	var err error
	switch {
	case *eventFile != "":
		payload, err = os.ReadFile(*eventFile)
		if err == nil {
			// A CloudEvent file must be one, so a typo is not run as a task input.
			var e cloudevents.Event
			if jerr := json.Unmarshal(payload, &e); jerr != nil {
				err = fmt.Errorf("%s is not a structured CloudEvent: %w", *eventFile, jerr)
			}
		}
	case *payloadFile != "":
		payload, err = os.ReadFile(*payloadFile)
	default:
		payload, err = io.ReadAll(stdin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge invoke: %v\n", err)
		return 2
	}
	entry, err := registry.Lookup(name)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge invoke: %v\n", err)
		return 2
	}
	logger := newLogger(stderr, slog.LevelWarn)
	ports, closePorts, err := localPorts(ctx, *dataDir, logger, printBus{w: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge invoke: %v\n", err)
		return dataDirCode(err)
	}
	defer closePorts()
	fn, err := entry.Build(ports)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge invoke: %v\n", err)
		return 1
	}
	fn = wiring.Instrument(ports, fn)
	out, err := lambda.NewInvoker(fn, adapterOptions(ports)...).Invoke(ctx, payload)
	if err != nil {
		b, _ := json.MarshalIndent(map[string]string{"errorType": faas.ErrorName(err), "errorMessage": err.Error()}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return 1
	}
	if len(out) == 0 {
		out = []byte("null")
	}
	var pretty any
	if json.Unmarshal(out, &pretty) == nil {
		if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
			out = b
		}
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}
