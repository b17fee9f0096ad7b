package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// lateBus lets functions be built before the runtime that delivers their
// events exists: the runtime needs the functions, the functions need a bus.
type lateBus struct{ target atomic.Pointer[bus.Publisher] }

func (b *lateBus) set(p bus.Publisher) { b.target.Store(&p) }

func (b *lateBus) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	p := b.target.Load()
	if p == nil {
		return nil, errors.New("cogniforge: event bus not started yet")
	}
	return (*p).Publish(ctx, evs)
}

// lateExecutions reaches the runtime's Step Functions service once it
// exists, for functions that start executions (incident-escalator).
type lateExecutions struct {
	svc atomic.Pointer[sfnlocal.Service]
}

func (l *lateExecutions) StartExecution(ctx context.Context, machine, name, input string) error {
	svc := l.svc.Load()
	if svc == nil {
		return errors.New("cogniforge: Step Functions not started yet")
	}
	_, err := svc.StartExecution(ctx, machine, name, input)
	var api *sfnlocal.APIError
	if errors.As(err, &api) && api.Code == sfnlocal.ErrCodeExecutionAlreadyExists {
		return fmt.Errorf("%w: %v", wiring.ErrExecutionExists, err)
	}
	return err
}

// lateQueues reaches the runtime's queues once it exists, for the Step
// Functions sqs:sendMessage integration.
type lateQueues struct{ b *lateBus }

func (q lateQueues) Enqueue(ctx context.Context, function string, e cloudevents.Event) error {
	p := q.b.target.Load()
	if p == nil {
		return errors.New("cogniforge: queues not started yet")
	}
	target := *p
	if u, ok := target.(interface{ Unwrap() bus.Publisher }); ok {
		target = u.Unwrap() // the archive decorating the runtime's bus
	}
	enq, ok := target.(sfnlocal.Enqueuer)
	if !ok {
		return errors.New("cogniforge: the event bus has no queues")
	}
	return enq.Enqueue(ctx, function, e)
}

// localPorts builds the functions' ports for a CLI command: the process
// environment with the store in dataDir (memory when empty). When the ports
// are embedded (no AWS endpoint), embeddedBus carries what the functions
// publish: the runtime's bus, or stderr for one-shot commands.
func localPorts(ctx context.Context, dataDir string, logger *slog.Logger, embeddedBus bus.Publisher) (wiring.Ports, func() error, error) {
	env := func(k string) string {
		if k == wiring.EnvDataDir && dataDir != "" {
			return dataDir
		}
		v := os.Getenv(k)
		// Locally, the users' declarative files are ./config (config/slos
		// ...) unless the environment names others.
		if k == wiring.EnvConfigDir && v == "" {
			if st, err := os.Stat(defaultConfigDir); err == nil && st.IsDir() {
				return defaultConfigDir
			}
		}
		return v
	}
	ports, closePorts, err := wiring.FromEnv(ctx, env, logger)
	if err != nil {
		return wiring.Ports{}, nil, err
	}
	if ports.AWS == nil {
		ports.Bus = embeddedBus
	}
	return ports, closePorts, nil
}

// defaultConfigDir is where the local commands find the users' files.
const defaultConfigDir = "config"

// adapterOptions are the faas options every locally hosted function gets:
// logging to stderr and validation against the catalog.
func adapterOptions(p wiring.Ports) []adapter.Option {
	return []adapter.Option{adapter.WithLogger(p.Logger), adapter.WithValidator(p.Catalog)}
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// dataDirCode is the exit code of a command whose data directory could not
// be opened: 2 (the call cannot be served as given) when another process
// holds it or it holds no store for a read-only command, else 1.
func dataDirCode(err error) int {
	if errors.Is(err, bolt.ErrLocked) || errors.Is(err, bolt.ErrNoStore) {
		return 2
	}
	return 1
}

// parseFlags parses and reports usage errors in the CLI's one style. When
// it returns ok false the command stops with code: 0 when the arguments
// asked for help (-h, --help: the usage was printed, as asked), else 2.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		fmt.Fprintf(stderr, "cogniforge %s: %v\n", fs.Name(), err)
		return 2, false
	}
	return 0, true
}

// openOrAskRuntime opens the store of dataDir for a read-only command, or,
// when a running `cogniforge run` holds it, returns the URL of function on
// that runtime instead. A non-zero code means neither worked; the reason is
// on stderr, prefixed with cmd.
func openOrAskRuntime(dataDir, function, cmd string, stderr io.Writer) (st *bolt.Store, url string, code int) {
	b, err := bolt.Open(bolt.Config{Dir: dataDir, MustExist: true, OpenTimeout: 200 * time.Millisecond})
	if errors.Is(err, bolt.ErrLocked) {
		u, rerr := functionURL("", dataDir, function)
		if rerr != nil {
			fmt.Fprintf(stderr, "%s: %v, and %v\n", cmd, err, rerr)
			return nil, "", 2
		}
		return nil, u, 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return nil, "", dataDirCode(err)
	}
	return b, "", 0
}
