package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/streams"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// streamsConfig reads the streams of configDir/streams/streams.yaml; an
// empty configDir means $COGNIFORGE_CONFIG_DIR, else ./config; a missing
// file means the default streams.
func streamsConfig(configDir string) (streams.Config, error) {
	if configDir == "" {
		configDir = os.Getenv(wiring.EnvConfigDir)
	}
	if configDir == "" {
		configDir = defaultConfigDir
	}
	return streams.LoadConfig(filepath.Join(configDir, "streams"))
}

// errStreamsInput marks a query or replay the caller got wrong (exit 2, HTTP 400).
var errStreamsInput = errors.New("bad input")

func badInput(err error) error { return fmt.Errorf("%w: %w", errStreamsInput, err) }

// eventsService answers queries and runs replays over one archive, with the
// local runtime's bus and queues as replay targets. `cogniforge run` serves
// it at /streams/; the CLI uses it directly on a data directory no runtime
// holds.
type eventsService struct {
	arch      *streams.Archive
	bus       bus.Publisher // the bus a --to-bus replay publishes on
	enqueue   func(ctx context.Context, function string, e cloudevents.Event) error
	functions []string
	now       func() time.Time
	// archiver, when set, is flushed before a query so what was just
	// published is there.
	archiver *streams.Archiver
}

// Query parameters shared by the CLI flags and the HTTP API.
const (
	qStream, qType, qSubject, qCorrelation, qFrom, qTo = "stream", "type", "subject", "correlation-id", "from", "to"
	qToFunction, qToBus, qDryRun, qReplayID            = "to-function", "to-bus", "dry-run", "id"
)

// filter turns query parameters into a filter, refusing unknown types and
// streams, unreadable times and inverted ranges.
func (s *eventsService) filter(v url.Values) (streams.Filter, error) {
	f := streams.Filter{Streams: v[qStream], Types: v[qType], Subject: v.Get(qSubject), CorrelationID: v.Get(qCorrelation)}
	var errs []error
	for _, t := range f.Types {
		if !slices.Contains(events.AllTypes, t) {
			errs = append(errs, fmt.Errorf("--type %q: unknown event type (cogniforge events list)", t))
		}
	}
	now := s.now()
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{qFrom, &f.From}, {qTo, &f.To}} {
		if raw := v.Get(p.name); raw != "" {
			t, err := streams.ParseTime(raw, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("--%s %w", p.name, err))
				continue
			}
			*p.to = t
		}
	}
	if err := errors.Join(errs...); err != nil {
		return f, badInput(err)
	}
	if err := s.arch.Validate(f); err != nil {
		return f, badInput(err)
	}
	return f, nil
}

// query writes the selected events as NDJSON, oldest first, one structured
// CloudEvent a line, and returns the corrupt records it skipped.
func (s *eventsService) query(ctx context.Context, v url.Values, w io.Writer) ([]streams.Corrupt, error) {
	f, err := s.filter(v)
	if err != nil {
		return nil, err
	}
	if s.archiver != nil {
		_ = s.archiver.Flush(ctx)
	}
	res, err := s.arch.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, r := range res.Records {
		b, err := json.Marshal(r.Event)
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", r.Event.ID(), err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return nil, err
		}
	}
	return res.Corrupt, nil
}

