// Package apilifecycle announces and enforces the lifecycle of HTTP API
// versions (api/catalog.yaml, read through pkg/apicatalog) on a function's
// HTTP handler:
//
//   - a request to a deprecated (or sunset) version is served, and its
//     response carries Deprecation (RFC 9745: a Structured Field date,
//     "@<unix seconds>"), Sunset (RFC 8594: an HTTP-date) when a sunset
//     date is set, and Link headers to the migration guide with
//     rel="deprecation" and rel="sunset";
//   - a request to a retired version, or to a deprecated one whose sunset
//     date has passed (apicatalog.Entry.StateAt), is answered 410 Gone with
//     an application/problem+json body naming the version, its sunset and
//     the migration guide, without calling the handler;
//   - a request to an active version, or to a path no version of the
//     function's API claims, passes untouched.
//
// Calls to deprecated, sunset and retired versions are counted per client
// (apiclient.FromContext; "unknown" without the identity middleware) and
// per UTC day in the store, so that owners know whom to chase. Counting is
// batched: the first call of a client to a version on a day is written at
// once (so a client is never missed when an instance dies), later ones are
// added up in memory and written, as one transaction of counter Adds per
// 100 clients, by the first request after FlushInterval. The cost is
// therefore at most one store write per new (client, version, day) and one
// transaction per FlushInterval per instance, whatever the request rate; an
// instance that dies loses at most the counts of its last interval.
//
// A Lifecycle is safe for concurrent use. Its catalog is immutable.
package apilifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// ErrNameRetired is the errorType of the 410 problem.
const ErrNameRetired = "API.Retired"

// ProblemType is the type of the 410 problem.
const ProblemType = "urn:cogniforge:error:" + ErrNameRetired

// UnknownClient counts calls whose request carries no apiclient.Client.
const UnknownClient = "unknown"

// Defaults of Config.
const (
	DefaultFlushInterval = time.Minute
	DefaultRetention     = 90 * 24 * time.Hour
	// maxPending bounds the (client, version, day) counts held in memory
	// between flushes; beyond it a request writes its count through.
	maxPending = 10_000
)

var (
	embeddedOnce sync.Once
	embedded     *apicatalog.Catalog
	embeddedErr  error
)

// Embedded is the catalog built into the binary (api.Files). Only the
// catalog file is read: the specs are the CLI's and the auditor's, and a
// function must start even while a spec is being written.
func Embedded() (*apicatalog.Catalog, error) {
	embeddedOnce.Do(func() {
		b, err := fs.ReadFile(api.Files, api.CatalogFile)
		if err != nil {
			embeddedErr = fmt.Errorf("apilifecycle: %w", err)
			return
		}
		embedded, embeddedErr = apicatalog.Parse(b)
	})
	return embedded, embeddedErr
}

// Config configures a Lifecycle.
type Config struct {
	// Catalog lists the API versions (required; Embedded() is the built-in one).
	Catalog *apicatalog.Catalog
	// Function is the function whose versions are enforced (required).
	Function string
	// Store counts calls to deprecated and retired versions; nil counts
	// nothing.
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FlushInterval is how long counts wait in memory before they are
	// written; zero means DefaultFlushInterval.
	FlushInterval time.Duration
	// Retention is how long a day's counters live in the store (their
	// expiry); zero means DefaultRetention.
	Retention time.Duration
	// Logger reports counts that could not be written; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Validate reports every missing or bad field.
func (c Config) Validate() error {
	var errs []error
	if c.Catalog == nil {
		errs = append(errs, errors.New("apilifecycle: Catalog is required"))
	}
	if c.Function == "" {
		errs = append(errs, errors.New("apilifecycle: Function is required"))
	}
	if c.FlushInterval < 0 {
		errs = append(errs, fmt.Errorf("apilifecycle: FlushInterval %s is negative", c.FlushInterval))
	}
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("apilifecycle: Retention %s is negative", c.Retention))
	}
	return errors.Join(errs...)
}

// version is one catalog entry with its headers and 410 body rendered once.
type version struct {
	entry apicatalog.Entry
	id    string // entry.ID()
	// The header values, as slices set into the response's Header map
	// (capacity = length, so a later Add copies instead of writing here).
	deprecation []string // "@<unix>"
	sunset      []string // HTTP-date; nil without a sunset date
	links       []string
	gone        []byte // the 410 problem body
}

// headers are the response header values of a problem.
var problemContentType = []string{"application/problem+json"}

// Lifecycle is the middleware of one function.
type Lifecycle struct {
	versions []*version // the function's, in catalog order
	active   bool       // every version is active: nothing to do, ever
	st       store.Store
	now      func() time.Time
	every    time.Duration
	keep     time.Duration
	log      *slog.Logger

	mu        sync.Mutex
	pending   map[countKey]int64
	seen      map[countKey]bool // written through today (pruned each day)
	seenDay   string            // the UTC day of dayNum, 2006-01-02
	dayNum    int64             // Unix days
	lastFlush time.Time
	flushing  bool
}

