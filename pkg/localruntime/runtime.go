package localruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/schedule"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// ErrUnknownFunction is returned for a function name the runtime does not
// host.
var ErrUnknownFunction = errors.New("runtime: no function")

// ScheduleFiredType is the type of the event a schedule delivers: the same
// event, with the same data (faas.ScheduleFired), as on AWS.
const ScheduleFiredType = faas.ScheduleFiredType

// Config configures a Runtime.
type Config struct {
	// Functions to host. Required, names unique.
	Functions []faas.Function
	// Store keeps queued events and dead letters. Required.
	Store store.Store
	// HTTPHandler serves a function's HTTP endpoint (CloudEvents binding and
	// its routes). Required: main passes cehttp.NewHandler with the
	// standard middleware.
	HTTPHandler func(faas.Function) http.Handler
	// Wrap, when set, wraps each function's handler for queue and schedule
	// deliveries (middleware). Nil delivers to fn.Handler as is.
	Wrap func(faas.Function) faas.Handler
	// Clock defaults to the wall clock.
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxReceives is how many times a queue delivers an event before it is
	// dead-lettered, unless a trigger says otherwise. Zero means 3.
	MaxReceives int
	// RetryDelay is the delay before the first redelivery; each further one
	// doubles it, up to a minute. Zero means one second.
	RetryDelay time.Duration
	// VisibilityTimeout is how long a received event stays hidden from
	// other receives, unless a trigger says otherwise: a handler with no
	// outcome by then has its context cancelled and the event is delivered
	// again (counting as a receive). Zero means DefaultVisibilityTimeout,
	// 30s as on SQS.
	VisibilityTimeout time.Duration
	// SweepInterval is how often expired items are removed from Store when
	// it is a Sweeper (the embedded bolt and memory stores hide expired
	// items but keep them until swept; DynamoDB expires items itself).
	// Zero means DefaultSweepInterval; negative turns sweeping off.
	SweepInterval time.Duration
	// Workers is the number of concurrent deliveries per queue. Zero means 4.
	Workers int
	// Extra, when set, serves requests no runtime route matches (the Step
	// Functions API at "/").
	Extra http.Handler
	// Route, when set, serves a qualified function name,
	// /functions/NAME:QUALIFIER (as a Lambda alias or version ARN): it
	// answers the version that serves this invocation (an alias's weighted
	// routing). The runtime labels the response with it
	// (X-Cogniforge-Function-Version) and publishes a request.completed
	// event naming the version, so releases can judge it.
	Route func(ctx context.Context, function, qualifier string) (version string, err error)
}

// Validate reports every problem with the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Functions) == 0 {
		errs = append(errs, errors.New("runtime: Config.Functions is empty"))
	}
	seen := map[string]bool{}
	for i, fn := range c.Functions {
		switch {
		case fn.Name == "":
			errs = append(errs, fmt.Errorf("runtime: Config.Functions[%d] has no name", i))
		case seen[fn.Name]:
			errs = append(errs, fmt.Errorf("runtime: function %q is listed twice", fn.Name))
		case fn.Handler == nil:
			errs = append(errs, fmt.Errorf("runtime: function %q has no handler", fn.Name))
		}
		seen[fn.Name] = true
		for _, tr := range fn.Triggers {
			if tr.Kind == faas.TriggerSchedule {
				if _, err := schedule.Parse(tr.Schedule); err != nil {
					errs = append(errs, fmt.Errorf("runtime: function %q: %w", fn.Name, err))
				}
			}
			if v := tr.VisibilityTimeoutSeconds; v < 0 || v > maxVisibilitySeconds {
				errs = append(errs, fmt.Errorf("runtime: function %q: visibilityTimeoutSeconds %d is outside 0..%d (SQS's limit, 12 hours)", fn.Name, v, maxVisibilitySeconds))
			}
			if tr.MaxReceives < 0 {
				errs = append(errs, fmt.Errorf("runtime: function %q: maxReceives %d is negative", fn.Name, tr.MaxReceives))
			}
		}
	}
	if c.VisibilityTimeout < 0 {
		errs = append(errs, fmt.Errorf("runtime: Config.VisibilityTimeout %s is negative", c.VisibilityTimeout))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("runtime: Config.Store is required"))
	}
	if c.HTTPHandler == nil {
		errs = append(errs, errors.New("runtime: Config.HTTPHandler is required"))
	}
	return errors.Join(errs...)
}

// Sweeper is a store that removes its expired items when asked (bolt.Store
// and memory.Store are).
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// DefaultSweepInterval is how often the runtime sweeps expired store items.
const DefaultSweepInterval = 10 * time.Minute

