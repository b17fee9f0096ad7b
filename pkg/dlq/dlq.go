// Package dlq inspects and redrives dead letters, the same way against the
// local runtime's dead-letter queues and against SQS (pkg/dlq/sqsdlq): list
// them with each one's error, receive count and first failure, show one,
// retry one, redrive all, purge.
//
// A retry or redrive puts the same event back (same CloudEvents id, same
// body), so a consumer that deduplicates by event id (pkg/idempotency)
// processes it once even when a retry is repeated. Poison messages (a body
// that is not a CloudEvent, or an error that no retry can cure, such as an
// event that fails validation) stay in the dead letters with their reason:
// Redrive skips them and Retry refuses them unless forced.
//
// The functions here are safe for concurrent use when the Queue is.
package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// Message is one dead letter.
type Message struct {
	// ID addresses the dead letter in its queue (the local queue's message
	// id, or the SQS MessageId).
	ID       string `json:"id"`
	Function string `json:"function"`
	// EventID and EventType are the CloudEvent's, when the body is one.
	EventID   string `json:"eventId,omitempty"`
	EventType string `json:"eventType,omitempty"`
	// Error and ErrorType are the last failure's, when the queue records
	// them (the local runtime does; SQS only for Lambda's ErrorCode and
	// ErrorMessage attributes).
	Error     string `json:"error,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	// ReceiveCount is how many deliveries were tried.
	ReceiveCount int `json:"receiveCount"`
	// FirstFailure is when the first delivery failed (SQS: its first
	// receive), and FirstError its error when recorded.
	FirstFailure time.Time `json:"firstFailure,omitzero"`
	FirstError   string    `json:"firstError,omitempty"`
	// EnqueuedAt is when the event was first queued; DeadAt when it was
	// dead-lettered, when known.
	EnqueuedAt time.Time `json:"enqueuedAt,omitzero"`
	DeadAt     time.Time `json:"deadAt,omitzero"`
	// Poison says the message cannot succeed by being retried, and why.
	Poison       bool   `json:"poison,omitempty"`
	PoisonReason string `json:"poisonReason,omitempty"`
	// Body is the message as queued (a structured CloudEvent, or whatever
	// a poison message holds).
	Body string `json:"body"`
}

// Queue is a function's dead-letter queue.
type Queue interface {
	// List returns the dead letters, oldest first.
	List(ctx context.Context) ([]Message, error)
	// Retry moves one dead letter back to its function's queue with the
	// same body, or returns an error wrapping ErrNotFound.
	Retry(ctx context.Context, id string) error
	// Purge deletes every dead letter and returns how many.
	Purge(ctx context.Context) (int, error)
}

// Errors.
var (
	ErrNotFound = errors.New("dlq: no such dead letter")
	ErrPoison   = errors.New("dlq: poison message")
)

// PoisonErrorTypes are error names that no retry cures: the event itself is
// wrong. A name matches exactly or, for entries starting with ".", as a
// suffix (".InvalidEvent" matches SLO.InvalidEvent).
var PoisonErrorTypes = []string{"CogniForge.InvalidEvent", "CogniForge.UnsupportedPayload", ".InvalidEvent", ".EventTooOld"}

// Classify marks m as poison when its body is not a CloudEvent (decodeErr)
// or its error type is one of PoisonErrorTypes.
func Classify(m *Message, decodeErr error) {
	switch {
	case decodeErr != nil:
		m.Poison, m.PoisonReason = true, "the body is not a CloudEvent: "+decodeErr.Error()
	case m.ErrorType != "" && poisonType(m.ErrorType):
		m.Poison, m.PoisonReason = true, fmt.Sprintf("%s: retrying cannot cure it (%s)", m.ErrorType, m.Error)
	}
}

func poisonType(t string) bool {
	return slices.ContainsFunc(PoisonErrorTypes, func(p string) bool {
		if strings.HasPrefix(p, ".") {
			return strings.HasSuffix(t, p)
		}
		return p == t
	})
}

// Show returns one dead letter, or an error wrapping ErrNotFound.
func Show(ctx context.Context, q Queue, id string) (Message, error) {
	ms, err := q.List(ctx)
	if err != nil {
		return Message{}, err
	}
	for _, m := range ms {
		if m.ID == id || m.EventID == id {
			return m, nil
		}
	}
	return Message{}, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// Retry moves one dead letter back (id is its ID or its event id). A poison
// message is refused with ErrPoison unless force.
func Retry(ctx context.Context, q Queue, id string, force bool) (Message, error) {
	m, err := Show(ctx, q, id)
	if err != nil {
		return Message{}, err
	}
	if m.Poison && !force {
		return m, fmt.Errorf("%w: %s stays in the dead letters: %s", ErrPoison, m.ID, m.PoisonReason)
	}
	return m, q.Retry(ctx, m.ID)
}

// RedriveReport is the outcome of a redrive.
type RedriveReport struct {
	Redriven []string `json:"redriven"` // dead-letter ids moved back
	// Poison are the messages left in the dead letters, with their reason.
	Poison []Message `json:"poison"`
	Failed []string  `json:"failed,omitempty"` // "id: error"
}

// Redrive moves every dead letter that is not poison back to its queue, in
// order, and leaves the poison ones with their reason.
func Redrive(ctx context.Context, q Queue) (RedriveReport, error) {
	ms, err := q.List(ctx)
	if err != nil {
		return RedriveReport{}, err
	}
	rep := RedriveReport{Redriven: []string{}, Poison: []Message{}}
	for _, m := range ms {
		if m.Poison {
			rep.Poison = append(rep.Poison, m)
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := q.Retry(ctx, m.ID); err != nil {
			rep.Failed = append(rep.Failed, m.ID+": "+err.Error())
			continue
		}
		rep.Redriven = append(rep.Redriven, m.ID)
	}
	return rep, nil
}

// DecodeBody reads a message body as a CloudEvent: a structured CloudEvent,
// or an EventBridge event whose detail is one (what a bus rule delivers to
// a queue).
func DecodeBody(body []byte) (cloudevents.Event, error) {
	var e cloudevents.Event
	err := e.UnmarshalJSON(body)
	if err == nil {
		return e, e.Validate()
	}
	var env struct {
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if jerr := json.Unmarshal(body, &env); jerr == nil && env.DetailType != "" && len(env.Detail) > 0 {
		var d cloudevents.Event
		if derr := d.UnmarshalJSON(env.Detail); derr == nil {
			return d, d.Validate()
		}
	}
	return e, err
}
