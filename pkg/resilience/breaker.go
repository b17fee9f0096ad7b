package resilience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// BreakerSettings tune a circuit breaker. Zero fields take the defaults
// documented on each.
type BreakerSettings struct {
	// FailureThreshold consecutive failures, counted across every
	// instance, open the breaker. Zero means 5.
	FailureThreshold int `json:"failureThreshold,omitempty" yaml:"failureThreshold,omitempty"`
	// FailureRate, in (0, 1], opens the breaker when at least MinCalls
	// calls were made in the last Window and this share of them failed.
	// Zero means 0.5.
	FailureRate float64 `json:"failureRate,omitempty" yaml:"failureRate,omitempty"`
	// MinCalls is how many calls the Window must hold before FailureRate
	// is judged. Zero means 20.
	MinCalls int `json:"minCalls,omitempty" yaml:"minCalls,omitempty"`
	// Window is the rolling window of FailureRate, kept in ten buckets.
	// Zero means 60s.
	Window time.Duration `json:"window,omitempty" yaml:"window,omitempty"`
	// OpenTimeout is how long the breaker stays open before it lets
	// probes through (half-open). Zero means 30s.
	OpenTimeout time.Duration `json:"openTimeout,omitempty" yaml:"openTimeout,omitempty"`
	// HalfOpenProbes is how many calls, across every instance, may be in
	// flight while half-open; the rest are refused. Zero means 1.
	HalfOpenProbes int `json:"halfOpenProbes,omitempty" yaml:"halfOpenProbes,omitempty"`
	// SuccessThreshold successful probes close the breaker. Zero means 2.
	SuccessThreshold int `json:"successThreshold,omitempty" yaml:"successThreshold,omitempty"`
	// CacheTTL is how long an instance trusts its copy of the shared state:
	// calls read the copy, and the store is read (and this instance's
	// counts written) at most once per CacheTTL, besides the writes of
	// state changes. Other instances see a change within CacheTTL. Zero
	// means 1s.
	CacheTTL time.Duration `json:"cacheTTL,omitempty" yaml:"cacheTTL,omitempty"`
}

// Defaults of BreakerSettings.
const (
	DefaultFailureThreshold = 5
	DefaultFailureRate      = 0.5
	DefaultMinCalls         = 20
	DefaultWindow           = 60 * time.Second
	DefaultOpenTimeout      = 30 * time.Second
	DefaultHalfOpenProbes   = 1
	DefaultSuccessThreshold = 2
	DefaultCacheTTL         = time.Second
)

const windowBuckets = 10

func (s BreakerSettings) withDefaults() BreakerSettings {
	if s.FailureThreshold == 0 {
		s.FailureThreshold = DefaultFailureThreshold
	}
	if s.FailureRate == 0 {
		s.FailureRate = DefaultFailureRate
	}
	if s.MinCalls == 0 {
		s.MinCalls = DefaultMinCalls
	}
	if s.Window == 0 {
		s.Window = DefaultWindow
	}
	if s.OpenTimeout == 0 {
		s.OpenTimeout = DefaultOpenTimeout
	}
	if s.HalfOpenProbes == 0 {
		s.HalfOpenProbes = DefaultHalfOpenProbes
	}
	if s.SuccessThreshold == 0 {
		s.SuccessThreshold = DefaultSuccessThreshold
	}
	if s.CacheTTL == 0 {
		s.CacheTTL = DefaultCacheTTL
	}
	return s
}

// Validate names every field out of range.
func (s BreakerSettings) Validate() error {
	var errs []error
	neg := func(field string, v int) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: %d is negative", field, v))
		}
	}
	negD := func(field string, v time.Duration) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative", field, v))
		}
	}
	neg("failureThreshold", s.FailureThreshold)
	neg("minCalls", s.MinCalls)
	neg("halfOpenProbes", s.HalfOpenProbes)
	neg("successThreshold", s.SuccessThreshold)
	negD("window", s.Window)
	negD("openTimeout", s.OpenTimeout)
	negD("cacheTTL", s.CacheTTL)
	if s.FailureRate < 0 || s.FailureRate > 1 || math.IsNaN(s.FailureRate) {
		errs = append(errs, fmt.Errorf("failureRate: %v is outside (0, 1]", s.FailureRate))
	}
	if s.Window > 0 && s.Window < windowBuckets*time.Millisecond {
		errs = append(errs, fmt.Errorf("window: %s is under %s", s.Window, windowBuckets*time.Millisecond))
	}
	return errors.Join(errs...)
}

