package asl

import (
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// Error names predefined by the States Language and AWS Step Functions. A
// Retry or Catch matches them by name; these constants are the one place they
// are spelled.
const (
	ErrAll                       = "States.ALL"
	ErrTaskFailed                = "States.TaskFailed"
	ErrTimeout                   = "States.Timeout"
	ErrHeartbeatTimeout          = "States.HeartbeatTimeout"
	ErrRuntime                   = "States.Runtime"
	ErrNoChoiceMatched           = "States.NoChoiceMatched"
	ErrResultPathMatchFailure    = "States.ResultPathMatchFailure"
	ErrParameterPathFailure      = "States.ParameterPathFailure"
	ErrIntrinsicFailure          = "States.IntrinsicFailure"
	ErrBranchFailed              = "States.BranchFailed"
	ErrExceedToleratedFailure    = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed          = "States.ItemReaderFailed"
	ErrResultWriterFailed        = "States.ResultWriterFailed"
	ErrPermissions               = "States.Permissions"
	ErrDataLimitExceeded         = "States.DataLimitExceeded"
	ErrQueryEvaluationError      = "States.QueryEvaluationError"
	ErrExecutionAborted          = "States.Aborted"
	ErrLambdaUnknown             = "Lambda.Unknown"
	ErrTaskTokenNotFoundAPIError = "TaskDoesNotExist"
)

// Error is a named failure of a state or an execution: what ExecutionFailed
// reports and what Retry and Catch match. Cause is free text; HasCause tells
// an empty cause from none, which history and error outputs distinguish.
type Error struct {
	Name     string
	Cause    string
	HasCause bool
}

// NewError returns an error with a name and a cause.
func NewError(name, cause string) *Error { return &Error{Name: name, Cause: cause, HasCause: true} }

func errorf(name, format string, args ...any) *Error {
	return NewError(name, fmt.Sprintf(format, args...))
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// ErrorName returns the name, so faas.ErrorName reports it.
func (e *Error) ErrorName() string { return e.Name }

// output is the error output a Catch passes on: {"Error": ..., "Cause": ...}.
func (e *Error) output() *jsonv.Object {
	if e.HasCause {
		return object("Error", e.Name, "Cause", e.Cause)
	}
	return object("Error", e.Name)
}

// terminal reports errors that no Retry or Catch handles: AWS documents that
// States.Runtime and States.DataLimitExceeded always fail the execution. A
// ResultPath that cannot be applied is a runtime failure on AWS too (it
// reports it as States.Runtime; the specification names it
// States.ResultPathMatchFailure, which is the name used here).
func (e *Error) terminal() bool {
	return e.Name == ErrRuntime || e.Name == ErrDataLimitExceeded || e.Name == ErrResultPathMatchFailure
}

// matches reports whether an ErrorEquals list covers the error.
func matches(errorEquals []string, name string) bool {
	for _, want := range errorEquals {
		switch want {
		case name:
			return true
		case ErrAll:
			return true
		case ErrTaskFailed:
			// States.TaskFailed is a wildcard for every error but a timeout.
			if name != ErrTimeout && name != ErrHeartbeatTimeout {
				return true
			}
		case ErrTimeout:
			// AWS documents States.Timeout as covering a missed heartbeat
			// too; States.HeartbeatTimeout is the specific name.
			if name == ErrHeartbeatTimeout {
				return true
			}
		}
	}
	return false
}

// DefinitionError reports one problem in a state machine definition; Compile
// returns them joined with errors.Join.
type DefinitionError struct {
	Path string // e.g. "States.P.Parameters.x.$"
	Msg  string
}

func (e *DefinitionError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ErrInvalidDefinition is wrapped by every error Compile returns.
var ErrInvalidDefinition = errors.New("asl: invalid state machine definition")

// ErrTaskTokenNotFound is returned when a task token is unknown or its task
// already completed (the API reports TaskDoesNotExist).
var ErrTaskTokenNotFound = errors.New("asl: task token not found")