// replay re-delivers what v selects to the bus or one function's queue.
func (s *eventsService) replay(ctx context.Context, v url.Values) (streams.ReplayReport, error) {
	f, err := s.filter(v)
	if err != nil {
		return streams.ReplayReport{}, err
	}
	if len(f.Streams) == 0 && len(f.Types) == 0 {
		return streams.ReplayReport{}, badInput(errors.New("give --stream S or --type T"))
	}
	fn := v.Get(qToFunction)
	toBus, _ := strconv.ParseBool(v.Get(qToBus))
	if fn != "" && toBus {
		return streams.ReplayReport{}, badInput(errors.New("--to-function and --to-bus exclude each other"))
	}
	if fn != "" && !slices.Contains(s.functions, fn) {
		return streams.ReplayReport{}, badInput(fmt.Errorf("--to-function %q: no such function (functions: %s)", fn, strings.Join(s.functions, ", ")))
	}
	dry, _ := strconv.ParseBool(v.Get(qDryRun))
	id := v.Get(qReplayID)
	if id == "" {
		id = "replay-" + uuid.NewString()
	}
	var target bus.Publisher = s.bus
	if fn != "" {
		target = functionTarget{fn: fn, enqueue: s.enqueue}
	}
	if s.archiver != nil {
		_ = s.archiver.Flush(ctx)
	}
	return s.arch.Replay(ctx, streams.ReplayRequest{ID: id, Filter: f, DryRun: dry}, target)
}

// functionTarget delivers a replay to one function's queue, in order.
type functionTarget struct {
	fn      string
	enqueue func(ctx context.Context, function string, e cloudevents.Event) error
}

func (t functionTarget) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	out := make([]error, len(evs))
	for i, e := range evs {
		out[i] = t.enqueue(ctx, t.fn, e)
	}
	return out, nil
}

// Headers of GET /streams/events: how many corrupt records were skipped,
// and their keys.
const (
	hdrCorrupt     = "X-Cogniforge-Corrupt-Records"
	hdrCorruptKeys = "X-Cogniforge-Corrupt-Keys"
)

