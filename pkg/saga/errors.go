package saga

import (
	"context"
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Error names a saga's functions and state machines report. They are the
// strings an ASL Retry or Catch matches, so they live here and nowhere else;
// the generator (Generate) uses the same constants.
const (
	// ErrBusiness: a business rule refused the step (no stock, card
	// declined, undeliverable address). Never retried. A step that fails
	// with it has left no effect behind.
	ErrBusiness = "Saga.BusinessError"
	// ErrInvalidInput: the step's input is unusable (no items, a negative
	// quantity, an unknown SKU, no saga id). Never retried; no effect.
	ErrInvalidInput = "Saga.InvalidInput"
	// ErrTransient: the step could not finish this time (a store timeout,
	// a throttled dependency). Retried by the state machine; the step may
	// have partly happened, which its next attempt or its compensation
	// finishes or undoes.
	ErrTransient = "Saga.TransientError"
	// ErrHanging: an action arrived after the compensation of the same
	// step (a late retry or a duplicate delivered out of order). It was
	// refused and did nothing.
	ErrHanging = "Saga.Hanging"
	// ErrStuck ends an execution whose compensation (or, after the pivot,
	// forward step) kept failing: an operator must look.
	ErrStuck = "Saga.Stuck"
	// ErrCompensated ends an execution that was rolled back: every step
	// completed before the failure was compensated.
	ErrCompensated = "Saga.Compensated"
	// ErrConflict ends an execution that reused the id of another saga
	// (running or ended) with a different input. Nothing of the earlier
	// saga is touched: no step runs and nothing is compensated.
	ErrConflict = "Saga.Conflict"
	// ErrWrongStep: a step function got a task addressed to a step it does
	// not serve (a definition wiring the wrong function). Refused before
	// anything is written; never retried.
	ErrWrongStep = "Saga.WrongStep"
)

// BusinessErrors are the names a step fails fast on: Step Functions does not
// retry them.
var BusinessErrors = []string{ErrBusiness, ErrInvalidInput, ErrHanging, ErrWrongStep, ErrConflict}

// RetryableErrors are the names a forward step is retried on: our transient
// error, a Lambda task timeout and the Lambda service errors AWS recommends
// retrying.
var RetryableErrors = []string{
	ErrTransient,
	"States.Timeout",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

// Business returns a business refusal named ErrBusiness.
func Business(format string, args ...any) *faas.Error {
	return faas.Errorf(ErrBusiness, format, args...)
}

// InvalidInput returns an input refusal named ErrInvalidInput.
func InvalidInput(format string, args ...any) *faas.Error {
	return faas.Errorf(ErrInvalidInput, format, args...)
}

// Transient wraps err as a retryable failure named ErrTransient.
func Transient(err error) *faas.Error {
	return &faas.Error{Name: ErrTransient, Message: ErrTransient + ": " + err.Error(), Retryable: true, Err: err}
}

// errHanging is the refusal of a late action.
func errHanging(id ID, why string) *faas.Error {
	return &faas.Error{Name: ErrHanging, Message: fmt.Sprintf("saga %s step %s: action refused: %s", id.SagaID, id.Step, why)}
}

// IsBusiness reports whether err is a refusal the state machine must not
// retry: ErrBusiness, ErrInvalidInput, ErrHanging, ErrWrongStep or
// ErrConflict.
func IsBusiness(err error) bool {
	switch faas.ErrorName(err) {
	case ErrBusiness, ErrInvalidInput, ErrHanging, ErrWrongStep, ErrConflict:
		return true
	}
	return false
}

// classify gives every error a name the state machine can act on: named
// business errors keep their name; context errors and anything unnamed
// become ErrTransient, since a retry (or the compensation) can finish what
// they interrupted.
func classify(err error) *faas.Error {
	var fe *faas.Error
	if errors.As(err, &fe) && fe.Name != "" {
		switch {
		case IsBusiness(fe), fe.Name == ErrTransient:
			return fe
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Transient(err)
	}
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" && fe == nil {
		// A named error from elsewhere (a store, an SDK) is passed on under
		// its own name only when it is one of ours.
		if IsBusiness(err) {
			return &faas.Error{Name: named.ErrorName(), Message: err.Error(), Err: err}
		}
	}
	return Transient(err)
}
