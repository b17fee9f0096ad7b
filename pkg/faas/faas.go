// Package faas is the one handler contract every CogniForge function is written
// against: Handler, Function and its triggers, named errors (Error, ErrorName)
// and their HTTP problem form, Middleware and Chain. It links no platform:
// the middleware lives in faas/middleware, and one package per platform runs
// a Function there (faas/lambda for AWS Lambda, faas/gcf for Google's
// Functions Framework, faas/cehttp for any CloudEvents HTTP host such as
// Knative and for the local runtime), sharing options and the chain through
// faas/adapter.
//
// A function is a Handler: a CloudEvent in, an optional CloudEvent and an error
// out. Platform payloads (SQS batches, EventBridge events, function URL
// requests, Step Functions task payloads, rotation requests) are converted to
// CloudEvents at the edge, so business code never sees a platform type.
//
// Errors that carry a name (see Error and ErrorName) keep that name across every
// adapter, so an ASL Catch can match it.
package faas

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// Handler handles one CloudEvent. A nil event with a nil error means "done, no
// reply".
type Handler func(ctx context.Context, event cloudevents.Event) (*cloudevents.Event, error)

// Result is the outcome of one event of a batch.
type Result struct {
	Event *cloudevents.Event
	Err   error
}

// BatchHandler handles several events in one call (an SQS batch, an HTTP
// cloudevents-batch): results[i] is the outcome of events[i] and len(results)
// must equal len(events). Functions that gain from batching (the event
// gateway's PutEvents in tens) declare one; others are called per event.
type BatchHandler func(ctx context.Context, events []cloudevents.Event) []Result

// Middleware wraps a Handler with a cross-cutting concern.
type Middleware func(Handler) Handler

// Chain wraps h so that mws[0] is the outermost middleware.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] != nil {
			h = mws[i](h)
		}
	}
	return h
}

// TriggerKind names what starts a function.
type TriggerKind string

// The trigger kinds a function can declare.
const (
	TriggerHTTP          TriggerKind = "http"          // function URL / CloudEvents over HTTP
	TriggerQueue         TriggerKind = "sqs"           // SQS (embedded queue locally)
	TriggerSchedule      TriggerKind = "schedule"      // EventBridge Scheduler rate()/cron()
	TriggerEventBus      TriggerKind = "eventbridge"   // EventBridge rule on event types
	TriggerStepFunctions TriggerKind = "stepfunctions" // a Task state
	TriggerRotation      TriggerKind = "secretsmanager-rotation"
)

// Trigger declares one way a function is started. The local runtime wires
// triggers itself; infra/ declares the same ones in Terraform.
type Trigger struct {
	Kind TriggerKind `json:"kind"`
	// Schedule is an EventBridge rate() or cron() expression (TriggerSchedule).
	Schedule string `json:"schedule,omitempty"`
	// EventTypes are the CloudEvent types delivered (TriggerEventBus, TriggerQueue).
	EventTypes []string `json:"eventTypes,omitempty"`
	// Queue names the queue (TriggerQueue).
	Queue string `json:"queue,omitempty"`
	// MaxReceives is how many times a queue delivers a failing event before it
	// is dead-lettered (TriggerQueue): SQS's maxReceiveCount. Zero means 3.
	MaxReceives int `json:"maxReceives,omitempty"`
	// VisibilityTimeoutSeconds is how long a received event stays hidden
	// from other receives (TriggerQueue): an event neither acknowledged nor
	// failed by then is delivered again and, locally, its handler's context
	// is cancelled. SQS's VisibilityTimeout; zero means 30, at most 43200.
	VisibilityTimeoutSeconds int `json:"visibilityTimeoutSeconds,omitempty"`
}

// Route is a plain JSON HTTP route a function serves besides the CloudEvents
// binding: the request body becomes the data of a CloudEvent of EventType and
// the reply event's data is written back as JSON.
type Route struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	EventType string `json:"eventType"`
}

// Function is a deployable unit: a name, a handler and how it is triggered.
type Function struct {
	// Name is the directory name under functions/ and the Lambda name suffix.
	Name        string
	Description string
	Handler     Handler
	// Batch, when set, is used instead of Handler for batches.
	Batch BatchHandler
	// Consumes lists the CloudEvent types the function accepts. Empty means any.
	Consumes []string
	// TaskEventType is the CloudEvent type a raw JSON payload (a Step Functions
	// task input, a direct invoke that is not a CloudEvent) is wrapped as.
	// Empty means raw payloads are refused.
	TaskEventType string
	Triggers      []Trigger
	Routes        []Route
	// Protected functions answer HTTP only to authenticated callers: IAM
	// on their AWS function URL, adapter.WithAuthorizer elsewhere (the
	// local runtime's bearer token).
	Protected bool
}

// Error is a failure with a name that survives every adapter: Lambda reports
// it as errorType, Step Functions matches it in Catch/Retry, HTTP puts it in a
// problem body.
type Error struct {
	Name    string // e.g. "Saga.BusinessError"; ASL Catch matches on it
	Message string
	// Retryable marks transient failures: the HTTP adapters answer 503
	// (try again) instead of 422, and Step Functions definitions list such
	// names in Retry. Queues do not read it, as SQS does not: the Lambda SQS
	// adapter lists every failed record in batchItemFailures and the local
	// queue redelivers every failed event alike, retryable or not (an
	// invalid event included), until it has been received MaxReceives
	// times; then it goes to the dead-letter queue.
	Retryable bool
	// Status, when 400 to 599, is the HTTP status the HTTP adapters answer
	// instead of the one ProblemFor derives from the name (chaos status
	// faults); zero derives it.
	Status int
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Name + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorName returns the name of the error.
func (e *Error) ErrorName() string { return e.Name }

// Errorf builds a named error.
func Errorf(name, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Name: name, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorName is the name an error is reported under: the Name of the first
// error in the chain that has an ErrorName method, or else the Go type name
// as aws-lambda-go reports it ("errorString" for errors.New).
func ErrorName(err error) string {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) {
		if n := named.ErrorName(); n != "" {
			return n
		}
	}
	t := reflect.TypeOf(err)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.Name()
}

// Error names shared by every adapter.
const (
	ErrInvalidEvent = "CogniForge.InvalidEvent" // the event failed decoding or schema validation
	ErrUnsupported  = "CogniForge.UnsupportedPayload"
	ErrPanic        = "CogniForge.Panic"
	ErrTimeout      = "CogniForge.Timeout"
)

// CorrelationExtension is the CloudEvent extension carrying the id shared by
// every event of one business flow. An event without it is its own
// correlation root (its id is used).
const CorrelationExtension = "correlationid"

// Extension returns the value of ev's extension attribute name (lower case,
// as the sdk stores names) and whether ev has it: ev.Extensions()[name]
// without the copy of the whole map Extensions makes on every call, which
// is most of what reading an extension cost on a hot path.
func Extension(ev cloudevents.Event, name string) (any, bool) {
	switch c := ev.Context.(type) {
	case nil:
		return nil, false
	case *cloudevents.EventContextV1:
		v, ok := c.Extensions[name]
		return v, ok
	case *cloudevents.EventContextV03:
		v, ok := c.Extensions[name]
		return v, ok
	}
	v, ok := ev.Extensions()[name]
	return v, ok
}

// CorrelationID returns ev's correlation id: the correlationid extension, or
// the event id when there is none.
func CorrelationID(ev cloudevents.Event) string {
	if v, ok := Extension(ev, CorrelationExtension); ok {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ev.ID()
}
