package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/wiring"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func init() {
	register("run", command{summary: "start the local runtime hosting every function", run: runRuntime, longRunning: true})
}

func runRuntime(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dataDir := fs.String("data-dir", "", "directory for durable state (queues, store, executions); memory when empty")
	maxReceives := fs.Int("max-receives", 3, "deliveries of a failing queued event before it is dead-lettered")
	retryDelay := fs.Duration("retry-delay", time.Second, "delay before the first redelivery (doubles each time)")
	machines := fs.String("statemachines", "statemachines", "directory of *.asl.json definitions created in the Step Functions API at start (empty: none)")
	configDir := fs.String("config", "", "directory of users' declarative files (slos/*.yaml ...); default ./config when it exists, or $COGNIFORGE_CONFIG_DIR")
	mockConfig := fs.String("sfn-mock-config", "", "Step Functions Local mock configuration: StartExecution on <stateMachineArn>#<TestCase> uses it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the runtime to this file until it stops (go tool pprof reads it)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cogniforge run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger := newLogger(stderr, slog.LevelInfo)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge run: --cpuprofile: %v\n", err)
			return 2
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	opts := serveOptions{addr: *addr, dataDir: *dataDir, maxReceives: *maxReceives, retryDelay: *retryDelay,
		machinesDir: *machines, mockConfig: *mockConfig, configDir: *configDir}
	if err := serve(ctx, opts, logger); err != nil {
		fmt.Fprintf(stderr, "cogniforge run: %v\n", err)
		return dataDirCode(err)
	}
	return 0
}

type serveOptions struct {
	addr, dataDir           string
	maxReceives             int
	retryDelay              time.Duration
	machinesDir, mockConfig string
	configDir               string
}