// ForceMode overrides a breaker's own judgement (Admin.Force).
type ForceMode string

// The force modes.
const (
	// ForceNone lets the breaker judge for itself.
	ForceNone ForceMode = ""
	// ForceOpen refuses every call, as an open breaker does (chaos
	// experiments, a dependency under maintenance).
	ForceOpen ForceMode = "open"
	// ForceClosed lets every call through and never opens.
	ForceClosed ForceMode = "closed"
)

// bucket counts the calls of one tenth of the window.
type bucket struct {
	Slot     int64 `json:"slot"`
	Calls    int   `json:"calls"`
	Failures int   `json:"failures"`
}

// shared is the breaker's state as stored: one item per breaker, written
// with conditional puts only.
type shared struct {
	State State `json:"state"`
	// Generation grows with every change of State, so counts recorded
	// under an earlier state are not merged into a later one.
	Generation          int64     `json:"generation"`
	ConsecutiveFailures int       `json:"consecutiveFailures"`
	Buckets             []bucket  `json:"buckets,omitempty"`
	OpenedAt            time.Time `json:"openedAt,omitzero"`
	ChangedAt           time.Time `json:"changedAt,omitzero"`
	Reason              string    `json:"reason,omitempty"`
	ProbesInFlight      int       `json:"probesInFlight,omitempty"`
	ProbeSuccesses      int       `json:"probeSuccesses,omitempty"`
	LastProbeAt         time.Time `json:"lastProbeAt,omitzero"`
	Force               ForceMode `json:"force,omitempty"`
	ForceUntil          time.Time `json:"forceUntil,omitzero"`
	// BucketWidth is the writer's window tenth, so readers without its
	// settings (the status command) count the window right.
	BucketWidth time.Duration `json:"bucketWidth,omitempty"`
}

func (s *shared) normalize() {
	if s.State == "" {
		s.State = Closed
	}
}

// forced returns the force in effect at now.
func (s *shared) forced(now time.Time) ForceMode {
	if s.Force == ForceNone || (!s.ForceUntil.IsZero() && !now.Before(s.ForceUntil)) {
		return ForceNone
	}
	return s.Force
}

// window sums the buckets still inside the window at slot now.
func (s *shared) window(now int64) (calls, failures int) {
	for _, b := range s.Buckets {
		if b.Slot > now-windowBuckets {
			calls += b.Calls
			failures += b.Failures
		}
	}
	return calls, failures
}

// StoreKey is where breaker name's state lives.
func StoreKey(name string) store.Key { return store.Key{Partition: BreakerPartition, Sort: name} }

// BreakerPartition is the store partition holding one item per breaker.
const BreakerPartition = "resilience#breakers"

// Transition is a breaker's change of state, as published.
type Transition struct {
	Name                string
	From, To            State
	ConsecutiveFailures int
	WindowCalls         int
	WindowFailures      int
	OpenedAt            time.Time
	At                  time.Time
	Reason              string
}

// cached is one instance's copy of the shared state.
type cached struct {
	st      shared
	version int64
	until   time.Time
}

// pending are this instance's outcomes not yet written to the store.
type pending struct {
	generation int64
	calls      int
	failures   int
	tail       int  // failures since this instance's last success
	sawSuccess bool // a success since the last flush: tail replaces the shared count
}

// Breaker is a circuit breaker whose state is shared by every instance
// through the store. Calls read a per-instance copy refreshed at most once
// per CacheTTL, so in the closed state a call makes no store call; this
// instance's counts are written with the refresh, and at once when they
// would open the breaker. Half-open probes and their outcomes are written
// as they happen, so the probe limit holds across instances. A store that
// fails leaves the breaker with its last known state: store trouble never
// fails a call. Safe for concurrent use.
type Breaker struct {
	name     string
	s        BreakerSettings
	st       store.Store
	now      func() time.Time
	onChange func(context.Context, Transition)

	cache   atomic.Pointer[cached]
	syncing atomic.Bool
	mu      sync.Mutex
	pend    pending
	width   int64 // bucket width in nanoseconds
	admin   bool  // an Admin's handle: keeps the stored bucket width
}

