package faas

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// FieldError says which field of an event or payload was wrong. Validators
// may return it (or any error with a FieldName() string method) so HTTP
// problems name the field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldName returns the offending field.
func (e *FieldError) FieldName() string { return e.Field }

// Invalid wraps err as a CogniForge.InvalidEvent naming field.
func Invalid(field string, err error) *Error {
	msg := strings.TrimSpace(err.Error())
	if !strings.HasPrefix(msg, field+":") {
		msg = field + ": " + msg
	}
	return &Error{Name: ErrInvalidEvent, Message: msg, Err: &FieldError{Field: field, Err: err}}
}

// InvalidEvent turns a CloudEvents validation failure into a named error
// naming the first (alphabetically) offending attribute.
func InvalidEvent(err error) *Error {
	var ve event.ValidationError
	if errors.As(err, &ve) && len(ve) > 0 {
		keys := make([]string, 0, len(ve))
		for k := range ve {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return Invalid(keys[0], ve[keys[0]])
	}
	return &Error{Name: ErrInvalidEvent, Message: err.Error(), Err: err}
}

// Problem is an RFC 7807 problem detail as the HTTP adapters write it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// ErrorType is the error name (see ErrorName), what ASL Catch matches.
	ErrorType string `json:"errorType"`
	// Field names the offending field of an invalid event, when known.
	Field     string `json:"field,omitempty"`
	EventID   string `json:"eventId,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
}

// ProblemTypePrefix starts every Problem.Type; the error name follows.
const ProblemTypePrefix = "urn:cogniforge:error:"

// ProblemFor maps an error to a problem. Status codes:
//
//   - CogniForge.InvalidEvent, CogniForge.UnsupportedPayload: 400
//   - CogniForge.Timeout: 504
//   - other named errors (a Name set through *Error or an ErrorName method):
//     503 when Retryable, else 422 (a business rule said no)
//   - CogniForge.Panic and unnamed errors: 500, with the detail withheld (it
//     is logged) so internals do not leak to callers.
//   - an *Error with a Status from 400 to 599 answers that status, whatever
//     its name.
func ProblemFor(err error) Problem {
	name := ErrorName(err)
	p := Problem{Type: ProblemTypePrefix + name, ErrorType: name, Detail: err.Error()}
	var named interface{ ErrorName() string }
	isNamed := errors.As(err, &named) && named.ErrorName() != ""
	var fe interface{ FieldName() string }
	if errors.As(err, &fe) {
		p.Field = fe.FieldName()
	}
	var ce *Error
	if errors.As(err, &ce) {
		p.Retryable = ce.Retryable
	}
	switch {
	case ce != nil && ce.Status >= 400 && ce.Status <= 599:
		p.Status = ce.Status
	case name == ErrInvalidEvent || name == ErrUnsupported:
		p.Status = http.StatusBadRequest
	case name == ErrTimeout:
		p.Status = http.StatusGatewayTimeout
	case name == ErrPanic || !isNamed:
		p.Status = http.StatusInternalServerError
		p.Detail = "internal error"
	case p.Retryable:
		p.Status = http.StatusServiceUnavailable
	default:
		p.Status = http.StatusUnprocessableEntity
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p Problem) {
	b, err := json.Marshal(p)
	if err != nil {
		// Problem has only strings, ints and bools: cannot happen.
		b = []byte(`{"type":"` + ProblemTypePrefix + ErrPanic + `","status":500}`)
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/problem+json"}
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}
