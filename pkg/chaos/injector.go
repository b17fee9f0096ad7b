package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Breakers forces shared circuit breakers (the resilience capability's)
// open and releases them: the port the breaker fault uses.
type Breakers interface {
	// Force holds breaker name open until until when open is true, and
	// releases a forced breaker when it is false.
	Force(ctx context.Context, name string, open bool, until time.Time) error
}

// Claimer lets one instance of a function take a minimal-blast-radius fault:
// Claim reports whether instance holds the fault's claim (taking it when
// nobody does) until until. StoreClaimer is one over pkg/store.
type Claimer interface {
	Claim(ctx context.Context, faultID, instance string, until time.Time) (bool, error)
}

// DefaultTTL is how long an Injector uses the configuration it read before
// reading it again (in AWS; wiring uses LocalTTL locally).
const (
	DefaultTTL = 30 * time.Second
	LocalTTL   = time.Second
)

// Config is what an Injector needs. Function and Source are required.
type Config struct {
	// Function is the name of the function the injector guards.
	Function string
	// Source provides the faults.
	Source Source
	// TTL is how long a read configuration is used (default DefaultTTL).
	TTL time.Duration
	// Limits are checked on every fault read; a fault that fails them is
	// not injected.
	Limits Limits
	// Version is the function version this instance runs ("$LATEST", "3");
	// Alias, when set, tells the alias an invocation came through. A
	// fault's Qualifier matches either.
	Version string
	Alias   func(ctx context.Context) string
	// Breakers forces breakers for breaker faults; nil ignores them.
	Breakers Breakers
	// Claimer decides the instance of a minimal fault; nil means this
	// instance is the one (one process locally).
	Claimer Claimer
	// Instance identifies this instance for Claimer (default random).
	Instance string
	// Logger logs every injection, dry run and configuration failure
	// (default slog.Default()).
	Logger *slog.Logger
	// Now, Rand (uniform in [0,1)) and Sleep are the clock, the dice and
	// the wait, replaced in tests (defaults time.Now, math/rand/v2 and a
	// timer that honours ctx).
	Now   func() time.Time
	Rand  func() float64
	Sleep func(ctx context.Context, d time.Duration) error
	// AfterFunc calls f once d has passed (default time.AfterFunc): it
	// marks a read configuration stale, so the middleware never reads the
	// clock while no fault targets the function (a clock read costs more
	// than the rest of the middleware on some hosts). A fake clock's
	// timers in tests.
	AfterFunc func(d time.Duration, f func())
}

// Validate joins every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.Function == "" {
		errs = append(errs, errors.New("chaos: Config.Function is required"))
	}
	if c.Source == nil {
		errs = append(errs, errors.New("chaos: Config.Source is required"))
	}
	if c.TTL < 0 {
		errs = append(errs, errors.New("chaos: Config.TTL is negative"))
	}
	return errors.Join(errs...)
}

// Injector applies the faults of one function. Safe for concurrent use.
type Injector struct {
	cfg  Config
	snap atomic.Pointer[snapshot]
	mu   sync.Mutex // held while reading the source

	claimMu sync.Mutex
	claims  map[string]bool
	forced  map[string]Fault // breaker faults forced open, by id
}

type snapshot struct {
	at     time.Time
	faults []*armed
	stale  atomic.Bool // set by a timer once the TTL has passed
}

// current returns the configuration to apply, reading the source when the
// copy held is older than the TTL. The copy's timer decides staleness when
// it has no fault (no clock read); otherwise the clock does too, so a fake
// clock in tests and a late timer agree.
func (i *Injector) current(ctx context.Context) (*snapshot, time.Time) {
	s := i.snap.Load()
	if s != nil && !s.stale.Load() && len(s.faults) == 0 {
		return s, time.Time{}
	}
	now := i.cfg.Now()
	if s == nil || s.stale.Load() || now.Sub(s.at) >= i.cfg.TTL {
		s = i.refresh(ctx, now)
	}
	return s, now
}

type armed struct {
	Fault
	rate  float64
	match []compiledMatcher
}

// New returns an Injector; nothing is read until the first invocation.
func New(cfg Config) (*Injector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = mrand.Float64
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	if cfg.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Instance = hex.EncodeToString(b[:])
	}
	return &Injector{cfg: cfg, claims: map[string]bool{}, forced: map[string]Fault{}}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Middleware injects the function's faults around next. With no fault
// configured it costs an atomic load and a clock read.
func (i *Injector) Middleware() faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			s, now := i.current(ctx)
			if len(s.faults) == 0 {
				return next(ctx, ev)
			}
			return i.inject(ctx, ev, s, now, next)
		}
	}
}

// Wrap returns fn with the injector around its handler and its batch
// handler, innermost (inside validation, so an injected failure looks like
// the handler's own).
func (i *Injector) Wrap(fn faas.Function) faas.Function {
	mw := i.Middleware()
	if fn.Handler != nil {
		fn.Handler = mw(fn.Handler)
	}
	if fn.Batch != nil {
		fn.Batch = i.wrapBatch(fn.Batch, mw)
	}
	return fn
}