// BreakerConfig builds a Breaker.
type BreakerConfig struct {
	// Name is the downstream; the store key. Required.
	Name string
	// Settings, zero fields defaulted.
	Settings BreakerSettings
	// Store holds the shared state. Required.
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnChange, when set, is called after this instance changed the shared
	// state (once per transition across every instance: the conditional
	// write has one winner).
	OnChange func(context.Context, Transition)
}

// NewBreaker returns a breaker over cfg.Store.
func NewBreaker(cfg BreakerConfig) (*Breaker, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if err := cfg.Settings.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("resilience: breaker %s: %w", cfg.Name, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := cfg.Settings.withDefaults()
	b := &Breaker{name: cfg.Name, s: s, st: cfg.Store, now: cfg.Now, onChange: cfg.OnChange,
		width: int64(s.Window / windowBuckets)}
	return b, nil
}

// Name is the breaker's downstream.
func (b *Breaker) Name() string { return b.name }

// Permit is what Allow hands out and Done takes back: whether the call is a
// half-open probe and under which state it was let through.
type Permit struct {
	probe      bool
	generation int64
}

// Allow reports whether a call may go out now: nil and a Permit to give to
// Done, or a Resilience.CircuitOpen error.
func (b *Breaker) Allow(ctx context.Context) (Permit, error) {
	return b.allowAt(ctx, b.now())
}

// allowAt is Allow at now, read by the caller.
func (b *Breaker) allowAt(ctx context.Context, now time.Time) (Permit, error) {
	c := b.cache.Load()
	if c == nil || !now.Before(c.until) {
		c = b.refresh(ctx, now, c)
	}
	switch c.st.forced(now) {
	case ForceOpen:
		return Permit{}, circuitOpen(b.name, Open)
	case ForceClosed:
		return Permit{generation: -1}, nil
	}
	switch c.st.State {
	case Closed:
		return Permit{generation: c.st.Generation}, nil
	case Open:
		if now.Sub(c.st.OpenedAt) < b.s.OpenTimeout {
			return Permit{}, circuitOpen(b.name, Open)
		}
	case HalfOpen:
		// Every probe was taken when this copy was read: refuse without
		// asking the store again until the copy expires.
		if c.st.ProbesInFlight >= b.s.HalfOpenProbes && now.Sub(c.st.LastProbeAt) < b.s.OpenTimeout {
			return Permit{}, circuitOpen(b.name, HalfOpen)
		}
	}
	// One caller at a time asks the store for a probe: a thousand calls
	// arriving as the open timeout ends make one store round trip per
	// instance, not a thousand; the others are refused as the open
	// breaker would refuse them.
	if !b.syncing.CompareAndSwap(false, true) {
		return Permit{}, circuitOpen(b.name, c.st.State)
	}
	defer b.syncing.Store(false)
	return b.probe(ctx, now)
}

// Done records the outcome of a call Allow permitted: failed says whether
// it counts as a downstream failure.
func (b *Breaker) Done(ctx context.Context, p Permit, failed bool) {
	if p.probe {
		b.probeDone(ctx, failed)
		return
	}
	if p.generation < 0 { // forced closed: nothing to judge
		return
	}
	b.mu.Lock()
	if b.pend.generation != p.generation {
		b.pend = pending{generation: p.generation}
	}
	b.pend.calls++
	if failed {
		b.pend.failures++
		b.pend.tail++
	} else {
		b.pend.tail = 0
		b.pend.sawSuccess = true
	}
	urgent := failed && b.wouldTrip(b.cache.Load(), b.pend)
	b.mu.Unlock()
	if urgent {
		b.sync(ctx, b.now())
	}
}

// wouldTrip reports whether c's state with p merged in crosses a
// threshold (so p should be written now, not with the next refresh).
func (b *Breaker) wouldTrip(c *cached, p pending) bool {
	if c == nil || c.st.State != Closed || c.st.Generation != p.generation {
		return p.tail >= b.s.FailureThreshold
	}
	consec := p.tail
	if !p.sawSuccess {
		consec += c.st.ConsecutiveFailures
	}
	calls, failures := c.st.window(b.slot(b.now()))
	return b.trips(consec, calls+p.calls, failures+p.failures)
}

func (b *Breaker) trips(consec, calls, failures int) bool {
	if consec >= b.s.FailureThreshold {
		return true
	}
	return calls >= b.s.MinCalls && calls > 0 && float64(failures) >= b.s.FailureRate*float64(calls)
}

func (b *Breaker) slot(t time.Time) int64 { return t.UnixNano() / b.width }

// refresh makes one caller read the store (and write this instance's
// counts) while the others go on with the copy they have; with no copy yet
// every caller reads.
func (b *Breaker) refresh(ctx context.Context, now time.Time, c *cached) *cached {
	if c != nil && !b.syncing.CompareAndSwap(false, true) {
		return c
	}
	if c != nil {
		defer b.syncing.Store(false)
	}
	return b.sync(ctx, now)
}

// sync writes this instance's pending counts into the shared state, moves
// it if a threshold is crossed or a force expired, and refreshes the copy.
func (b *Breaker) sync(ctx context.Context, now time.Time) *cached {
	b.mu.Lock()
	p := b.pend
	b.pend = pending{generation: p.generation}
	b.mu.Unlock()
	c, err := b.update(ctx, now, func(st *shared) bool {
		changed := false
		if st.Force != ForceNone && st.forced(now) == ForceNone {
			st.Force, st.ForceUntil = ForceNone, time.Time{}
			changed = true
		}
		if p.calls == 0 || st.State != Closed || st.Generation != p.generation {
			return changed
		}
		slot := b.slot(now)
		kept := st.Buckets[:0]
		for _, bk := range st.Buckets {
			if bk.Slot > slot-windowBuckets {
				kept = append(kept, bk)
			}
		}
		st.Buckets = kept
		if n := len(st.Buckets); n > 0 && st.Buckets[n-1].Slot == slot {
			st.Buckets[n-1].Calls += p.calls
			st.Buckets[n-1].Failures += p.failures
		} else {
			st.Buckets = append(st.Buckets, bucket{Slot: slot, Calls: p.calls, Failures: p.failures})
		}
		if p.sawSuccess {
			st.ConsecutiveFailures = p.tail
		} else {
			st.ConsecutiveFailures += p.tail
		}
		calls, failures := st.window(slot)
		if st.forced(now) != ForceClosed && b.trips(st.ConsecutiveFailures, calls, failures) {
			reason := fmt.Sprintf("%d consecutive failures", st.ConsecutiveFailures)
			if st.ConsecutiveFailures < b.s.FailureThreshold {
				reason = fmt.Sprintf("%d of %d calls failed in %s", failures, calls, b.s.Window)
			}
			b.open(st, now, reason)
		}
		return true
	})
	if err != nil {
		// Keep the counts for the next try, and the last known state for
		// another CacheTTL: a store in trouble is not read on every call.
		b.mu.Lock()
		if b.pend.generation == p.generation {
			b.pend.calls += p.calls
			b.pend.failures += p.failures
			if !b.pend.sawSuccess {
				b.pend.tail += p.tail
				b.pend.sawSuccess = p.sawSuccess
			}
		}
		b.mu.Unlock()
		old := b.cache.Load()
		if old == nil {
			old = &cached{st: shared{State: Closed}}
		}
		c = &cached{st: old.st, version: old.version, until: now.Add(b.s.CacheTTL)}
		b.cache.Store(c)
	}
	return c
}

func (b *Breaker) open(st *shared, now time.Time, reason string) {
	st.State = Open
	st.Generation++
	st.OpenedAt, st.ChangedAt, st.Reason = now, now, reason
	st.ProbesInFlight, st.ProbeSuccesses = 0, 0
}

func (b *Breaker) close(st *shared, now time.Time, reason string) {
	st.State = Closed
	st.Generation++
	st.ChangedAt, st.Reason = now, reason
	st.ConsecutiveFailures, st.Buckets = 0, nil
	st.ProbesInFlight, st.ProbeSuccesses = 0, 0
}

// probe asks the store for one of the half-open probe slots, moving an
// open breaker whose timeout passed to half-open on the way.
func (b *Breaker) probe(ctx context.Context, now time.Time) (Permit, error) {
	var granted Permit
	ok := false
	c, err := b.update(ctx, now, func(st *shared) bool {
		ok = false
		switch st.forced(now) {
		case ForceOpen:
			return false
		case ForceClosed:
			ok, granted = true, Permit{generation: -1}
			return false
		}
		switch st.State {
		case Closed:
			ok, granted = true, Permit{generation: st.Generation}
			return false
		case Open:
			if now.Sub(st.OpenedAt) < b.s.OpenTimeout {
				return false
			}
			st.State = HalfOpen
			st.Generation++
			st.ChangedAt, st.Reason = now, fmt.Sprintf("open for %s", b.s.OpenTimeout)
			st.ProbesInFlight, st.ProbeSuccesses = 0, 0
		case HalfOpen:
			// A probe whose instance died never reports: after another
			// OpenTimeout without news its slot is free again.
			if st.ProbesInFlight >= b.s.HalfOpenProbes && now.Sub(st.LastProbeAt) >= b.s.OpenTimeout {
				st.ProbesInFlight = 0
			}
		}
		if st.ProbesInFlight >= b.s.HalfOpenProbes {
			return false
		}
		st.ProbesInFlight++
		st.LastProbeAt = now
		ok, granted = true, Permit{probe: true, generation: st.Generation}
		return true
	})
	if err != nil {
		// The store cannot arbitrate probes: refuse, as an open breaker
		// would, rather than let every instance probe at once.
		return Permit{}, circuitOpen(b.name, HalfOpen)
	}
	if !ok {
		return Permit{}, circuitOpen(b.name, c.st.State)
	}
	return granted, nil
}

// probeDone writes a probe's outcome: a failure opens the breaker again,
// SuccessThreshold successes close it.
func (b *Breaker) probeDone(ctx context.Context, failed bool) {
	now := b.now()
	_, _ = b.update(ctx, now, func(st *shared) bool {
		if st.State != HalfOpen {
			return false
		}
		if st.ProbesInFlight > 0 {
			st.ProbesInFlight--
		}
		if failed {
			b.open(st, now, "a half-open probe failed")
			return true
		}
		st.ProbeSuccesses++
		if st.ProbeSuccesses >= b.s.SuccessThreshold {
			b.close(st, now, fmt.Sprintf("%d probes succeeded", st.ProbeSuccesses))
		}
		return true
	})
}

// maxConflicts bounds the read-modify-write retries of one update.
const maxConflicts = 16

// update reads the shared state, lets fn change it, writes it back only
// if nobody wrote in between (retrying on a conflict), refreshes the copy,
// and reports a change of State to OnChange.
func (b *Breaker) update(ctx context.Context, now time.Time, fn func(*shared) bool) (*cached, error) {
	key := StoreKey(b.name)
	for range maxConflicts {
		it, err := b.st.Get(ctx, key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		var st shared
		if err == nil {
			if err := json.Unmarshal(it.Value, &st); err != nil {
				return nil, fmt.Errorf("resilience: breaker %s: stored state: %w", b.name, err)
			}
		}
		st.normalize()
		before := st.State
		if !fn(&st) {
			c := &cached{st: st, version: it.Version, until: now.Add(b.s.CacheTTL)}
			b.cache.Store(c)
			return c, nil
		}
		if !b.admin || st.BucketWidth == 0 {
			st.BucketWidth = time.Duration(b.width)
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		cond := store.Condition{IfVersion: it.Version}
		if it.Version == 0 {
			cond = store.Condition{IfAbsent: true}
		}
		put, err := b.st.Put(ctx, store.Item{Key: key, Value: raw}, cond)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := &cached{st: st, version: put.Version, until: now.Add(b.s.CacheTTL)}
		b.cache.Store(c)
		if st.State != before && b.onChange != nil {
			calls, failures := st.window(b.slot(now))
			b.onChange(ctx, Transition{Name: b.name, From: before, To: st.State, ConsecutiveFailures: st.ConsecutiveFailures,
				WindowCalls: calls, WindowFailures: failures, OpenedAt: st.OpenedAt, At: now, Reason: st.Reason})
		}
		return c, nil
	}
	return nil, fmt.Errorf("resilience: breaker %s: %d conflicting writes in a row", b.name, maxConflicts)
}

// Force sets or clears a force on the shared state (Admin.Force); every
// instance obeys it within CacheTTL. until zero means until cleared.
func (b *Breaker) Force(ctx context.Context, mode ForceMode, until time.Time) error {
	now := b.now()
	_, err := b.update(ctx, now, func(st *shared) bool {
		st.Force, st.ForceUntil = mode, until
		if mode == ForceNone {
			st.ForceUntil = time.Time{}
		}
		return true
	})
	return err
}

// BreakerStatus is a breaker's shared state as read from the store.
type BreakerStatus struct {
	Name                string    `json:"name"`
	State               State     `json:"state"`
	ConsecutiveFailures int       `json:"consecutiveFailures"`
	WindowCalls         int       `json:"windowCalls"`
	WindowFailures      int       `json:"windowFailures"`
	OpenedAt            time.Time `json:"openedAt,omitzero"`
	ChangedAt           time.Time `json:"changedAt,omitzero"`
	Reason              string    `json:"reason,omitempty"`
	ProbesInFlight      int       `json:"probesInFlight,omitempty"`
	Forced              ForceMode `json:"forced,omitempty"`
	ForcedUntil         time.Time `json:"forcedUntil,omitzero"`
}

// State reads the shared state now (a store read, not the cached copy).
func (b *Breaker) State(ctx context.Context) (BreakerStatus, error) {
	it, err := b.st.Get(ctx, StoreKey(b.name))
	if errors.Is(err, store.ErrNotFound) {
		return BreakerStatus{Name: b.name, State: Closed}, nil
	}
	if err != nil {
		return BreakerStatus{}, err
	}
	return decodeStatus(b.name, it.Value, b.width, b.now())
}

func decodeStatus(name string, raw []byte, width int64, now time.Time) (BreakerStatus, error) {
	var st shared
	if err := json.Unmarshal(raw, &st); err != nil {
		return BreakerStatus{}, fmt.Errorf("resilience: breaker %s: stored state: %w", name, err)
	}
	st.normalize()
	bs := BreakerStatus{Name: name, State: st.State, ConsecutiveFailures: st.ConsecutiveFailures,
		OpenedAt: st.OpenedAt, ChangedAt: st.ChangedAt, Reason: st.Reason, ProbesInFlight: st.ProbesInFlight}
	if st.BucketWidth > 0 {
		width = int64(st.BucketWidth)
	}
	if width <= 0 {
		width = int64(DefaultWindow / windowBuckets)
	}
	bs.WindowCalls, bs.WindowFailures = st.window(now.UnixNano() / width)
	if f := st.forced(now); f != ForceNone {
		bs.Forced, bs.ForcedUntil = f, st.ForceUntil
	}
	return bs, nil
}

// ListBreakers reads every breaker's shared state from s, by name.
func ListBreakers(ctx context.Context, s store.Store, now time.Time) ([]BreakerStatus, error) {
	items, err := s.Query(ctx, BreakerPartition, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]BreakerStatus, 0, len(items))
	for _, it := range items {
		bs, err := decodeStatus(it.Key.Sort, it.Value, 0, now)
		if err != nil {
			return nil, err
		}
		out = append(out, bs)
	}
	return out, nil
}

// cachedState is the state of this instance's copy (closed before the
// first read).
func (b *Breaker) cachedState() State {
	if c := b.cache.Load(); c != nil {
		if f := c.st.forced(b.now()); f == ForceOpen {
			return Open
		}
		return c.st.State
	}
	return Closed
}
