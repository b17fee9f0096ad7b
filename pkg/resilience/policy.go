package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Policy is the composition of policies around the calls to one
// downstream, outermost first: the retry loop (within the overall timeout
// and the context's deadline), the bulkhead, the breaker, the attempt
// timeout. A bulkhead refusal never reaches the breaker, and an open
// breaker holds no bulkhead slot. Build one with NewPolicy or a Registry;
// a nil *Policy makes Do call fn plainly. Safe for concurrent use.
type Policy struct {
	name           string
	timeout        time.Duration
	attemptTimeout time.Duration
	idempotent     bool
	retry          RetryPolicy
	budget         *retryBudget
	breaker        *Breaker
	bulkhead       *Bulkhead
	clk            Clock
	rnd            func(int64) int64
	m              *policyMetrics
	onCall         func(time.Time) // the registry's bulkhead report, nil for none
}

// PolicyConfig builds a Policy.
type PolicyConfig struct {
	// Name is the downstream, for errors and metrics. Required.
	Name string
	// Timeout bounds the whole call, retries included; the context's
	// deadline (the invocation's) bounds it too. Zero: the deadline only.
	Timeout time.Duration
	// AttemptTimeout bounds each attempt. Zero: none besides Timeout.
	AttemptTimeout time.Duration
	// Idempotent says the calls may be repeated. Retries happen only for
	// idempotent calls; WithIdempotent overrides it per call.
	Idempotent bool
	// Retry is the retry policy (zero fields defaulted).
	Retry RetryPolicy
	// Breaker and Bulkhead, nil for none.
	Breaker  *Breaker
	Bulkhead *Bulkhead
	// Clock, nil for the wall clock.
	Clock Clock
	// Rand draws backoffs from [0, n); nil means math/rand/v2.
	Rand func(n int64) int64
}