// maxVisibilitySeconds is SQS's upper bound on a visibility timeout.
const maxVisibilitySeconds = 12 * 60 * 60

// Runtime hosts functions locally.
type Runtime struct {
	cfg      Config
	fns      map[string]faas.Function
	names    []string
	http     map[string]http.Handler
	queues   map[string]*queue
	subs     map[string][]string // event type -> functions
	anySubs  []string            // functions consuming every type from the bus
	schedule []scheduled
	wg       sync.WaitGroup
	mux      *http.ServeMux
}

type scheduled struct {
	fn    string
	sched schedule.Schedule
}

// New builds a runtime. Nothing runs until Run.
func New(cfg Config) (*Runtime, error) {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxReceives <= 0 {
		cfg.MaxReceives = 3
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Runtime{cfg: cfg, fns: map[string]faas.Function{}, http: map[string]http.Handler{},
		queues: map[string]*queue{}, subs: map[string][]string{}}
	for _, fn := range cfg.Functions {
		r.fns[fn.Name] = fn
		r.names = append(r.names, fn.Name)
		r.http[fn.Name] = cfg.HTTPHandler(fn)
		h := fn.Handler
		if cfg.Wrap != nil {
			h = cfg.Wrap(fn)
		}
		qcfg := cfg
		for _, tr := range fn.Triggers {
			if tr.Kind == faas.TriggerQueue && tr.MaxReceives > 0 {
				qcfg.MaxReceives = tr.MaxReceives
			}
			if tr.Kind == faas.TriggerQueue && tr.VisibilityTimeoutSeconds > 0 {
				qcfg.VisibilityTimeout = time.Duration(tr.VisibilityTimeoutSeconds) * time.Second
			}
		}
		r.queues[fn.Name] = newQueue(fn.Name, h, &qcfg)
		for _, tr := range fn.Triggers {
			switch tr.Kind {
			case faas.TriggerSchedule:
				s, _ := schedule.Parse(tr.Schedule) // checked by Validate
				r.schedule = append(r.schedule, scheduled{fn: fn.Name, sched: s})
			case faas.TriggerEventBus, faas.TriggerQueue:
				types := tr.EventTypes
				if len(types) == 0 {
					types = fn.Consumes
				}
				if len(types) == 0 {
					r.anySubs = append(r.anySubs, fn.Name)
				}
				for _, t := range types {
					if !slices.Contains(r.subs[t], fn.Name) {
						r.subs[t] = append(r.subs[t], fn.Name)
					}
				}
			}
		}
	}
	sort.Strings(r.names)
	r.mux = r.routes()
	return r, nil
}

var _ bus.Publisher = (*Runtime)(nil)

// Publish is the embedded event bus: each event is stored in the queue of
// every function subscribed to its type before Publish returns. An event no
// function subscribes to is accepted and logged (EventBridge drops events no
// rule matches, too).
func (r *Runtime) Publish(ctx context.Context, events []cloudevents.Event) ([]error, error) {
	results := make([]error, len(events))
	for i, e := range events {
		if err := checkSize(e); err != nil {
			results[i] = err
			continue
		}
		// Two loops rather than one appended list: no copy of the
		// subscribers per event.
		subs := r.subs[e.Type()]
		if len(subs) == 0 && len(r.anySubs) == 0 && r.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
			r.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "runtime: no subscriber for event", slog.String("type", e.Type()), slog.String("id", e.ID()))
		}
		for _, fns := range [2][]string{subs, r.anySubs} {
			for _, fn := range fns {
				if err := r.queues[fn].enqueue(ctx, e); err != nil {
					results[i] = errors.Join(results[i], err)
				}
			}
		}
	}
	return results, nil
}

// MaxEventBytes is the largest event the embedded bus takes, as EventBridge:
// 256 KB, so an event too large for AWS fails locally too.
const MaxEventBytes = 256 * 1024

// checkSize refuses an event over MaxEventBytes in structured JSON, the
// form the bus carries it in. Only an event whose data alone is near the
// limit pays for the encoding.
func checkSize(e cloudevents.Event) error {
	if len(e.Data()) < MaxEventBytes-4096 {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("runtime: encode event %s: %w", e.ID(), err)
	}
	if len(b) > MaxEventBytes {
		return fmt.Errorf("runtime: event %s is %d bytes, over the bus's 256 KB: %w", e.ID(), len(b), bus.ErrEventTooLarge)
	}
	return nil
}

