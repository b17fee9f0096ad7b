// Package apicalls tallies who calls which operation of an API: one
// counter per API, hour, operation ("METHOD /template") and caller, in the
// store, expiring after the impact window. The governance auditor reads
// the tally to name the callers a breaking change would break; it is fed
// by request.completed events (pkg/apigov) and, for the functions' own
// HTTP APIs, by the Middleware every function URL runs. The Middleware
// batches: counts add up in memory and the first request after each
// FlushInterval writes them, store.MaxTransactOps counters per
// transaction, so a busy instance writes about once a minute; an instance
// that stops loses at most its last interval. Safe for concurrent use.
package apicalls

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// PartitionPrefix starts the partition of each API's tally.
const PartitionPrefix = "apigov#calls#"

// HourLayout formats an hour bucket in the sort key.
const HourLayout = "2006-01-02T15"

// KeepDays is how long counters are kept past their hour: the auditor's
// default impact window and a day.
const KeepDays = 31

// Key is the counter of service's operation called by caller in hour.
func Key(service, operation, caller string, hour time.Time) store.Key {
	return store.Key{Partition: PartitionPrefix + service,
		Sort: hour.UTC().Truncate(time.Hour).Format(HourLayout) + "|" + url.QueryEscape(operation) + "|" + url.QueryEscape(caller)}
}

// Expiry is when the counter of hour expires, keepDays after it.
func Expiry(hour time.Time, keepDays int) time.Time {
	return hour.UTC().Truncate(time.Hour).Add(time.Duration(keepDays+1) * 24 * time.Hour)
}

// Defaults of Config.
const (
	DefaultFlushInterval = time.Minute
	// MaxPending bounds the distinct counters held between flushes; past
	// it, new callers are added up as OverflowCaller.
	MaxPending = 10000
)

// OverflowCaller is the caller new callers are added up under once
// MaxPending counters are pending.
const OverflowCaller = "other"

// Config configures a Tally for one function.
type Config struct {
	Store    store.Store         // required
	Catalog  *apicatalog.Catalog // required: which API a path belongs to
	Function string              // required
	Routes   []faas.Route        // the function's routes: their patterns name operations
	Now      func() time.Time    // nil: time.Now
	Logger   *slog.Logger        // nil: discard
	Every    time.Duration       // FlushInterval; 0: DefaultFlushInterval
}

type counter struct {
	service, operation, caller string
	hour                       int64
}

// Tally counts one function's API calls.
type Tally struct {
	cfg Config
	mux *http.ServeMux

	mu        sync.Mutex
	pending   map[counter]int64
	lastFlush time.Time
	flushMu   sync.Mutex
}

// New returns the tally of cfg.Function, or nil when the function serves no
// API version in the catalog (nothing to count).
func New(cfg Config) (*Tally, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("apicalls: Store is required"))
	}
	if cfg.Catalog == nil {
		errs = append(errs, errors.New("apicalls: Catalog is required"))
	}
	if cfg.Function == "" {
		errs = append(errs, errors.New("apicalls: Function is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(cfg.Catalog.ForFunction(cfg.Function)) == 0 {
		return nil, nil
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultFlushInterval
	}
	t := &Tally{cfg: cfg, mux: http.NewServeMux(), pending: map[counter]int64{}, lastFlush: cfg.Now()}
	for _, r := range cfg.Routes {
		p := faas.RoutePattern(r)
		t.mux.Handle(p, http.NotFoundHandler())
	}
	return t, nil
}

// Operation is r's operation: its route's pattern ("GET /orders/{id}"), or
// "POST /" for the CloudEvents path; "" for anything else.
func (t *Tally) Operation(r *http.Request) string {
	if _, p := t.mux.Handler(r); p != "" {
		return p
	}
	if r.URL.Path == "/" && r.Method == http.MethodPost {
		return "POST /"
	}
	return ""
}

// Middleware counts each request to one of the function's API versions,
// by the caller apiclient identified, after it is served.
func (t *Tally) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		t.Record(r)
	})
}

// Record counts r.
func (t *Tally) Record(r *http.Request) {
	op := t.Operation(r)
	if op == "" {
		return
	}
	e, ok := t.cfg.Catalog.Match(t.cfg.Function, r.URL.Path)
	if !ok {
		return
	}
	caller := ""
	if c, ok := apiclient.FromContext(r.Context()); ok {
		caller = c.ID
	}
	now := t.cfg.Now()
	k := counter{service: e.Name, operation: op, caller: caller, hour: now.Unix() / 3600}
	t.mu.Lock()
	if _, seen := t.pending[k]; !seen && len(t.pending) >= MaxPending {
		k.caller = OverflowCaller
	}
	t.pending[k]++
	flush := now.Sub(t.lastFlush) >= t.cfg.Every
	t.mu.Unlock()
	// One request flushes; the others do not wait for it.
	if flush && t.flushMu.TryLock() {
		defer t.flushMu.Unlock()
		if err := t.flush(context.WithoutCancel(r.Context()), now); err != nil {
			t.cfg.Logger.Warn("apicalls: tally not written; kept for the next flush", "function", t.cfg.Function, "error", err.Error())
		}
	}
}

// Flush writes every count held in memory.
func (t *Tally) Flush(ctx context.Context) error {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	return t.flush(ctx, t.cfg.Now())
}

func (t *Tally) flush(ctx context.Context, now time.Time) error {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[counter]int64{}
	t.lastFlush = now
	t.mu.Unlock()
	ops := make([]store.Op, 0, min(len(batch), store.MaxTransactOps))
	var errs []error
	var failed []store.Op
	send := func() {
		if len(ops) == 0 {
			return
		}
		if err := t.cfg.Store.Transact(ctx, ops); err != nil {
			errs = append(errs, err)
			failed = append(failed, ops...)
		}
		ops = ops[:0]
	}
	back := map[store.Key]counter{}
	for k, n := range batch {
		hour := time.Unix(k.hour*3600, 0)
		key := Key(k.service, k.operation, k.caller, hour)
		back[key] = k
		ops = append(ops, store.Op{Kind: store.OpAdd, Delta: n, Item: store.Item{Key: key, ExpiresAt: Expiry(hour, KeepDays)}})
		if len(ops) == store.MaxTransactOps {
			send()
		}
	}
	send()
	if len(failed) > 0 { // keep them for the next flush
		t.mu.Lock()
		for _, op := range failed {
			t.pending[back[op.Item.Key]] += op.Delta
		}
		t.mu.Unlock()
	}
	return errors.Join(errs...)
}
