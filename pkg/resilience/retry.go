package resilience

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// RetryPolicy says how often and how patiently a failed call is tried
// again. Zero fields take the defaults documented on each.
type RetryPolicy struct {
	// MaxAttempts is the most attempts, the first included: 1 never
	// retries. Zero means 3.
	MaxAttempts int `json:"maxAttempts,omitempty" yaml:"maxAttempts,omitempty"`
	// BaseDelay is the backoff before the second attempt, doubled for each
	// later one; the wait is drawn uniformly from zero to it (full
	// jitter). Zero means 50ms.
	BaseDelay time.Duration `json:"baseDelay,omitempty" yaml:"baseDelay,omitempty"`
	// MaxDelay caps the doubled backoff. A Retry-After from the server is
	// honoured even when longer, but never past the call's deadline. Zero
	// means 5s.
	MaxDelay time.Duration `json:"maxDelay,omitempty" yaml:"maxDelay,omitempty"`
	// BudgetRatio is the share of calls that may be retried once the
	// budget's reserve is spent, so a failing downstream sees at most
	// (1+BudgetRatio) times the traffic instead of MaxAttempts times. Zero
	// means 0.1; in (0, 1].
	BudgetRatio float64 `json:"budgetRatio,omitempty" yaml:"budgetRatio,omitempty"`
	// BudgetReserve is how many retries the budget allows before calls
	// have earned any (and the most it saves up). Zero means 10.
	BudgetReserve int `json:"budgetReserve,omitempty" yaml:"budgetReserve,omitempty"`
}

// Defaults of RetryPolicy.
const (
	DefaultMaxAttempts   = 3
	DefaultBaseDelay     = 50 * time.Millisecond
	DefaultMaxDelay      = 5 * time.Second
	DefaultBudgetRatio   = 0.1
	DefaultBudgetReserve = 10
)

// withDefaults fills the zero fields.
func (r RetryPolicy) withDefaults() RetryPolicy {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.BaseDelay == 0 {
		r.BaseDelay = DefaultBaseDelay
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = DefaultMaxDelay
	}
	if r.BudgetRatio == 0 {
		r.BudgetRatio = DefaultBudgetRatio
	}
	if r.BudgetReserve == 0 {
		r.BudgetReserve = DefaultBudgetReserve
	}
	return r
}

// Validate names every field out of range.
func (r RetryPolicy) Validate() error {
	var errs []error
	if r.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("maxAttempts: %d is negative", r.MaxAttempts))
	}
	if r.BaseDelay < 0 {
		errs = append(errs, fmt.Errorf("baseDelay: %s is negative", r.BaseDelay))
	}
	if r.MaxDelay < 0 {
		errs = append(errs, fmt.Errorf("maxDelay: %s is negative", r.MaxDelay))
	}
	if r.BaseDelay > 0 && r.MaxDelay > 0 && r.BaseDelay > r.MaxDelay {
		errs = append(errs, fmt.Errorf("baseDelay: %s is above maxDelay %s", r.BaseDelay, r.MaxDelay))
	}
	if r.BudgetRatio < 0 || r.BudgetRatio > 1 || math.IsNaN(r.BudgetRatio) {
		errs = append(errs, fmt.Errorf("budgetRatio: %v is outside (0, 1]", r.BudgetRatio))
	}
	if r.BudgetReserve < 0 {
		errs = append(errs, fmt.Errorf("budgetReserve: %d is negative", r.BudgetReserve))
	}
	return errors.Join(errs...)
}

// Backoff is the full-jitter wait before attempt n+1 (n >= 1 attempts
// made): uniform in [0, min(MaxDelay, BaseDelay*2^(n-1))]. rnd draws from
// [0, x) (nil: math/rand/v2).
func (r RetryPolicy) Backoff(n int, rnd func(int64) int64) time.Duration {
	ceiling := r.MaxDelay
	if shift := n - 1; shift < 62 {
		if d := r.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	return time.Duration(rnd(int64(ceiling) + 1))
}

// retryBudget is a token bucket in thousandths of a retry: each call
// deposits ratio, each retry withdraws one, the bucket holds at most
// reserve. Lock-free; one atomic add per call.
type retryBudget struct {
	tokens  atomic.Int64
	deposit int64
	max     int64
}

func newRetryBudget(ratio float64, reserve int) *retryBudget {
	b := &retryBudget{deposit: int64(ratio * 1000), max: int64(reserve) * 1000}
	b.tokens.Store(b.max)
	return b
}

func (b *retryBudget) onCall() {
	if b.tokens.Load() >= b.max {
		return
	}
	if n := b.tokens.Add(b.deposit); n > b.max {
		b.tokens.CompareAndSwap(n, b.max)
	}
}

// withdraw takes one retry's worth, reporting whether there was one.
func (b *retryBudget) withdraw() bool {
	for {
		n := b.tokens.Load()
		if n < 1000 {
			return false
		}
		if b.tokens.CompareAndSwap(n, n-1000) {
			return true
		}
	}
}

// Throttling error codes of AWS services (the SDK's retry package lists
// the same), matched by the ErrorCode method smithy API errors have, so
// the core knows them without linking the SDK.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
	"EC2ThrottledException": true,
}

// IsThrottle reports whether err is an AWS throttling error.
func IsThrottle(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && throttleCodes[coded.ErrorCode()]
}

// Retryable is the default decision to try err again: never the policies'
// own refusals (an open breaker, a full bulkhead: waiting out a backoff
// inside one call does not help them) or a cancelled context; an error
// that says (a Retryable method, faas.Error.Retryable) as it says; AWS
// throttling yes; anything else yes, as a network error is.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrCircuitOpen), errors.Is(err, ErrBulkheadFull), errors.Is(err, context.Canceled):
		return false
	case IsThrottle(err):
		return true
	}
	// The outermost error that says wins: a Resilience.Timeout wrapping a
	// permanent-looking cancellation is retryable.
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *faas.Error:
			return x.Retryable
		case interface{ Retryable() bool }:
			return x.Retryable()
		}
	}
	return true
}

// retryAfter returns the wait err asks for, if any.
func retryAfter(err error) (time.Duration, bool) {
	var ra RetryAfterError
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	return 0, false
}

// idempotentKey marks a context's calls as safe (or not) to repeat.
type idempotentKey struct{}

// WithIdempotent marks the calls made with ctx as safe to repeat (true) or
// not (false), overriding the policy's Idempotent setting: a POST that
// carries an idempotency key is safe; a call the policy would repeat but
// that must not be, is not.
func WithIdempotent(ctx context.Context, safe bool) context.Context {
	return context.WithValue(ctx, idempotentKey{}, safe)
}

// idempotent reports whether ctx's call may be repeated, def when ctx does
// not say.
func idempotent(ctx context.Context, def bool) bool {
	if v, ok := ctx.Value(idempotentKey{}).(bool); ok {
		return v
	}
	return def
}