// Enqueue puts an event on one function's queue, as an SQS SendMessage would.
func (r *Runtime) Enqueue(ctx context.Context, function string, e cloudevents.Event) error {
	q, ok := r.queues[function]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownFunction, function)
	}
	return q.enqueue(ctx, e)
}

// DeadLetters lists what a function's queue gave up on.
func (r *Runtime) DeadLetters(ctx context.Context, function string) ([]DeadLetter, error) {
	q, ok := r.queues[function]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFunction, function)
	}
	return q.deadLetters(ctx)
}

// ErrNoDeadLetter is returned for a dead-letter id a function's queue does
// not hold.
var ErrNoDeadLetter = errors.New("runtime: no dead letter")

func (r *Runtime) queue(function string) (*queue, error) {
	q, ok := r.queues[function]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFunction, function)
	}
	return q, nil
}

// DeadLetter returns one of a function's dead letters by its id, or
// ErrNoDeadLetter.
func (r *Runtime) DeadLetter(ctx context.Context, function, id string) (DeadLetter, error) {
	q, err := r.queue(function)
	if err != nil {
		return DeadLetter{}, err
	}
	return q.deadLetterByID(ctx, id)
}

// RetryDeadLetter moves one dead letter back into its function's queue,
// keeping the event's id (so consumers deduplicate) with a fresh receive
// count. A runtime that is not running keeps it queued in the store for the
// next one that runs on the same store.
func (r *Runtime) RetryDeadLetter(ctx context.Context, function, id string) error {
	q, err := r.queue(function)
	if err != nil {
		return err
	}
	dl, err := q.deadLetterByID(ctx, id)
	if err != nil {
		return err
	}
	return q.retryDeadLetter(ctx, dl)
}

// Redrive moves every dead letter of a function back into its queue, as
// RetryDeadLetter does for one, and returns how many moved.
func (r *Runtime) Redrive(ctx context.Context, function string) (int, error) {
	q, err := r.queue(function)
	if err != nil {
		return 0, err
	}
	return q.redrive(ctx)
}

// PurgeDeadLetters deletes a function's dead letters and returns how many.
func (r *Runtime) PurgeDeadLetters(ctx context.Context, function string) (int, error) {
	q, err := r.queue(function)
	if err != nil {
		return 0, err
	}
	return q.purge(ctx)
}

// Stats returns a snapshot of every queue; it fails when the store cannot
// count the dead letters.
func (r *Runtime) Stats(ctx context.Context) ([]QueueStats, error) {
	out := make([]QueueStats, 0, len(r.names))
	for _, n := range r.names {
		st, err := r.queues[n].stats(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Handler serves the runtime's HTTP API.
func (r *Runtime) Handler() http.Handler { return r.mux }

// Run recovers queued events, starts the queue workers and schedules, and
// blocks until ctx ends; then it stops accepting work and waits for the
// deliveries in flight.
func (r *Runtime) Run(ctx context.Context) error {
	for _, n := range r.names {
		count, err := r.queues[n].recover(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting: nothing was delivered yet
			}
			return err
		}
		if count > 0 {
			r.cfg.Logger.Info("runtime: redelivering events left from the last run", "function", n, "count", count)
		}
	}
	for _, n := range r.names {
		r.queues[n].run(ctx, &r.wg)
	}
	for _, s := range r.schedule {
		r.wg.Add(1)
		go r.runSchedule(ctx, s)
	}
	if sw, ok := r.cfg.Store.(Sweeper); ok && r.cfg.SweepInterval > 0 {
		r.wg.Add(1)
		go r.runSweeper(ctx, sw)
	}
	<-ctx.Done()
	for _, q := range r.queues {
		q.close()
	}
	r.wg.Wait()
	return nil
}

func (r *Runtime) runSchedule(ctx context.Context, s scheduled) {
	defer r.wg.Done()
	for {
		now := r.cfg.Clock.Now()
		next := s.sched.Next(now)
		if next.IsZero() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.cfg.Clock.After(next.Sub(now)):
		}
		e := cloudevents.NewEvent()
		id := uuid.NewString()
		e.SetID(id)
		e.SetSource("cogniforge://runtime/schedules/" + s.fn)
		e.SetType(ScheduleFiredType)
		e.SetTime(next.UTC())
		_ = e.SetData(cloudevents.ApplicationJSON, faas.ScheduleFired{ // a plain struct always encodes
			Schedule: s.sched.String(), ScheduledTime: next.UTC(), ExecutionID: id, Attempt: 1,
		})
		r.queues[s.fn].enqueueRetrying(ctx, e, 0)
	}
}

// runSweeper removes expired store items (idempotency records, barriers,
// everything written with ExpiresAt) every SweepInterval, so an embedded
// store does not grow without bound.
func (r *Runtime) runSweeper(ctx context.Context, sw Sweeper) {
	defer r.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.cfg.Clock.After(r.cfg.SweepInterval):
		}
		n, err := sw.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.cfg.Logger.Error("runtime: sweep expired store items", "error", err)
		case n > 0:
			r.cfg.Logger.Info("runtime: swept expired store items", "count", n)
		}
	}
}