// NewPolicy returns a policy without metrics (a Registry adds them).
func NewPolicy(cfg PolicyConfig) (*Policy, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative", cfg.Timeout))
	}
	if cfg.AttemptTimeout < 0 {
		errs = append(errs, fmt.Errorf("attemptTimeout: %s is negative", cfg.AttemptTimeout))
	}
	if err := cfg.Retry.Validate(); err != nil {
		errs = append(errs, prefixed("retry.", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("resilience: policy %s: %w", cfg.Name, err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	r := cfg.Retry.withDefaults()
	return &Policy{
		name: cfg.Name, timeout: cfg.Timeout, attemptTimeout: cfg.AttemptTimeout, idempotent: cfg.Idempotent,
		retry: r, budget: newRetryBudget(r.BudgetRatio, r.BudgetReserve),
		breaker: cfg.Breaker, bulkhead: cfg.Bulkhead, clk: cfg.Clock, rnd: cfg.Rand,
		m: newPolicyMetrics(noopInstruments(), cfg.Name),
	}, nil
}

// Name is the policy's downstream.
func (p *Policy) Name() string { return p.name }

// Breaker is the policy's breaker, nil when it has none.
func (p *Policy) Breaker() *Breaker { return p.breaker }

// Bulkhead is the policy's bulkhead, nil when it has none.
func (p *Policy) Bulkhead() *Bulkhead { return p.bulkhead }

// Do calls fn under p: it returns fn's result, or the last error when
// every attempt failed, a Resilience.BulkheadFull or Resilience.CircuitOpen
// error when a policy refused the call, or a Resilience.Timeout error
// wrapping the attempt's error when a timeout cut it short. fn must honour
// its context. Retries happen only for idempotent calls (the policy's
// setting, or WithIdempotent on ctx), for errors Retryable says are worth
// it, within the retry budget, and never past ctx's deadline: a backoff
// (or a Retry-After) that would end after it ends the call at once.
func Do[T any](ctx context.Context, p *Policy, fn func(context.Context) (T, error)) (T, error) {
	if p == nil {
		return fn(ctx)
	}
	// One clock read serves the whole success path: time.Now costs
	// 100-200ns on some virtual machines, more than the rest of it.
	now := p.clk.Now()
	if p.onCall != nil {
		p.onCall(now)
	}
	p.m.in.calls.Add(ctx, 1, p.m.opts...)
	p.budget.onCall()
	// The overall deadline is not a context of its own: each attempt's
	// context ends at the earlier of it and the attempt timeout, and no
	// backoff is started that would end after it.
	deadline, hasDeadline := ctx.Deadline()
	if p.timeout > 0 {
		if dl := now.Add(p.timeout); !hasDeadline || dl.Before(deadline) {
			deadline, hasDeadline = dl, true
		}
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			now = p.clk.Now()
		}
		v, err := doAttempt(ctx, p, fn, now, deadline, hasDeadline)
		if err == nil {
			return v, nil
		}
		if attempt >= p.retry.MaxAttempts || ctx.Err() != nil || !Retryable(err) || !idempotent(ctx, p.idempotent) {
			return v, err
		}
		wait := p.retry.Backoff(attempt, p.rnd)
		if ra, ok := retryAfter(err); ok && ra > wait {
			wait = ra
		}
		if hasDeadline && !p.clk.Now().Add(wait).Before(deadline) {
			return v, err
		}
		if !p.budget.withdraw() {
			return v, err
		}
		p.m.in.retries.Add(ctx, 1, p.m.opts...)
		if p.clk.Sleep(ctx, wait) != nil {
			return v, err
		}
	}
}

// doAttempt makes one attempt through the bulkhead, the breaker and the
// attempt's deadline: the earlier of the overall one and now plus the
// attempt timeout.
func doAttempt[T any](ctx context.Context, p *Policy, fn func(context.Context) (T, error), now, deadline time.Time, hasDeadline bool) (T, error) {
	var zero T
	if p.bulkhead != nil {
		if err := p.bulkhead.Acquire(ctx); err != nil {
			if errors.Is(err, ErrBulkheadFull) {
				p.m.in.rejections.Add(ctx, 1, p.m.bulkheadOpts...)
			}
			return zero, err
		}
		defer p.bulkhead.Release()
	}
	var permit Permit
	if p.breaker != nil {
		var err error
		if permit, err = p.breaker.allowAt(ctx, now); err != nil {
			p.m.in.rejections.Add(ctx, 1, p.m.breakOpts...)
			return zero, err
		}
		// A call that panics failed: its probe slot must not stay taken.
		defer func() {
			if r := recover(); r != nil {
				p.breaker.Done(ctx, permit, true)
				panic(r)
			}
		}()
	}
	if p.attemptTimeout > 0 {
		if dl := now.Add(p.attemptTimeout); !hasDeadline || dl.Before(deadline) {
			deadline, hasDeadline = dl, true
		}
	}
	actx := ctx
	var dc *deadlineCtx
	if hasDeadline {
		if cur, ok := ctx.Deadline(); !ok || deadline.Before(cur) {
			dc = &deadlineCtx{Context: ctx, deadline: deadline, clk: p.clk}
			actx = dc
		}
	}
	v, err := fn(actx)
	if dc != nil && dc.release(err != nil) && err != nil && ctx.Err() == nil {
		err = &faas.Error{Name: ErrNameTimeout, Message: fmt.Sprintf("resilience: %s: attempt timed out at %s: %v", p.name, deadline.Format(time.RFC3339Nano), err), Retryable: true, Err: err}
	}
	if err != nil {
		p.m.in.failures.Add(ctx, 1, p.m.opts...)
	}
	if p.breaker != nil {
		p.breaker.Done(ctx, permit, countsAsFailure(ctx, err))
	}
	return v, err
}

// countsAsFailure says whether err is the downstream's fault: not a
// permanent error (a 4xx, a business refusal), not the caller giving up.
func countsAsFailure(ctx context.Context, err error) bool {
	if err == nil || (ctx.Err() != nil && errors.Is(err, context.Canceled)) {
		return false
	}
	return Retryable(err) || errors.Is(err, context.DeadlineExceeded)
}

// prefixed puts prefix before every line of err (the field path of a
// nested setting).
func prefixed(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			errs = append(errs, prefixed(prefix, e))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s%w", prefix, err)
}
