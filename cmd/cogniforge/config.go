package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("config", command{summary: "get, set, list the history of and roll back versioned configuration", run: runConfig})
}

const configUsage = `usage:
  cogniforge config get      --env ENV [--function F] KEY [--version V] [--decrypt] [--data-dir DIR]
  cogniforge config set      --env ENV [--function F] KEY VALUE [--secure] [--data-dir DIR]
  cogniforge config history  --env ENV [--function F] KEY [--data-dir DIR]
  cogniforge config rollback --env ENV [--function F] KEY [--data-dir DIR]

Parameters live under /cogniforge/ENV/FUNCTION/KEY in the embedded store of DIR
(--data-dir, else $COGNIFORGE_DATA_DIR). Without --function, KEY is FUNCTION/KEY;
a full /cogniforge/... path must lie under ENV (and F when given). ENV is dev,
staging or prod. Every write is a new version, recorded in the audit trail
(never the value). Output is JSON (history: JSON lines). Exit 0 ok, 1 not
found (or nothing to roll back), 2 bad input (unknown environment, a path
outside the function's own, a value that fails validation).
`

func runConfig(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, configUsage)
		return 2
	}
	sub := args[0]
	switch sub {
	case "get", "set", "history", "rollback":
	case "-h", "--help", "help":
		io.WriteString(stdout, configUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "cogniforge config: unknown subcommand %q\n\n%s", sub, configUsage)
		return 2
	}
	fs := flag.NewFlagSet("config "+sub, flag.ContinueOnError)
	env := fs.String("env", "", "environment: dev, staging or prod")
	function := fs.String("function", "", "the function whose parameter it is")
	dataDir := fs.String("data-dir", "", "data directory (default $COGNIFORGE_DATA_DIR)")
	version := fs.String("version", "", "get: a version number or label (default the latest)")
	decrypt := fs.Bool("decrypt", false, "get: show a SecureString's value")
	secure := fs.Bool("secure", false, "set: store as a SecureString")
	pos, code, ok := interleaved(fs, args[1:], stderr)
	if !ok {
		return code
	}
	want := 1
	if sub == "set" {
		want = 2
	}
	if len(pos) != want {
		fmt.Fprintf(stderr, "cogniforge config %s: want %d argument(s) (KEY%s), got %d\n\n%s", sub, want, map[bool]string{true: " VALUE"}[sub == "set"], len(pos), configUsage)
		return 2
	}
	if *env == "" {
		fmt.Fprintf(stderr, "cogniforge config %s: --env is required (one of %s)\n", sub, strings.Join(config.Envs, ", "))
		return 2
	}
	fn, key, err := configScope(*env, *function, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge config %s: %v\n", sub, err)
		return 2
	}
	path, err := config.Path(*env, fn, key)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge config %s: %v\n", sub, err)
		return 2
	}
	dir := *dataDir
	if dir == "" {
		dir = os.Getenv(wiring.EnvDataDir)
	}
	if dir == "" {
		fmt.Fprintf(stderr, "cogniforge config %s: give --data-dir DIR (or set COGNIFORGE_DATA_DIR)\n", sub)
		return 2
	}
	readOnly := sub == "get" || sub == "history"
	st, err := bolt.Open(bolt.Config{Dir: dir, MustExist: readOnly, OpenTimeout: 500 * time.Millisecond})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge config %s: %v\n", sub, err)
		return dataDirCode(err)
	}
	defer st.Close()
	m := config.NewManager(config.NewEmbedded(st, nil))
	rc := &audit.Recorder{Store: st}
	note := func(what string, err error) {
		r := audit.Record{Who: cliPrincipal(), What: what, Key: path, Outcome: events.OutcomeSucceeded}
		if err != nil {
			r.Outcome, r.ErrorName = events.OutcomeFailed, configErrorName(err)
		}
		if aerr := rc.Record(ctx, r); aerr != nil {
			fmt.Fprintf(stderr, "cogniforge config: audit: %v\n", aerr)
		}
	}
	switch sub {
	case "get":
		p, err := m.Get(ctx, *env, fn, key, *version)
		note("config.get", err)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge config get: %v\n", err)
			return configCode(err)
		}
		if p.Secure && !*decrypt {
			p.Value = config.MaskedValue
		}
		return printJSON(stdout, stderr, p, 0)
	case "history":
		vs, err := m.History(ctx, *env, fn, key)
		note("config.history", err)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge config history: %v\n", err)
			return configCode(err)
		}
		enc := json.NewEncoder(stdout)
		for _, v := range vs {
			if err := enc.Encode(v); err != nil {
				return 1
			}
		}
		return 0
	case "set":
		if key == resiliencefn.ParameterKey {
			if err := checkResilienceParameter(path, pos[1]); err != nil {
				fmt.Fprintf(stderr, "cogniforge config set: %v\n", err)
				return 2
			}
		}
		var v int64
		if *secure {
			v, err = m.SetSecure(ctx, *env, fn, key, pos[1])
		} else {
			v, err = m.Set(ctx, *env, fn, key, pos[1])
		}
		note("config.set", err)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge config set: %v\n", err)
			return configCode(err)
		}
		return printJSON(stdout, stderr, map[string]any{"name": path, "version": v}, 0)
	default: // rollback
		v, err := m.Rollback(ctx, *env, fn, key)
		note("config.rollback", err)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge config rollback: %v\n", err)
			return configCode(err)
		}
		return printJSON(stdout, stderr, map[string]any{"name": path, "version": v}, 0)
	}
}

// configScope splits KEY into the function and the key: with --function
// KEY is relative to it, or a full /cogniforge/ENV/F/... path that must be
// F's; without, KEY is FUNCTION/KEY or a full path under ENV.
func configScope(env, function, arg string) (fn, key string, err error) {
	if err := config.CheckEnv(env); err != nil {
		return "", "", err
	}
	if strings.HasPrefix(arg, "/") {
		rest, ok := strings.CutPrefix(arg, config.Root+"/"+env+"/")
		if !ok {
			return "", "", fmt.Errorf("%w: %s is not under %s/%s/", config.ErrOutOfScope, arg, config.Root, env)
		}
		fn, key, _ = strings.Cut(rest, "/")
		if function != "" && fn != function {
			return "", "", fmt.Errorf("%w: %s is not under the function %s's path", config.ErrOutOfScope, arg, function)
		}
		return fn, key, nil
	}
	if function != "" {
		return function, arg, nil
	}
	fn, key, ok := strings.Cut(arg, "/")
	if !ok {
		return "", "", fmt.Errorf("%w: KEY %q needs --function F, or the form FUNCTION/KEY", config.ErrInvalidName, arg)
	}
	return fn, key, nil
}

func configCode(err error) int {
	switch {
	case errors.Is(err, config.ErrNotFound):
		return 1
	case errors.Is(err, config.ErrUnknownEnv), errors.Is(err, config.ErrOutOfScope),
		errors.Is(err, config.ErrInvalidName), errors.Is(err, config.ErrInvalidValue):
		return 2
	}
	return 1
}

func configErrorName(err error) string { return audit.ConfigErrorName(err) }

// checkResilienceParameter refuses a resilience parameter its functions
// would refuse at their next start (and so not start).
func checkResilienceParameter(path, value string) error {
	c, err := resilience.ParseConfig(path, []byte(value))
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