// subscriptions are the event types the bus delivers to fn's queue, sorted;
// "*" when it takes every type.
func (r *Runtime) subscriptions(fn string) []string {
	var out []string
	if slices.Contains(r.anySubs, fn) {
		out = append(out, "*")
	}
	for t, fns := range r.subs {
		if slices.Contains(fns, fn) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// functionInfo is one entry of GET /functions.
type functionInfo struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Triggers    []faas.Trigger `json:"triggers"`
	// Consumes are the types the function accepts when invoked (any way:
	// HTTP, queue, task); Subscribes are the types the bus routes to its
	// queue ("*" for every type). A type the function consumes but does not
	// subscribe to reaches it only when sent to it directly.
	Consumes      []string     `json:"consumes,omitempty"`
	Subscribes    []string     `json:"subscribes,omitempty"`
	Routes        []faas.Route `json:"routes,omitempty"`
	TaskEventType string       `json:"taskEventType,omitempty"`
	URL           string       `json:"url"`
}

func (r *Runtime) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "functions": len(r.names)})
	})
	mux.HandleFunc("GET /functions", func(w http.ResponseWriter, _ *http.Request) {
		out := make([]functionInfo, 0, len(r.names))
		for _, n := range r.names {
			fn := r.fns[n]
			tr := fn.Triggers
			if tr == nil {
				tr = []faas.Trigger{}
			}
			out = append(out, functionInfo{Name: n, Description: fn.Description, Triggers: tr, Consumes: fn.Consumes,
				Subscribes: r.subscriptions(n), Routes: fn.Routes, TaskEventType: fn.TaskEventType, URL: "/functions/" + n})
		}
		writeJSON(w, http.StatusOK, map[string]any{"functions": out})
	})
	mux.HandleFunc("GET /queues", func(w http.ResponseWriter, req *http.Request) {
		st, err := r.Stats(req.Context())
		if err != nil {
			problem(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"queues": st})
	})
	mux.HandleFunc("GET /functions/{name}/dead-letters", func(w http.ResponseWriter, req *http.Request) {
		dls, err := r.DeadLetters(req.Context(), req.PathValue("name"))
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrUnknownFunction) {
				status = http.StatusNotFound
			}
			problem(w, status, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deadLetters": dls})
	})
	mux.HandleFunc("POST /functions/{name}/dead-letters/redrive", func(w http.ResponseWriter, req *http.Request) {
		q, ok := r.queues[req.PathValue("name")]
		if !ok {
			problem(w, http.StatusNotFound, "no function "+req.PathValue("name"))
			return
		}
		n, err := q.redrive(req.Context())
		if err != nil {
			problem(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"redriven": n})
	})
	dlError := func(w http.ResponseWriter, err error) {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrUnknownFunction) || errors.Is(err, ErrNoDeadLetter) {
			status = http.StatusNotFound
		}
		problem(w, status, err.Error())
	}
	mux.HandleFunc("GET /functions/{name}/dead-letters/{id}", func(w http.ResponseWriter, req *http.Request) {
		dl, err := r.DeadLetter(req.Context(), req.PathValue("name"), req.PathValue("id"))
		if err != nil {
			dlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, dl)
	})
	mux.HandleFunc("POST /functions/{name}/dead-letters/{id}/retry", func(w http.ResponseWriter, req *http.Request) {
		if err := r.RetryDeadLetter(req.Context(), req.PathValue("name"), req.PathValue("id")); err != nil {
			dlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"retried": req.PathValue("id")})
	})
	mux.HandleFunc("DELETE /functions/{name}/dead-letters", func(w http.ResponseWriter, req *http.Request) {
		n, err := r.PurgeDeadLetters(req.Context(), req.PathValue("name"))
		if err != nil {
			dlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"purged": n})
	})
	mux.HandleFunc("POST /functions/{name}/queue", func(w http.ResponseWriter, req *http.Request) {
		// SendMessage: accept the event now, deliver it asynchronously.
		name := req.PathValue("name")
		if _, ok := r.queues[name]; !ok {
			problem(w, http.StatusNotFound, "no function "+name)
			return
		}
		e, err := decodeEvent(w, req)
		if err != nil {
			problem(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := r.Enqueue(req.Context(), name, *e); err != nil {
			problem(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"queued": e.ID()})
	})
	fnHandler := func(w http.ResponseWriter, req *http.Request) {
		name := req.PathValue("name")
		if fn, qualifier, ok := strings.Cut(name, ":"); ok && r.cfg.Route != nil {
			r.serveQualified(w, req, name, fn, qualifier)
			return
		}
		h, ok := r.http[name]
		if !ok {
			problem(w, http.StatusNotFound, fmt.Sprintf("no function %q; GET /functions lists them", name))
			return
		}
		// The function sees its own URL space, as behind a function URL.
		// A shallow copy with its own URL, as http.StripPrefix makes: the
		// function must not see the runtime's path, and a deep Clone would
		// copy every header of every request for nothing.
		req2 := new(http.Request)
		*req2 = *req
		u := *req.URL
		u.Path = strings.TrimPrefix(req.URL.Path, "/functions/"+name)
		if u.Path == "" {
			u.Path = "/"
		}
		u.RawPath = ""
		req2.URL = &u
		h.ServeHTTP(w, req2)
	}
	mux.HandleFunc("/functions/{name}", fnHandler)
	mux.HandleFunc("/functions/{name}/{rest...}", fnHandler)
	if r.cfg.Extra != nil {
		// AWS JSON protocols (the Step Functions API) POST to "/" exactly.
		mux.Handle("POST /{$}", r.cfg.Extra)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		problem(w, http.StatusNotFound, fmt.Sprintf("no route %s %s; GET /functions lists the functions", req.Method, req.URL.Path))
	})
	return mux
}

