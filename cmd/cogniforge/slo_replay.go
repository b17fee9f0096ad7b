package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/slo"
)

// sloReplay runs the aggregator and the evaluator in virtual time over a
// recorded stream and prints one JSON line per alert transition. Exit 0
// when the stream was replayed (events refused as the functions would
// refuse them are reported on stderr), 2 on bad input.
func sloReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("slo replay", flag.ContinueOnError)
	sloFile := fl.String("slo", "", "OpenSLO definitions: a FILE or a DIR of *.yaml (required)")
	eventsFile := fl.String("events", "", "request-completed CloudEvents, one structured-mode JSON per line, in time order; - for stdin (required)")
	stepText := fl.String("step", "1m", "evaluation interval of event time (1m, 30s, 5m)")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge slo replay: unexpected argument %q\n\n%s", pos[0], sloUsage)
		return 2
	}
	if *sloFile == "" || *eventsFile == "" {
		fmt.Fprint(stderr, "cogniforge slo replay: --slo FILE and --events FILE.ndjson are required\n\n"+sloUsage)
		return 2
	}
	step, err := slo.ParseWindow(*stepText)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge slo replay: --step: %v\n", err)
		return 2
	}
	slos, err := slo.LoadFiles(*sloFile)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge slo replay: %v\n", err)
		return 2
	}
	var in io.Reader = os.Stdin
	if *eventsFile != "-" {
		f, err := os.Open(*eventsFile)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge slo replay: %v\n", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	catalog, err := events.NewCatalog(events.CompileOnFirstUse())
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge slo replay: %v\n", err)
		return 1
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	refused := 0
	lines := map[string]int{} // event id -> line, for messages
	next := func() (slo.Event, bool, error) {
		for sc.Scan() {
			line++
			b := sc.Bytes()
			if len(b) == 0 {
				continue
			}
			ev, err := events.Decode(b)
			if err != nil {
				return slo.Event{}, false, fmt.Errorf("%s line %d: %w", *eventsFile, line, errBadInput{err})
			}
			// As the functions do: the catalog refuses an invalid event
			// (to the dead letters there, reported here).
			if err := catalog.Validate(ev); err != nil {
				refused++
				fmt.Fprintf(stderr, "cogniforge slo replay: %s line %d: refused: %v\n", *eventsFile, line, err)
				continue
			}
			e, err := slo.FromCloudEvent(ev)
			if err != nil {
				refused++
				fmt.Fprintf(stderr, "cogniforge slo replay: %s line %d: refused: %v\n", *eventsFile, line, err)
				continue
			}
			lines[e.ID] = line
			return e, true, nil
		}
		if err := sc.Err(); err != nil {
			return slo.Event{}, false, fmt.Errorf("%s: %w", *eventsFile, errBadInput{err})
		}
		return slo.Event{}, false, nil
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	err = slo.Replay(ctx, slo.ReplayConfig{SLOs: slos, Step: step,
		Emit: func(t slo.Transition) error { return enc.Encode(t.Line()) },
		Refused: func(e slo.Event, err error) {
			refused++
			fmt.Fprintf(stderr, "cogniforge slo replay: %s line %d: refused: %v\n", *eventsFile, lines[e.ID], err)
		},
	}, next)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge slo replay: %v\n", err)
		var bad errBadInput
		if errors.As(err, &bad) || errors.Is(err, fs.ErrNotExist) {
			return 2
		}
		return 1
	}
	if refused > 0 {
		fmt.Fprintf(stderr, "cogniforge slo replay: %d events refused (see above); the rest replayed\n", refused)
	}
	return 0
}

// errBadInput marks an input the command cannot read at all.
type errBadInput struct{ err error }

func (e errBadInput) Error() string { return e.err.Error() }
func (e errBadInput) Unwrap() error { return e.err }