// wrapBatch runs the batch's events that draw a fault one by one through
// the injector (each answering its fault), and the rest as one batch.
func (i *Injector) wrapBatch(b faas.BatchHandler, mw faas.Middleware) faas.BatchHandler {
	return func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		if s, _ := i.current(ctx); len(s.faults) == 0 {
			return b(ctx, evs)
		}
		out := make([]faas.Result, len(evs))
		for k, ev := range evs {
			one := mw(func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
				r := b(ctx, []cloudevents.Event{ev})
				if len(r) != 1 {
					return nil, &faas.Error{Name: faas.ErrPanic, Message: fmt.Sprintf("batch handler returned %d results for 1 event", len(r))}
				}
				return r[0].Event, r[0].Err
			})
			e, err := one(ctx, ev)
			out[k] = faas.Result{Event: e, Err: err}
		}
		return out
	}
}

// Faults returns the faults the injector applies now (after reading the
// source if its copy is older than the TTL).
func (i *Injector) Faults(ctx context.Context) []Fault {
	s, _ := i.current(ctx)
	now := i.cfg.Now()
	var out []Fault
	for _, a := range s.faults {
		if a.Active(now) {
			out = append(out, a.Fault)
		}
	}
	return out
}

// refresh reads the source once per TTL; a concurrent caller keeps the copy
// it has rather than waiting.
func (i *Injector) refresh(ctx context.Context, now time.Time) *snapshot {
	if !i.mu.TryLock() {
		if s := i.snap.Load(); s != nil {
			return s
		}
		i.mu.Lock()
	}
	defer i.mu.Unlock()
	if s := i.snap.Load(); s != nil && !s.stale.Load() && now.Sub(s.at) < i.cfg.TTL {
		return s
	}
	s := &snapshot{at: now}
	doc, err := i.cfg.Source.Load(context.WithoutCancel(ctx))
	if err != nil {
		i.cfg.Logger.WarnContext(ctx, "chaos: configuration unreadable; injecting nothing", "function", i.cfg.Function, "error", err.Error())
	}
	for _, f := range doc.Faults {
		if f.Function != i.cfg.Function || !f.Active(now) {
			continue
		}
		a, err := arm(f, i.cfg.Limits, now)
		if err != nil {
			i.cfg.Logger.WarnContext(ctx, "chaos: fault refused", "function", i.cfg.Function, "fault", f.ID, "error", err.Error())
			continue
		}
		s.faults = append(s.faults, a)
	}
	i.syncBreakers(ctx, s, now)
	i.snap.Store(s)
	i.cfg.AfterFunc(i.cfg.TTL, func() { s.stale.Store(true) })
	return s
}

func arm(f Fault, limits Limits, now time.Time) (*armed, error) {
	if err := f.Validate(limits, now); err != nil {
		return nil, err
	}
	a := &armed{Fault: f, rate: f.EffectiveRate()}
	for _, m := range f.Match {
		c, err := compileMatcher(m)
		if err != nil {
			return nil, err
		}
		a.match = append(a.match, c)
	}
	return a, nil
}

// syncBreakers forces the breakers of new breaker faults open and releases
// those whose fault ended.
func (i *Injector) syncBreakers(ctx context.Context, s *snapshot, now time.Time) {
	if i.cfg.Breakers == nil {
		return
	}
	live := map[string]bool{}
	for _, a := range s.faults {
		if a.Kind != KindBreaker || !i.qualifies(ctx, a) {
			continue
		}
		live[a.ID] = true
		i.claimMu.Lock()
		_, done := i.forced[a.ID]
		i.claimMu.Unlock()
		if done || !i.claimed(ctx, a) {
			continue
		}
		if a.DryRun {
			i.cfg.Logger.InfoContext(ctx, "chaos: dry run: would force breaker open", "function", i.cfg.Function, "fault", a.ID, "breaker", a.Breaker)
			continue
		}
		if err := i.cfg.Breakers.Force(ctx, a.Breaker, true, a.ExpiresAt); err != nil {
			i.cfg.Logger.WarnContext(ctx, "chaos: forcing breaker failed", "fault", a.ID, "breaker", a.Breaker, "error", err.Error())
			continue
		}
		i.cfg.Logger.InfoContext(ctx, "chaos: breaker forced open", "function", i.cfg.Function, "fault", a.ID, "breaker", a.Breaker, "until", a.ExpiresAt)
		i.claimMu.Lock()
		i.forced[a.ID] = a.Fault
		i.claimMu.Unlock()
	}
	i.claimMu.Lock()
	var release []Fault
	for id, f := range i.forced {
		if !live[id] {
			release = append(release, f)
			delete(i.forced, id)
		}
	}
	i.claimMu.Unlock()
	for _, f := range release {
		if err := i.cfg.Breakers.Force(ctx, f.Breaker, false, time.Time{}); err != nil {
			i.cfg.Logger.WarnContext(ctx, "chaos: releasing breaker failed", "fault", f.ID, "breaker", f.Breaker, "error", err.Error())
			continue
		}
		i.cfg.Logger.InfoContext(ctx, "chaos: breaker released", "function", i.cfg.Function, "fault", f.ID, "breaker", f.Breaker)
	}
}