// serveQualified serves one invocation of a function's alias or version:
// the version Route picks serves it, and its outcome is published as a
// request.completed event with that version.
func (r *Runtime) serveQualified(w http.ResponseWriter, req *http.Request, name, fn, qualifier string) {
	h, ok := r.http[fn]
	if !ok {
		problem(w, http.StatusNotFound, fmt.Sprintf("no function %q; GET /functions lists them", fn))
		return
	}
	version, err := r.cfg.Route(req.Context(), fn, qualifier)
	if err != nil {
		problem(w, http.StatusNotFound, fmt.Sprintf("%s: %v", name, err))
		return
	}
	req2 := new(http.Request)
	*req2 = *req
	u := *req.URL
	u.Path = strings.TrimPrefix(req.URL.Path, "/functions/"+name)
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	req2.URL = &u
	w.Header().Set("X-Cogniforge-Function-Version", version)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	h.ServeHTTP(rec, req2)
	d := events.RequestCompleted{Service: fn, Operation: "invoke", Status: events.StatusOK, HTTPStatus: rec.status,
		DurationMs: float64(time.Since(start).Microseconds()) / 1000, Version: version,
		Timestamp: r.cfg.Clock.Now().UTC().Format(time.RFC3339Nano)}
	if rec.status >= 500 {
		d.Status, d.ErrorType = events.StatusError, http.StatusText(rec.status)
	}
	ev, err := events.New(req.Context(), events.TypeRequestCompleted, "cogniforge/local-runtime", d, events.Time(r.cfg.Clock.Now()))
	if err == nil {
		var errs []error
		errs, err = r.Publish(context.WithoutCancel(req.Context()), []cloudevents.Event{ev})
		err = errors.Join(append(errs, err)...)
	}
	if err != nil {
		r.cfg.Logger.Warn("runtime: request.completed of a versioned invocation not published", "function", fn, "version", version, "error", err)
	}
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// maxQueuedEvent bounds the body of an enqueued event (SQS's own limit is
// 256 KiB; local tests may send more).
const maxQueuedEvent = 1 << 20

// decodeEvent reads a structured or binary CloudEvent from a request, with
// faas's decoder. A body without ce-specversion is taken as a structured
// event whatever its content type, so `curl -d @event.json` enqueues.
func decodeEvent(w http.ResponseWriter, req *http.Request) (*cloudevents.Event, error) {
	if req.Header.Get("Ce-Specversion") == "" {
		req.Header.Set("Content-Type", cehttp.ContentTypeStructured)
	}
	req.Body = http.MaxBytesReader(w, req.Body, maxQueuedEvent)
	return cehttp.DecodeEvent(req)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}
