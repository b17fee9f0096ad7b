// Command cogniforge is the CogniForge CLI and local runtime: it hosts every
// function in one process (run), invokes one function (invoke), validates
// events (events) and runs Step Functions definitions (sfn).
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// command is one subcommand. run returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// longRunning commands (the local runtime) keep the default garbage
	// collector; one-shot commands trade heap for speed (see oneShotGC).
	longRunning bool
}

// One-shot commands (sfn run, invoke, ...) exit within seconds, so
// collecting less often is cheaper than collecting a heap that is about to
// be dropped: they run without a collection until the process holds
// oneShotHeap bytes, then with GOGC=oneShotGCPercent (see oneShotGC).
const (
	oneShotHeap      = 64 << 20
	oneShotGCPercent = 400
)

var oneShotOnce sync.Once

// oneShotGC tunes the collector for a one-shot command, once per process,
// unless GOGC or GOMEMLIMIT is set in the environment.
func oneShotGC(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	oneShotOnce.Do(func() { applyOneShotGC() })
}

// gcSentinel is garbage from the start; its finalizer tells that the first
// collection ran. It holds a pointer so it is never a tiny allocation
// (whose finalizers may never run).
type gcSentinel struct{ _ *int }

// applyOneShotGC turns the collector off with a memory limit of
// oneShotHeap, which triggers the first collection, and after that
// collection sets GOGC=oneShotGCPercent and lifts the limit; the returned
// channel is closed then. Most one-shot runs never collect: marking the
// state machine `sfn run` just compiled was a fifth of its CPU time on a
// 20,000-state definition, with GOGC=400 alone.
func applyOneShotGC() <-chan struct{} {
	switched := make(chan struct{})
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(oneShotHeap)
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		debug.SetGCPercent(oneShotGCPercent)
		debug.SetMemoryLimit(math.MaxInt64)
		close(switched)
	})
	return switched
}

// commands is filled by the init functions of the files in this package, one
// file per subcommand, so adding a subcommand touches no other file.
var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("cogniforge: command registered twice: " + name)
	}
	commands[name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cogniforge: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if !c.longRunning {
		oneShotGC(os.Getenv)
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: cogniforge <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	io.WriteString(w, b.String())
}

// subcommand runs one subcommand of a command on the arguments after its
// name.
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// subcommandsOf maps each name to call(ctx, name, ...): commands whose
// subcommands share one implementation that switches on the name.
func subcommandsOf(call func(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) int, names ...string) map[string]subcommand {
	subs := make(map[string]subcommand, len(names))
	for _, n := range names {
		subs[n] = func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return call(ctx, n, args, stdout, stderr)
		}
	}
	return subs
}

// runSubcommand is the dispatch every command with subcommands shares:
// no argument or an unknown subcommand prints usage on stderr with exit 2,
// -h/--help/help prints it on stdout with exit 0.
func runSubcommand(ctx context.Context, name, usage string, subs map[string]subcommand, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		io.WriteString(stdout, usage)
		return 0
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cogniforge %s: unknown subcommand %q\n\n%s", name, args[0], usage)
		return 2
	}
	return sub(ctx, args[1:], stdout, stderr)
}