// qualifies checks the instance-level target (alias or version).
func (i *Injector) qualifies(ctx context.Context, a *armed) bool {
	if a.Qualifier == "" {
		return true
	}
	if a.Qualifier == i.cfg.Version {
		return true
	}
	return i.cfg.Alias != nil && a.Qualifier == i.cfg.Alias(ctx)
}

// claimed reports whether this instance may apply a fault: always for the
// capped radii, for a minimal one only when it holds the claim.
func (i *Injector) claimed(ctx context.Context, a *armed) bool {
	if i.cfg.Claimer == nil || (a.BlastRadius != "" && a.BlastRadius != BlastMinimal) {
		return true
	}
	i.claimMu.Lock()
	got, known := i.claims[a.ID]
	i.claimMu.Unlock()
	if known {
		return got
	}
	got, err := i.cfg.Claimer.Claim(ctx, a.ID, i.cfg.Instance, a.ExpiresAt)
	if err != nil {
		i.cfg.Logger.WarnContext(ctx, "chaos: claim failed; not injecting", "fault", a.ID, "error", err.Error())
		return false
	}
	i.claimMu.Lock()
	i.claims[a.ID] = got
	i.claimMu.Unlock()
	return got
}

func (i *Injector) inject(ctx context.Context, ev cloudevents.Event, s *snapshot, now time.Time, next faas.Handler) (*cloudevents.Event, error) {
	view := eventView{ev: &ev}
	var (
		terminal *armed
		deny     []denyRule
		delay    time.Duration
		memMB    int
		cpu      time.Duration
	)
	for _, a := range s.faults {
		if a.Kind == KindBreaker || !a.Active(now) || !i.targets(ctx, a, &view) || !i.claimed(ctx, a) {
			continue
		}
		if a.rate <= 0 || i.cfg.Rand() >= a.rate {
			continue
		}
		attrs := []any{"function", i.cfg.Function, "fault", a.ID, "kind", string(a.Kind), "eventId", ev.ID()}
		if a.DryRun {
			i.cfg.Logger.InfoContext(ctx, "chaos: dry run: would inject", attrs...)
			continue
		}
		i.cfg.Logger.InfoContext(ctx, "chaos: injecting", attrs...)
		switch a.Kind {
		case KindLatency:
			d := a.Latency.D()
			if a.LatencyMax > a.Latency {
				d += time.Duration(i.cfg.Rand() * float64(a.LatencyMax-a.Latency))
			}
			delay += d
		case KindDeny:
			deny = append(deny, newDenyRule(a.Fault))
		case KindMemory:
			memMB = max(memMB, a.MemoryMB)
		case KindCPU:
			cpu = max(cpu, a.CPU.D())
		case KindError, KindStatus, KindTimeout:
			if terminal == nil {
				terminal = a
			}
		}
	}
	if memMB > 0 {
		buf := hold(memMB)
		defer runtime.KeepAlive(buf)
	}
	if cpu > 0 {
		burn(ctx, cpu)
	}
	if delay > 0 {
		if err := i.cfg.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("chaos: injected latency of %s: %w", delay, err)
		}
	}
	if terminal != nil {
		return nil, i.fail(ctx, terminal)
	}
	if len(deny) > 0 {
		ctx = withDeny(ctx, deny)
	}
	return next(ctx, ev)
}

func (i *Injector) targets(ctx context.Context, a *armed, v *eventView) bool {
	if len(a.EventTypes) > 0 && !contains(a.EventTypes, v.ev.Type()) {
		return false
	}
	for _, m := range a.match {
		if !m.match(v) {
			return false
		}
	}
	return i.qualifies(ctx, a)
}

// fail is what a terminal fault answers.
func (i *Injector) fail(ctx context.Context, a *armed) error {
	switch a.Kind {
	case KindStatus:
		return &faas.Error{Name: ErrInjectedStatus, Message: fmt.Sprintf("chaos: injected HTTP %d (fault %s)", a.Status, a.ID), Status: a.Status, Retryable: a.Status >= 500}
	case KindTimeout:
		if _, ok := ctx.Deadline(); ok {
			<-ctx.Done()
		} else {
			hold := a.Latency.D()
			if hold <= 0 {
				hold = DefaultHold
			}
			_ = i.cfg.Sleep(ctx, hold)
		}
		return &faas.Error{Name: faas.ErrTimeout, Message: fmt.Sprintf("chaos: invocation held until its deadline (fault %s)", a.ID), Retryable: true, Err: context.DeadlineExceeded}
	}
	name := a.ErrorName
	if name == "" {
		name = ErrInjected
	}
	msg := a.ErrorMessage
	if msg == "" {
		msg = fmt.Sprintf("chaos: injected error (fault %s)", a.ID)
	}
	return &faas.Error{Name: name, Message: msg, Retryable: a.Retryable}
}
