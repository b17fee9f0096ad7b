// Package localdlq is the local runtime's implementation of dlq.Queue: a
// function's dead letters in the embedded runtime (pkg/localruntime), read
// and retried through the runtime itself or its HTTP API.
package localdlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/dlq"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
)

// LocalRuntime is what New needs of the local runtime
// (*localruntime.Runtime, or a client of a running one's HTTP API).
type LocalRuntime interface {
	DeadLetters(ctx context.Context, function string) ([]localruntime.DeadLetter, error)
	RetryDeadLetter(ctx context.Context, function, id string) error
	PurgeDeadLetters(ctx context.Context, function string) (int, error)
}

// New returns the dead-letter queue of one function of the local runtime.
func New(rt LocalRuntime, function string) dlq.Queue { return localQueue{rt: rt, fn: function} }

type localQueue struct {
	rt LocalRuntime
	fn string
}

func (q localQueue) List(ctx context.Context) ([]dlq.Message, error) {
	dls, err := q.rt.DeadLetters(ctx, q.fn)
	if err != nil {
		return nil, err
	}
	out := make([]dlq.Message, len(dls))
	for i, dl := range dls {
		out[i] = FromDeadLetter(dl)
	}
	return out, nil
}

func (q localQueue) Retry(ctx context.Context, id string) error {
	err := q.rt.RetryDeadLetter(ctx, q.fn, id)
	if errors.Is(err, localruntime.ErrNoDeadLetter) {
		return fmt.Errorf("%w: %v", dlq.ErrNotFound, err)
	}
	return err
}

func (q localQueue) Purge(ctx context.Context) (int, error) { return q.rt.PurgeDeadLetters(ctx, q.fn) }

// FromDeadLetter turns a local runtime dead letter into a Message,
// classified.
func FromDeadLetter(dl localruntime.DeadLetter) dlq.Message {
	body, err := json.Marshal(dl.Event)
	m := dlq.Message{ID: dl.ID, Function: dl.Function, EventID: dl.Event.ID(), EventType: dl.Event.Type(),
		Error: dl.LastError, ErrorType: dl.LastErrorType, ReceiveCount: dl.Receives,
		FirstFailure: dl.FirstFailedAt, FirstError: dl.FirstError, EnqueuedAt: dl.EnqueuedAt, DeadAt: dl.DeadAt, Body: string(body)}
	if err == nil {
		err = dl.Event.Validate()
	}
	dlq.Classify(&m, err)
	return m
}
