package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Error names, as the faas adapters report them (faas.ErrorName finds the
// ErrorName method through any wrapping) and ASL Catch matches them.
const (
	// NameCircuitOpen: the channel's breaker is open; the delivery was not
	// attempted. The escalation moves on to its next level.
	NameCircuitOpen = "Notify.CircuitOpen"
	// NameInProgress: another delivery of the same key holds the lease.
	NameInProgress = "Notify.InProgress"
	// NameInvalidMessage: the message or its channel is unusable; a caller
	// bug, never retried.
	NameInvalidMessage = "Notify.InvalidMessage"
	// NameRejected: the channel refused the message for good (HTTP 4xx
	// other than 408 and 429: a bad payload, a revoked key, a deleted
	// webhook).
	NameRejected = "Notify.Rejected"
	// NameUnavailable: the channel failed in a way a later try may fix
	// (5xx, 408, 429, a timeout, a network error).
	NameUnavailable = "Notify.Unavailable"
	// NameStore: the idempotency store failed.
	NameStore = "Notify.StoreError"
)

// Error is a delivery failure with a name, and the retry decision made
// explicit.
type Error struct {
	// Name is one of the Name constants.
	Name string
	// Channel is the channel's name, when known.
	Channel string
	// StatusCode is the HTTP status the channel answered, 0 when none.
	StatusCode int
	// Retryable reports whether trying again may succeed.
	Retryable bool
	// RetryAfter is how long the channel asked to wait (HTTP Retry-After);
	// zero means the backoff policy decides.
	RetryAfter time.Duration
	// Err is the cause.
	Err error
}

// Sentinel errors, matched with errors.Is (which compares names, so a
// *Error with more detail matches the sentinel of its name).
var (
	ErrCircuitOpen    = &Error{Name: NameCircuitOpen}
	ErrInProgress     = &Error{Name: NameInProgress, Retryable: true}
	ErrInvalidMessage = &Error{Name: NameInvalidMessage}
	ErrRejected       = &Error{Name: NameRejected}
	ErrUnavailable    = &Error{Name: NameUnavailable, Retryable: true}
	ErrStore          = &Error{Name: NameStore, Retryable: true}
)

// Error implements error.
func (e *Error) Error() string {
	msg := e.Name
	if e.Channel != "" {
		msg += " (channel " + e.Channel + ")"
	}
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.StatusCode)
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// ErrorName returns e.Name.
func (e *Error) ErrorName() string { return e.Name }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same name.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Name == e.Name
}

// Rejected marks err as a permanent refusal by channel, for Channel
// implementations outside this package (the SNS adapter).
func Rejected(err error) error { return &Error{Name: NameRejected, Err: err} }

// Unavailable marks err as a transient failure worth retrying, after
// retryAfter when it is positive.
func Unavailable(err error, retryAfter time.Duration) error {
	return &Error{Name: NameUnavailable, Retryable: true, RetryAfter: retryAfter, Err: err}
}

// Retryable reports whether a delivery that failed with err may succeed if
// tried again. An *Error says so itself; context cancellation is final;
// any other error (a network error from a custom channel) counts as
// retryable.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return !errors.Is(err, context.Canceled)
}

// retryAfterOf returns the wait an error asks for, zero when none.
func retryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
