package config

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// DefaultTTL is how long a Loader serves a value before it reads the store
// again, when LoaderConfig.TTL is zero: short enough that a change lands
// within a minute without a redeploy, long enough that a busy function
// reads SSM about once a minute per instance.
const DefaultTTL = time.Minute

// LoaderConfig tunes a Loader. The zero LoaderConfig is ready to use.
type LoaderConfig struct {
	// TTL is how long a read is served from the cache; zero means
	// DefaultTTL.
	TTL time.Duration
	// Clock judges the TTL; nil means the real clock. Tests pass a
	// clock.Fake and advance it.
	Clock clock.Clock
	// OnError, when set, hears every failed refresh, including one whose
	// new version was refused while the last good value kept serving.
	OnError func(error)
}

// snapshot is what Get serves until expires: the last good value, or, when
// there never was one, the error of the last read.
type snapshot[T any] struct {
	value   T
	expires time.Time
	good    bool
	err     error
}

// errorTTL bounds how long a read that found no good value is remembered:
// a cold function keeps failing fast without hammering the store, and a
// fixed value is picked up within a second even with a long TTL.
const errorTTL = time.Second

// Loader is a function's typed, cached view of its own parameters
// (/cogniforge/<env>/<function>/...). It is safe for concurrent use; a
// cached read takes no lock, and at most one goroutine refreshes at a time,
// so each instance reads the store at most once per TTL.
type Loader[T any] struct {
	ps      ParameterStore
	base    string
	schema  *Schema[T]
	ttl     time.Duration
	clk     clock.Clock
	onError func(error)

	snap    atomic.Pointer[snapshot[T]]
	mu      sync.Mutex // serialises refreshes
	lastErr atomic.Pointer[error]
}

// NewLoader returns a Loader of function's parameters in env, typed into T
// (see Schema) and checked by validate (nil for none). It reads nothing
// until the first Get.
func NewLoader[T any](ps ParameterStore, env, function string, validate func(T) error, cfg LoaderConfig) (*Loader[T], error) {
	base, err := FunctionPath(env, function)
	if err != nil {
		return nil, err
	}
	schema, err := NewSchema(validate)
	if err != nil {
		return nil, err
	}
	if ps == nil {
		return nil, fmt.Errorf("config: NewLoader: nil ParameterStore")
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("config: NewLoader: TTL %v is negative", cfg.TTL)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	return &Loader[T]{ps: ps, base: base, schema: schema, ttl: cfg.TTL, clk: cfg.Clock, onError: cfg.OnError}, nil
}

// Load reads function's parameters in env once, without a cache, and
// returns them typed and validated.
func Load[T any](ctx context.Context, ps ParameterStore, env, function string, validate func(T) error) (T, error) {
	l, err := NewLoader(ps, env, function, validate, LoaderConfig{})
	if err != nil {
		var zero T
		return zero, err
	}
	return l.fetch(ctx)
}

// Get returns the configuration. Within the TTL it is the cached value.
// After it, Get reads the store again; if the new values fail their type or
// validation (or the store fails), Get keeps returning the last good value
// with a nil error, reports the failure through Err and OnError, and tries
// again one TTL later. Only when there has never been a good value does Get
// return the error; it is remembered for min(TTL, 1s), so a function that
// cannot start does not read the store on every call.
func (l *Loader[T]) Get(ctx context.Context) (T, error) {
	if s := l.snap.Load(); s != nil && l.clk.Now().Before(s.expires) {
		return s.value, s.err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clk.Now()
	old := l.snap.Load()
	if old != nil && now.Before(old.expires) {
		// Another goroutine refreshed while this one waited.
		return old.value, old.err
	}
	v, err := l.fetch(ctx)
	if err == nil {
		l.snap.Store(&snapshot[T]{value: v, expires: now.Add(l.ttl), good: true})
		l.lastErr.Store(nil)
		return v, nil
	}
	l.lastErr.Store(&err)
	if l.onError != nil {
		l.onError(err)
	}
	if old != nil && old.good {
		l.snap.Store(&snapshot[T]{value: old.value, expires: now.Add(l.ttl), good: true})
		return old.value, nil
	}
	var zero T
	l.snap.Store(&snapshot[T]{expires: now.Add(min(l.ttl, errorTTL)), err: err})
	return zero, err
}

// Err returns the error of the last refresh, nil when it succeeded: how a
// function learns that a bad version is waiting while it keeps serving the
// last good value.
func (l *Loader[T]) Err() error {
	if p := l.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Invalidate makes the next Get read the store, keeping the cached value as
// the last good one.
func (l *Loader[T]) Invalidate() {
	if s := l.snap.Load(); s != nil {
		l.snap.Store(&snapshot[T]{value: s.value, good: s.good, err: s.err})
	}
}

func (l *Loader[T]) fetch(ctx context.Context) (T, error) {
	values, err := readValues(ctx, l.ps, l.base)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := l.schema.Decode(values)
	if err != nil {
		return v, fmt.Errorf("config %s: %w", l.base, err)
	}
	return v, nil
}

// readValues returns the latest value of every key under base (which ends
// in "/"), keyed by the name relative to base.
func readValues(ctx context.Context, ps ParameterStore, base string) (map[string]string, error) {
	params, err := ps.GetByPath(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", base, err)
	}
	values := make(map[string]string, len(params))
	for _, p := range params {
		if !strings.HasPrefix(p.Name, base) {
			// A store returning a path outside the function's is a bug;
			// never let it leak into the function.
			return nil, fmt.Errorf("%w: store returned %q for %s", ErrOutOfScope, p.Name, base)
		}
		values[p.Name[len(base):]] = p.Value
	}
	return values, nil
}