func serve(ctx context.Context, o serveOptions, logger *slog.Logger) (err error) {
	addr, dataDir := o.addr, o.dataDir
	var mocks *asl.MockConfig
	if o.mockConfig != "" {
		raw, err := os.ReadFile(o.mockConfig)
		if err != nil {
			return err
		}
		if mocks, err = asl.ParseMockConfig(raw); err != nil {
			return fmt.Errorf("%s: %w", o.mockConfig, err)
		}
	}
	late := &lateBus{}
	ports, closePorts, err := localPorts(ctx, dataDir, logger, late)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closePorts()) }()
	if o.configDir != "" {
		if st, err := os.Stat(o.configDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--config %s: not a directory", o.configDir)
		}
		ports.Config = wiring.DirConfig(o.configDir)
	}
	// The runtime's own queues stay embedded even when the functions use
	// AWS services through AWS_ENDPOINT_URL.
	var rtStore store.Store = ports.Store
	if ports.AWS != nil {
		if dataDir != "" {
			s, err := bolt.Open(bolt.Config{Dir: dataDir, GroupCommit: true})
			if err != nil {
				return err
			}
			defer s.Close()
			rtStore = s
		} else {
			rtStore = memory.New(memory.Config{})
		}
	}
	auth, err := newAPIToken(dataDir, logger)
	if err != nil {
		return err
	}
	execs := &lateExecutions{}
	if ports.Executions == nil {
		ports.Executions = execs
	}
	fns, err := registry.Build(ports)
	if err != nil {
		return err
	}
	opts := adapterOptions(ports)
	// The Step Functions API answers at "/" (the AWS JSON protocol), its
	// Tasks running the same functions through the same adapters.
	tasks, err := sfnlocal.NewInvoker(sfnlocal.InvokerConfig{Functions: fns, Options: opts, Bus: ports.Bus, Queues: lateQueues{late}})
	if err != nil {
		return err
	}
	// Executions left running by the last process resume once the
	// runtime's queues and bus, which their Tasks may use, exist.
	sfn, err := sfnlocal.NewService(sfnlocal.ServiceConfig{Invoker: tasks, FunctionName: tasks.FunctionName,
		Store: rtStore, MockConfig: mocks, Logger: logger, DeferResume: true})
	if err != nil {
		return err
	}
	defer sfn.Close()
	execs.svc.Store(sfn)
	if o.machinesDir != "" {
		if err := sfn.LoadDir(ctx, o.machinesDir); err != nil {
			return fmt.Errorf("state machines in %s: %w", o.machinesDir, err)
		}
	}
	httpOpts := append(append([]adapter.Option(nil), opts...), adapter.WithAuthorizer(auth.check))
	handlers := make(map[string]http.Handler, len(fns))
	for _, fn := range fns {
		extra, err := wiring.HTTPOptions(ports, fn)
		if err != nil {
			return err
		}
		handlers[fn.Name] = cehttp.NewHandler(fn, append(extra, httpOpts...)...)
	}
	rt, err := localruntime.New(localruntime.Config{
		Functions: fns,
		Store:     rtStore,
		HTTPHandler: func(fn faas.Function) http.Handler {
			if h, ok := handlers[fn.Name]; ok {
				return h
			}
			return cehttp.NewHandler(fn, httpOpts...)
		},
		Wrap:        func(fn faas.Function) faas.Handler { return faas.Chain(fn.Handler, adapter.Defaults(opts...)...) },
		Logger:      logger,
		MaxReceives: o.maxReceives,
		RetryDelay:  o.retryDelay,
		Extra:       sfn.Handler(),
		Route:       localRoute(ports),
	})
	if err != nil {
		return err
	}
	// Every event the functions publish is archived into its stream
	// (config/streams), asynchronously: the archive never fails a publish.
	streamsCfg, err := streamsConfig(o.configDir)
	if err != nil {
		return err
	}
	archiveStore, closeArchive, err := openArchiveStore(dataDir, false)
	if err != nil {
		return err
	}
	defer closeArchive()
	eventsSvc, archiver, err := localArchive(streamsCfg, archiveStore, rt, logger)
	if err != nil {
		return err
	}
	archiveCtx, stopArchive := context.WithCancel(context.Background())
	archiveDone := make(chan struct{})
	go func() { archiver.Run(archiveCtx); close(archiveDone) }()
	defer func() {
		// Write what is buffered, then stop.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := archiver.Close(cctx); err != nil {
			logger.Warn("cogniforge: archive not drained", "error", err)
		}
		cancel()
		stopArchive()
		<-archiveDone
		logger.Info("cogniforge: archive stopped", "stats", archiver.Stats())
	}()
	late.set(archiver)
	if sw, ok := archiveStore.(localruntime.Sweeper); ok {
		go sweepArchive(archiveCtx, sw, logger)
	}
	if err := sfn.ResumeExecutions(ctx); err != nil {
		return fmt.Errorf("resume Step Functions executions: %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	// The webhook inbox lives beside the functions: /hooks/... receives
	// the signed webhooks of config/oncall/channels.yaml, GET /hooks lists them.
	top := http.NewServeMux()
	hooks := newInbox(logger)
	top.Handle("/hooks", hooks)
	top.Handle("/hooks/", hooks)
	top.Handle("/streams/", eventsSvc.handler())
	top.Handle("/", rt.Handler())
	srv := &http.Server{Handler: top, ReadHeaderTimeout: 10 * time.Second}
	runCtx, stopRuntime := context.WithCancel(context.Background())
	rtDone := make(chan error, 1)
	go func() { rtDone <- rt.Run(runCtx) }()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ln) }()
	// Secrets declared in config/secrets: created, then rotated when due.
	rotDone := make(chan struct{})
	go func() { defer close(rotDone); localRotations(runCtx, ports, dataDir, logger) }()
	if dataDir != "" {
		// Commands that find the data directory locked by this process ask
		// it at this address instead (cogniforge slo status).
		addrFile := filepath.Join(dataDir, RuntimeAddrFile)
		if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			logger.Warn("cogniforge: could not record the runtime's address", "file", addrFile, "error", err)
		}
		defer os.Remove(addrFile)
	}
	logger.Info("cogniforge: local runtime listening", "url", "http://"+ln.Addr().String(),
		"functions", registry.Names(), "dataDir", dataDir, "aws", ports.AWS != nil)

	// Stop on a signal, or when either half fails: a runtime that could not
	// start its queues must not leave the server accepting events for them.
	var serveErr, rtErr error
	rtStopped := false
	select {
	case <-ctx.Done():
	case serveErr = <-srvDone:
	case rtErr = <-rtDone:
		rtStopped = true
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("cogniforge: HTTP shutdown", "error", err)
	}
	stopRuntime()
	<-rotDone
	if !rtStopped {
		rtErr = <-rtDone
	}
	if rtErr != nil {
		return rtErr
	}
	logger.Info("cogniforge: stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}