type countKey struct {
	id     string // name/version
	day    string // 2006-01-02
	client string
}

// New builds the Lifecycle of cfg.Function.
func New(cfg Config) (*Lifecycle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Lifecycle{st: cfg.Store, now: cfg.Now, every: cfg.FlushInterval, keep: cfg.Retention, log: cfg.Logger,
		pending: map[countKey]int64{}, seen: map[countKey]bool{}, active: true}
	if l.now == nil {
		l.now = time.Now
	}
	if l.every == 0 {
		l.every = DefaultFlushInterval
	}
	if l.keep == 0 {
		l.keep = DefaultRetention
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.lastFlush = l.now()
	for _, e := range cfg.Catalog.ForFunction(cfg.Function) {
		v := &version{entry: e, id: e.ID()}
		if e.State != apicatalog.Active {
			l.active = false
		}
		if !e.Deprecated.IsZero() {
			v.deprecation = []string{"@" + strconv.FormatInt(e.Deprecated.Unix(), 10)}
		}
		if !e.Sunset.IsZero() {
			v.sunset = []string{e.Sunset.UTC().Format(http.TimeFormat)}
		}
		if e.Migration != "" {
			v.links = append(v.links, "<"+e.Migration+`>; rel="deprecation"`)
			if v.sunset != nil {
				v.links = append(v.links, "<"+e.Migration+`>; rel="sunset"`)
			}
			v.links = v.links[:len(v.links):len(v.links)]
		}
		v.gone, _ = json.Marshal(goneProblem(e)) // strings and an int: cannot fail
		l.versions = append(l.versions, v)
	}
	return l, nil
}

// Problem is the 410 body (RFC 9457) of a retired version.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	ErrorType string `json:"errorType"`
	API       string `json:"api"`
	Version   string `json:"version"`
	Sunset    string `json:"sunset"`
	Migration string `json:"migration"`
}

func goneProblem(e apicatalog.Entry) Problem {
	sunset := ""
	detail := fmt.Sprintf("%s %s is retired", e.Name, e.Version)
	if !e.Sunset.IsZero() {
		sunset = e.Sunset.UTC().Format(time.RFC3339)
		detail += " since " + e.Sunset.UTC().Format(time.DateOnly)
	}
	if e.Migration != "" {
		detail += "; see " + e.Migration
	}
	return Problem{Type: ProblemType, Title: http.StatusText(http.StatusGone), Status: http.StatusGone, Detail: detail,
		ErrorType: ErrNameRetired, API: e.Name, Version: e.Version, Sunset: sunset, Migration: e.Migration}
}

// Active reports whether every version of the function is active: the
// middleware then never does anything (Middleware returns next itself).
func (l *Lifecycle) Active() bool { return l.active }

// match is apicatalog.Catalog.Match over the function's versions only.
func (l *Lifecycle) match(urlPath string) *version {
	var best *version
	for _, v := range l.versions {
		p := v.entry.Prefix
		if p != "" && (!strings.HasPrefix(urlPath, p) || (len(urlPath) > len(p) && urlPath[len(p)] != '/')) {
			continue
		}
		if best == nil || len(p) > len(best.entry.Prefix) {
			best = v
		}
	}
	return best
}

// Middleware wraps next (see the package doc).
func (l *Lifecycle) Middleware(next http.Handler) http.Handler {
	if l.active {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := l.match(r.URL.Path)
		if v == nil || v.entry.State == apicatalog.Active {
			next.ServeHTTP(w, r)
			return
		}
		now := l.now()
		h := w.Header()
		if v.entry.StateAt(now) == apicatalog.Retired {
			if v.sunset != nil {
				h["Sunset"] = v.sunset
			}
			addLinks(h, v.links)
			h["Content-Type"] = problemContentType
			w.WriteHeader(http.StatusGone)
			_, _ = w.Write(v.gone)
			l.count(r, v, now)
			return
		}
		if v.deprecation != nil {
			h["Deprecation"] = v.deprecation
		}
		if v.sunset != nil {
			h["Sunset"] = v.sunset
		}
		addLinks(h, v.links)
		next.ServeHTTP(w, r)
		// Counted after serving: a flush delays no response's first byte.
		l.count(r, v, now)
	})
}

// addLinks adds links to h's Link values (shared when there are none).
func addLinks(h http.Header, links []string) {
	if len(links) == 0 {
		return
	}
	if old := h["Link"]; len(old) > 0 {
		h["Link"] = append(old[:len(old):len(old)], links...)
		return
	}
	h["Link"] = links
}

