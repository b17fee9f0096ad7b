package resilience

import (
	"errors"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Error names an ASL Catch or a caller can match (faas.ErrorName). They are
// the names of the *faas.Error values the policies return.
const (
	// ErrNameBulkheadFull: the downstream's bulkhead had no free slot and
	// its queue was full, or the call waited in the queue past the queue
	// timeout. Retryable: the downstream is busy, not broken.
	ErrNameBulkheadFull = "Resilience.BulkheadFull"
	// ErrNameCircuitOpen: the downstream's breaker is open (or half-open
	// with every probe taken), so the call was not made. Retryable.
	ErrNameCircuitOpen = "Resilience.CircuitOpen"
	// ErrNameTimeout: the attempt or the whole call ran out of time.
	ErrNameTimeout = "Resilience.Timeout"
)

// Sentinels wrapped by the named errors, for errors.Is.
var (
	ErrBulkheadFull = errors.New("resilience: bulkhead full")
	ErrCircuitOpen  = errors.New("resilience: circuit open")
)

func bulkheadFull(name string, why string) error {
	return &faas.Error{Name: ErrNameBulkheadFull, Message: fmt.Sprintf("resilience: bulkhead %s full: %s", name, why), Retryable: true, Err: ErrBulkheadFull}
}

func circuitOpen(name string, state State) error {
	return &faas.Error{Name: ErrNameCircuitOpen, Message: fmt.Sprintf("resilience: circuit %s is %s: call not made", name, state), Retryable: true, Err: ErrCircuitOpen}
}

// RetryAfterError is an error that says when to try again (an HTTP 429 or
// 503 with a Retry-After header, a throttled AWS call). The retry policy
// waits at least that long before the next attempt.
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// retryAfterErr carries a server's Retry-After.
type retryAfterErr struct {
	err   error
	after time.Duration
}

func (e *retryAfterErr) Error() string             { return e.err.Error() }
func (e *retryAfterErr) Unwrap() error             { return e.err }
func (e *retryAfterErr) RetryAfter() time.Duration { return e.after }
func (e *retryAfterErr) Retryable() bool           { return true }

// WithRetryAfter wraps err so the retry policy waits at least d before the
// next attempt; the error is retryable.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterErr{err: err, after: d}
}

// Permanent wraps err so it is neither retried nor counted as a downstream
// failure by the breaker (a 4xx answer: the caller's fault).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentErr{err}
}

type permanentErr struct{ err error }

func (e *permanentErr) Error() string   { return e.err.Error() }
func (e *permanentErr) Unwrap() error   { return e.err }
func (e *permanentErr) Retryable() bool { return false }