// handler serves GET /streams/events (NDJSON), POST /streams/replay (the
// report as JSON) and GET /streams/stats (the archiver's counts); bad input
// is a 400 problem.
func (s *eventsService) handler() http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) {
		status := http.StatusInternalServerError
		if errors.Is(err, errStreamsInput) {
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": strings.TrimPrefix(err.Error(), errStreamsInput.Error()+": ")})
	}
	mux.HandleFunc("GET /streams/events", func(w http.ResponseWriter, r *http.Request) {
		var buf strings.Builder
		corrupt, err := s.query(r.Context(), r.URL.Query(), &buf)
		if err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set(hdrCorrupt, strconv.Itoa(len(corrupt)))
		keys := make([]string, len(corrupt))
		for i, c := range corrupt {
			keys[i] = c.Key.Partition + "/" + c.Key.Sort
		}
		w.Header().Set(hdrCorruptKeys, strings.Join(keys, ","))
		_, _ = io.WriteString(w, buf.String())
	})
	mux.HandleFunc("GET /streams/stats", func(w http.ResponseWriter, r *http.Request) {
		// The archiver's counts (archived, writeFailed, overflow, retries,
		// bufferWaits), as the OpenTelemetry counters count them.
		var st streams.Stats
		if s.archiver != nil {
			st = s.archiver.Stats()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /streams/replay", func(w http.ResponseWriter, r *http.Request) {
		rep, err := s.replay(r.Context(), r.URL.Query())
		if err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	})
	return mux
}

// ArchiveDir is the archive's own store inside a data directory: apart
// from the runtime's, so archive writes never queue behind (or hold up) the
// queues' commits, and its retention sweeps touch nothing else.
const ArchiveDir = "archive"

// openArchiveStore opens the archive of dataDir (memory when dataDir is
// empty). mustExist refuses to create it.
func openArchiveStore(dataDir string, mustExist bool) (store.Store, func() error, error) {
	if dataDir == "" {
		return memory.New(memory.Config{}), func() error { return nil }, nil
	}
	s, err := bolt.Open(bolt.Config{Dir: filepath.Join(dataDir, ArchiveDir), GroupCommit: true, MustExist: mustExist, OpenTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

// localArchive builds what `cogniforge run` needs for the archive: the
// service over rt and the archiver decorating it (started by the caller).
func localArchive(cfg streams.Config, st store.Store, rt *localruntime.Runtime, logger *slog.Logger) (*eventsService, *streams.Archiver, error) {
	arch, err := streams.NewArchive(st, cfg, time.Now)
	if err != nil {
		return nil, nil, err
	}
	archiver, err := streams.NewArchiver(streams.ArchiverConfig{Next: rt, Archive: arch, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	return &eventsService{arch: arch, bus: rt, enqueue: rt.Enqueue, functions: registry.Names(), now: time.Now, archiver: archiver}, archiver, nil
}

// offlineEvents opens dataDir, which no runtime holds, for a query
// (withRuntime false: the archive only) or a replay (the runtime's queues
// over dataDir's store too, not running: replayed events wait in the queues
// and are delivered when `cogniforge run` next starts on dataDir).
func offlineEvents(ctx context.Context, dataDir, configDir string, withRuntime bool, logger *slog.Logger) (*eventsService, func() error, error) {
	cfg, err := streamsConfig(configDir)
	if err != nil {
		return nil, nil, badInput(err)
	}
	// The data directory must hold the runtime's store (a mistyped one is
	// refused, not created); its archive may not exist yet.
	main, err := bolt.Open(bolt.Config{Dir: dataDir, MustExist: true, OpenTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, nil, err
	}
	if err := main.Close(); err != nil {
		return nil, nil, err
	}
	st, closeArchive, err := openArchiveStore(dataDir, true)
	if errors.Is(err, bolt.ErrNoStore) {
		st, closeArchive, err = memory.New(memory.Config{}), func() error { return nil }, nil
	}
	if err != nil {
		return nil, nil, err
	}
	arch, err := streams.NewArchive(st, cfg, time.Now)
	if err != nil {
		closeArchive()
		return nil, nil, err
	}
	svc := &eventsService{arch: arch, functions: registry.Names(), now: time.Now}
	if !withRuntime {
		return svc, closeArchive, nil
	}
	rt, _, closePorts, err := offlineRuntime(ctx, dataDir, logger)
	if err != nil {
		closeArchive()
		return nil, nil, err
	}
	svc.bus, svc.enqueue = rt, rt.Enqueue
	return svc, func() error { return errors.Join(closePorts(), closeArchive()) }, nil
}

// offlineRuntime builds the local runtime over dataDir's store without
// running it: what it enqueues waits in the store until `cogniforge run`
// starts on dataDir. A directory holding no store is refused (bolt.ErrNoStore)
// rather than created.
func offlineRuntime(ctx context.Context, dataDir string, logger *slog.Logger) (*localruntime.Runtime, wiring.Ports, func() error, error) {
	st, err := bolt.Open(bolt.Config{Dir: dataDir, MustExist: true, OpenTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, wiring.Ports{}, nil, err
	}
	if err := st.Close(); err != nil {
		return nil, wiring.Ports{}, nil, err
	}
	late := &lateBus{}
	ports, closePorts, err := localPorts(ctx, dataDir, logger, late)
	if err != nil {
		return nil, wiring.Ports{}, nil, err
	}
	fns, err := registry.Build(ports)
	if err != nil {
		closePorts()
		return nil, wiring.Ports{}, nil, err
	}
	rt, err := localruntime.New(localruntime.Config{Functions: fns, Store: ports.Store, Logger: logger,
		HTTPHandler: func(faas.Function) http.Handler { return http.NotFoundHandler() }})
	if err != nil {
		closePorts()
		return nil, wiring.Ports{}, nil, err
	}
	late.set(rt)
	return rt, ports, closePorts, nil
}

// sweepArchive removes expired archived events every
// localruntime.DefaultSweepInterval, as the runtime sweeps its own store.
func sweepArchive(ctx context.Context, sw localruntime.Sweeper, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(localruntime.DefaultSweepInterval):
		}
		if n, err := sw.Sweep(ctx); err != nil && ctx.Err() == nil {
			logger.Error("cogniforge: sweep expired archived events", "error", err)
		} else if n > 0 {
			logger.Info("cogniforge: swept expired archived events", "count", n)
		}
	}
}