// count records one call to v.
func (l *Lifecycle) count(r *http.Request, v *version, now time.Time) {
	if l.st == nil {
		return
	}
	client := UnknownClient
	if c, ok := apiclient.FromContext(r.Context()); ok && c.ID != "" {
		client = c.ID
	}
	dayNum := now.Unix() / 86400
	l.mu.Lock()
	if l.dayNum != dayNum || l.seenDay == "" {
		l.seen, l.dayNum, l.seenDay = map[countKey]bool{}, dayNum, now.UTC().Format(time.DateOnly)
	}
	k := countKey{id: v.id, day: l.seenDay, client: client}
	first := !l.seen[k]
	if first {
		l.seen[k] = true
	}
	through := first || len(l.pending) >= maxPending
	if !through {
		l.pending[k]++
	}
	flush := !l.flushing && len(l.pending) > 0 && now.Sub(l.lastFlush) >= l.every
	if flush {
		l.flushing = true
	}
	l.mu.Unlock()
	if !through && !flush {
		return
	}
	ctx := context.WithoutCancel(r.Context()) // the client may be gone; its count stays
	if through {
		if err := l.write(ctx, map[countKey]int64{k: 1}); err != nil {
			l.log.WarnContext(ctx, "apilifecycle: count not written", "api", k.id, "client", client, "error", err)
		}
	}
	if flush {
		if err := l.flush(ctx, now); err != nil {
			l.log.WarnContext(ctx, "apilifecycle: counts not written; kept for the next flush", "error", err)
		}
	}
}

// Flush writes every count held in memory (a function shutting down, a
// test).
func (l *Lifecycle) Flush(ctx context.Context) error {
	l.mu.Lock()
	if l.flushing {
		l.mu.Unlock()
		return nil
	}
	l.flushing = true
	l.mu.Unlock()
	return l.flush(ctx, l.now())
}

func (l *Lifecycle) flush(ctx context.Context, now time.Time) error {
	l.mu.Lock()
	batch := l.pending
	l.pending = map[countKey]int64{}
	l.mu.Unlock()
	err := l.write(ctx, batch)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushing = false
	l.lastFlush = now
	if err != nil { // keep them for the next flush
		for k, n := range batch {
			l.pending[k] += n
		}
	}
	return err
}

// write adds counts, store.MaxTransactOps counters per transaction.
func (l *Lifecycle) write(ctx context.Context, counts map[countKey]int64) error {
	ops := make([]store.Op, 0, min(len(counts), store.MaxTransactOps))
	var errs []error
	send := func() {
		if len(ops) > 0 {
			if err := l.st.Transact(ctx, ops); err != nil {
				errs = append(errs, err)
			}
			ops = ops[:0]
		}
	}
	for k, n := range counts {
		day, _ := time.Parse(time.DateOnly, k.day)
		ops = append(ops, store.Op{Kind: store.OpAdd, Delta: n, Item: store.Item{
			Key: counterKey(k), ExpiresAt: day.Add(24*time.Hour + l.keep)}})
		if len(ops) == store.MaxTransactOps {
			send()
		}
	}
	send()
	return errors.Join(errs...)
}

// Where calls are counted: one partition per API version, one counter per
// day and client, sorted by day so that the last N days are one query
// starting after the first day's predecessor.
const partitionPrefix = "apilifecycle#calls#"

func counterKey(k countKey) store.Key {
	return store.Key{Partition: partitionPrefix + k.id, Sort: k.day + "#" + k.client}
}

// Calls is how often one client called one version in a period.
type Calls struct {
	Client string `json:"client"`
	Calls  int64  `json:"calls"`
	// Last is the last day (UTC, 2006-01-02) the client called.
	Last string `json:"last"`
}

// CallsSince returns the calls counted for the version id ("name/version")
// on the UTC days from since's to now, per client, most calls first.
func CallsSince(ctx context.Context, st store.Store, id string, since time.Time) ([]Calls, error) {
	// Every sort key of a day d starts "d#", after "d" and after every
	// key of an earlier day: the query seeks past the older days.
	start := since.UTC().Format(time.DateOnly)
	items, err := store.QueryAfter(ctx, st, partitionPrefix+id, "", start, 0)
	if err != nil {
		return nil, fmt.Errorf("apilifecycle: read counts of %s: %w", id, err)
	}
	by := map[string]*Calls{}
	for _, it := range items {
		day, client, ok := strings.Cut(it.Key.Sort, "#")
		if !ok || day < start {
			continue
		}
		n, err := strconv.ParseInt(string(it.Value), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("apilifecycle: counter %s/%s: %w", it.Key.Partition, it.Key.Sort, err)
		}
		c := by[client]
		if c == nil {
			c = &Calls{Client: client}
			by[client] = c
		}
		c.Calls += n
		if day > c.Last {
			c.Last = day
		}
	}
	out := make([]Calls, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Client < out[j].Client
	})
	return out, nil
}
