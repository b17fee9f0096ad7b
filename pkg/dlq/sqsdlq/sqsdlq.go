// Package sqsdlq is the SQS implementation of dlq.Queue: a function's
// dead-letter queue and the queue it feeds, through aws-sdk-go-v2.
//
// SQS has no way to read a message without receiving it, so List receives
// every message (hiding each for the hold time, during which Retry uses its
// receipt handle) and Close makes the ones not retried visible again at
// once. A retry sends the same body and message attributes to the source
// queue, then deletes the dead letter: a crash between the two leaves a
// duplicate that consumers drop by event id, never a loss. (SQS's
// StartMessageMoveTask would move messages server-side; moto does not
// implement it, and it cannot skip poison messages, so receive/send is used
// everywhere.)
//
// A Queue is safe for concurrent use.
package sqsdlq

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/cogniforge/cogniforge/pkg/dlq"
)

// API is the part of the SQS client a Queue uses; *sqs.Client implements it.
type API interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Config configures a Queue.
type Config struct {
	Client API
	// Function names the function, for messages.
	Function string
	// DLQURL is the dead-letter queue; SourceURL the queue retries go back
	// to. Both required.
	DLQURL, SourceURL string
	// Hold is how long List hides what it received. Zero means 60s.
	Hold time.Duration
}

// Validate reports every missing setting.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("sqsdlq: Config.Client is required"))
	}
	if c.DLQURL == "" || c.SourceURL == "" {
		errs = append(errs, errors.New("sqsdlq: Config.DLQURL and Config.SourceURL are required"))
	}
	return errors.Join(errs...)
}

// Queue is one function's SQS dead-letter queue.
type Queue struct {
	cfg  Config
	mu   sync.Mutex
	held map[string]held // by MessageId
}

type held struct {
	msg    sqstypes.Message
	parsed dlq.Message
}

var _ dlq.Queue = (*Queue)(nil)

// New returns a Queue.
func New(cfg Config) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Hold == 0 {
		cfg.Hold = time.Minute
	}
	return &Queue{cfg: cfg, held: map[string]held{}}, nil
}

// List receives every dead letter, oldest sent first.
func (q *Queue) List(ctx context.Context) ([]dlq.Message, error) {
	// Short polling samples a subset of SQS's servers, so one empty
	// answer does not mean an empty queue: stop after two in a row.
	empty := 0
	for range 1000 { // at most 10,000 messages a listing
		out, err := q.cfg.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.cfg.DLQURL), MaxNumberOfMessages: 10, VisibilityTimeout: int32(q.cfg.Hold / time.Second),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return nil, fmt.Errorf("sqsdlq: receive from %s: %w", q.cfg.DLQURL, err)
		}
		if len(out.Messages) == 0 {
			if empty++; empty == 2 {
				break
			}
			continue
		}
		empty = 0
		q.mu.Lock()
		for _, m := range out.Messages {
			q.held[aws.ToString(m.MessageId)] = held{msg: m, parsed: q.parse(m)}
		}
		q.mu.Unlock()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	type sorted struct {
		sent int64
		m    dlq.Message
	}
	var all []sorted
	for _, h := range q.held {
		sent, _ := strconv.ParseInt(h.msg.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64)
		all = append(all, sorted{sent, h.parsed})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].sent != all[j].sent {
			return all[i].sent < all[j].sent
		}
		return all[i].m.ID < all[j].m.ID
	})
	res := make([]dlq.Message, len(all))
	for i, s := range all {
		res[i] = s.m
	}
	return res, nil
}

func (q *Queue) parse(m sqstypes.Message) dlq.Message {
	attr := func(n sqstypes.MessageSystemAttributeName) string { return m.Attributes[string(n)] }
	ms := func(s string) time.Time {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v == 0 {
			return time.Time{}
		}
		return time.UnixMilli(v).UTC()
	}
	out := dlq.Message{ID: aws.ToString(m.MessageId), Function: q.cfg.Function, Body: aws.ToString(m.Body),
		FirstFailure: ms(attr(sqstypes.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)),
		EnqueuedAt:   ms(attr(sqstypes.MessageSystemAttributeNameSentTimestamp))}
	if n, err := strconv.Atoi(attr(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)); err == nil {
		out.ReceiveCount = max(n-1, 0) // not counting this listing's receive
	}
	// Lambda's asynchronous-invocation dead letters carry the error.
	if v, ok := m.MessageAttributes["ErrorCode"]; ok {
		out.ErrorType = aws.ToString(v.StringValue)
	}
	if v, ok := m.MessageAttributes["ErrorMessage"]; ok {
		out.Error = aws.ToString(v.StringValue)
	}
	e, err := dlq.DecodeBody([]byte(out.Body))
	if err == nil {
		out.EventID, out.EventType = e.ID(), e.Type()
	}
	dlq.Classify(&out, err)
	return out
}

// Retry sends the dead letter's body and attributes to the source queue,
// then deletes it from the dead letters.
func (q *Queue) Retry(ctx context.Context, id string) error {
	h, ok := q.take(id)
	if !ok {
		if _, err := q.List(ctx); err != nil {
			return err
		}
		if h, ok = q.take(id); !ok {
			return fmt.Errorf("%w: %q in %s", dlq.ErrNotFound, id, q.cfg.DLQURL)
		}
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.cfg.SourceURL), MessageBody: h.msg.Body}
	if len(h.msg.MessageAttributes) > 0 {
		in.MessageAttributes = h.msg.MessageAttributes
	}
	if g := h.msg.Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]; g != "" {
		in.MessageGroupId = aws.String(g)
		in.MessageDeduplicationId = h.msg.MessageId
	}
	if _, err := q.cfg.Client.SendMessage(ctx, in); err != nil {
		q.put(id, h)
		return fmt.Errorf("sqsdlq: send %s back to %s: %w", id, q.cfg.SourceURL, err)
	}
	if _, err := q.cfg.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.cfg.DLQURL), ReceiptHandle: h.msg.ReceiptHandle}); err != nil {
		return fmt.Errorf("sqsdlq: %s was sent back but not deleted from the dead letters (consumers will see it twice): %w", id, err)
	}
	return nil
}

func (q *Queue) take(id string) (held, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	h, ok := q.held[id]
	if !ok {
		for k, v := range q.held { // an event id works too
			if v.parsed.EventID == id {
				h, ok, id = v, true, k
				break
			}
		}
	}
	if ok {
		delete(q.held, id)
	}
	return h, ok
}

func (q *Queue) put(id string, h held) {
	q.mu.Lock()
	q.held[id] = h
	q.mu.Unlock()
}

// Purge deletes every dead letter and returns how many.
func (q *Queue) Purge(ctx context.Context) (int, error) {
	ms, err := q.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		h, ok := q.take(m.ID)
		if !ok {
			continue
		}
		if _, err := q.cfg.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.cfg.DLQURL), ReceiptHandle: h.msg.ReceiptHandle}); err != nil {
			return n, fmt.Errorf("sqsdlq: delete %s: %w", m.ID, err)
		}
		n++
	}
	return n, nil
}

// Close makes every message List received and nobody retried visible
// again at once.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	hs := q.held
	q.held = map[string]held{}
	q.mu.Unlock()
	var errs []error
	for id, h := range hs {
		if _, err := q.cfg.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(q.cfg.DLQURL), ReceiptHandle: h.msg.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			errs = append(errs, fmt.Errorf("sqsdlq: release %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
