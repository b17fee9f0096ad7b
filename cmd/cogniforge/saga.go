package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func init() {
	register("saga", command{summary: "generate saga state machines and show a saga's steps", run: runSaga})
}

const sagaUsage = `usage:
  cogniforge saga generate SPEC [-o FILE]   write the ASL of a saga spec (stdout without -o)
  cogniforge saga status ID [--data-dir DIR] [--json]
                                           print a saga's overall state ("state": running, completed,
                                           compensating, compensated or stuck), steps and phases (JSON)
  cogniforge saga drain [--data-dir DIR]    publish the saga events left in the outbox (JSON report)
`

func runSaga(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, sagaUsage)
		return 2
	}
	switch args[0] {
	case "generate":
		return sagaGenerate(args[1:], stdout, stderr)
	case "status":
		return sagaStatus(ctx, args[1:], stdout, stderr)
	case "drain":
		return sagaDrain(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, sagaUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge saga: unknown subcommand %q\n\n%s", args[0], sagaUsage)
	return 2
}

// interleaved parses flags given before or after the positional argument.
func interleaved(fs *flag.FlagSet, args []string, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fs, args, stderr); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func sagaGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("saga generate", flag.ContinueOnError)
	out := fs.String("o", "", "output file (default stdout)")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, "cogniforge saga generate: exactly one SPEC is required\n\n"+sagaUsage)
		return 2
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga generate: %v\n", err)
		return 1
	}
	spec, err := saga.ParseSpec(raw)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga generate: %s: %v\n", pos[0], err)
		return 1
	}
	def, err := saga.Generate(spec)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga generate: %v\n", err)
		return 1
	}
	if diags := validateDefinition(def); len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintf(stderr, "cogniforge saga generate: generated definition: %s\n", d)
		}
		return 1
	}
	if *out == "" {
		_, err = stdout.Write(def)
	} else {
		err = os.WriteFile(*out, def, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga generate: %v\n", err)
		return 1
	}
	return 0
}

func sagaStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("saga status", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "local runtime data directory holding the store (memory, so empty, without it)")
	fs.Bool("json", true, "print JSON (the only format; accepted for symmetry with the other commands)")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprint(stderr, "cogniforge saga status: exactly one saga ID is required\n\n"+sagaUsage)
		return 2
	}
	var s store.Store = memory.New(memory.Config{})
	if *dataDir != "" {
		b, err := bolt.Open(bolt.Config{Dir: *dataDir, MustExist: true})
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge saga status: %v\n", err)
			return dataDirCode(err)
		}
		defer b.Close()
		s = b
	}
	st, err := saga.ReadStatus(ctx, s, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga status: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		fmt.Fprintf(stderr, "cogniforge saga status: %v\n", err)
		return 1
	}
	if len(st.Steps) == 0 {
		where := "the empty in-memory store (give --data-dir DIR: the one `cogniforge run` or `sfn run` used)"
		if *dataDir != "" {
			where = *dataDir
		}
		fmt.Fprintf(stderr, "cogniforge saga status: no saga %q in %s\n", pos[0], where)
		return 1
	}
	return 0
}

// sagaDrain runs the saga outbox relay once over the data directory's
// store: every saga-level event accepted but not yet published is
// published (on stderr locally, to EventBridge with AWS_ENDPOINT_URL).
// Exit 0 when the outbox is empty afterwards, 1 when events stay pending.
func sagaDrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("saga drain", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "local runtime data directory holding the store")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "cogniforge saga drain: unexpected arguments %q\n\n%s", pos, sagaUsage)
		return 2
	}
	logger := newLogger(stderr, slog.LevelWarn)
	ports, closePorts, err := localPorts(ctx, *dataDir, logger, printBus{w: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga drain: %v\n", err)
		return 2
	}
	defer closePorts()
	relay, err := saga.NewRelay(saga.RelayConfig{Store: ports.Store, Bus: ports.Bus, Now: ports.Now, Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga drain: %v\n", err)
		return 2
	}
	rep, err := relay.Drain(ctx)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if eerr := enc.Encode(rep); eerr != nil {
		fmt.Fprintf(stderr, "cogniforge saga drain: %v\n", eerr)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge saga drain: %v\n", err)
		return 1
	}
	if rep.Pending > 0 {
		return 1
	}
	return 0
}
