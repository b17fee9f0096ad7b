package localruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// message is one queued event, as stored.
type message struct {
	ID       string            `json:"id"`
	Event    cloudevents.Event `json:"event"`
	Receives int               `json:"receives"`
	// LastError is the error of the last failed receive.
	LastError     string    `json:"lastError,omitempty"`
	LastErrorType string    `json:"lastErrorType,omitempty"`
	EnqueuedAt    time.Time `json:"enqueuedAt"`
	DeadAt        time.Time `json:"deadAt,omitempty"`
}

// DeadLetter is an event a queue gave up on.
type DeadLetter struct {
	ID            string            `json:"id"`
	Function      string            `json:"function"`
	Receives      int               `json:"receives"`
	LastError     string            `json:"lastError"`
	LastErrorType string            `json:"lastErrorType"`
	EnqueuedAt    time.Time         `json:"enqueuedAt"`
	DeadAt        time.Time         `json:"deadAt"`
	Event         cloudevents.Event `json:"event"`
}

// QueueStats is a snapshot of one queue.
type QueueStats struct {
	Function    string `json:"function"`
	Pending     int    `json:"pending"`  // waiting, ready or delayed
	InFlight    int64  `json:"inFlight"` // being handled
	Delivered   int64  `json:"delivered"`
	Failed      int64  `json:"failedReceives"`
	DeadLetters int    `json:"deadLetters"`
	MaxReceives int    `json:"maxReceives"`
}

func queuePartition(fn string) string { return "runtime.queue#" + fn }
func dlqPartition(fn string) string   { return "runtime.dlq#" + fn }

// queue delivers events to one function with at-least-once semantics.
type queue struct {
	fn          string
	handler     faas.Handler
	store       store.Store
	clock       Clock
	log         *slog.Logger
	maxReceives int
	retryDelay  time.Duration
	workers     int

	mu      sync.Mutex
	cond    *sync.Cond
	ready   []*message
	delayed int
	// live holds the ids of the messages this process has enqueued and not
	// yet acknowledged, so recovery does not load them a second time.
	live   map[string]bool
	closed bool

	seq       atomic.Int64
	inFlight  atomic.Int64
	delivered atomic.Int64
	failed    atomic.Int64
	idle      sync.Cond // signalled when pending work may have drained
}

func newQueue(fn string, h faas.Handler, cfg *Config) *queue {
	q := &queue{
		fn: fn, handler: h, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger,
		maxReceives: cfg.MaxReceives, retryDelay: cfg.RetryDelay, workers: cfg.Workers,
	}
	q.live = map[string]bool{}
	q.cond = sync.NewCond(&q.mu)
	q.idle.L = &q.mu
	return q
}

func (q *queue) newID() string {
	// Sortable: enqueue time then a sequence number.
	return fmt.Sprintf("%020d-%06d", q.clock.Now().UnixNano(), q.seq.Add(1)%1_000_000)
}

// enqueue stores the event, then makes it ready. It returns only once the
// message is in the store, so an accepted event survives a crash.
func (q *queue) enqueue(ctx context.Context, e cloudevents.Event) error {
	m := &message{ID: q.newID(), Event: e, EnqueuedAt: q.clock.Now().UTC()}
	q.mu.Lock()
	q.live[m.ID] = true
	q.mu.Unlock()
	if err := q.save(ctx, m); err != nil {
		q.forget(m.ID)
		return err
	}
	q.push(m)
	return nil
}

// enqueueRetrying enqueues e like enqueue, for senders that cannot be told
// no (a schedule firing): while the store refuses it, it tries again after
// the retry delay, doubling up to a minute, until ctx ends.
func (q *queue) enqueueRetrying(ctx context.Context, e cloudevents.Event, attempt int) {
	err := q.enqueue(ctx, e)
	if err == nil || ctx.Err() != nil {
		return
	}
	delay := q.retryDelay << attempt
	if delay > time.Minute || delay <= 0 {
		delay = time.Minute
	}
	q.log.Error("runtime: could not enqueue, will try again", "function", q.fn, "id", e.ID(), "type", e.Type(),
		"retryIn", delay.String(), "error", err)
	q.later(ctx, delay, func() { q.enqueueRetrying(ctx, e, attempt+1) })
}

func (q *queue) forget(id string) {
	q.mu.Lock()
	delete(q.live, id)
	q.mu.Unlock()
}

func (q *queue) save(ctx context.Context, m *message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("runtime: encode queued event %s: %w", m.Event.ID(), err)
	}
	_, err = q.store.Put(ctx, store.Item{Key: store.Key{Partition: queuePartition(q.fn), Sort: m.ID}, Value: b}, store.Condition{})
	if err != nil {
		return fmt.Errorf("runtime: store queued event %s for %s: %w", m.Event.ID(), q.fn, err)
	}
	return nil
}

func (q *queue) push(m *message) {
	q.mu.Lock()
	q.ready = append(q.ready, m)
	q.mu.Unlock()
	q.cond.Signal()
}

// recover loads the messages a previous run left unacknowledged.
func (q *queue) recover(ctx context.Context) (int, error) {
	items, err := q.store.Query(ctx, queuePartition(q.fn), "", 0)
	if err != nil {
		return 0, fmt.Errorf("runtime: recover queue %s: %w", q.fn, err)
	}
	n := 0
	for _, it := range items {
		m := new(message)
		if err := json.Unmarshal(it.Value, m); err != nil {
			return 0, fmt.Errorf("runtime: recover queue %s: message %s: %w", q.fn, it.Key.Sort, err)
		}
		q.mu.Lock()
		known := q.live[m.ID]
		q.live[m.ID] = true
		q.mu.Unlock()
		if !known {
			q.push(m)
			n++
		}
	}
	return n, nil
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *queue) run(ctx context.Context, wg *sync.WaitGroup) {
	for i := 0; i < q.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m := q.next()
				if m == nil {
					return
				}
				q.deliver(ctx, m)
			}
		}()
	}
}

func (q *queue) next() *message {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil
	}
	m := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	q.inFlight.Add(1)
	return m
}

func (q *queue) deliver(ctx context.Context, m *message) {
	defer func() {
		q.inFlight.Add(-1)
		q.mu.Lock()
		q.idle.Broadcast()
		q.mu.Unlock()
	}()
	m.Receives++
	_, err := q.handler(ctx, m.Event)
	if ctx.Err() != nil {
		// Shutting down: leave the message stored for the next start.
		return
	}
	if err == nil {
		q.delivered.Add(1)
		q.forget(m.ID)
		if derr := q.store.Delete(ctx, store.Key{Partition: queuePartition(q.fn), Sort: m.ID}, store.Condition{}); derr != nil {
			q.log.Error("runtime: acknowledge queued event", "function", q.fn, "id", m.Event.ID(), "error", derr)
		}
		return
	}
	q.failed.Add(1)
	m.LastError, m.LastErrorType = err.Error(), faas.ErrorName(err)
	if m.Receives >= q.maxReceives || permanent(err) {
		q.deadLetter(ctx, m)
		return
	}
	delay := q.retryDelay << (m.Receives - 1)
	if delay > time.Minute || delay <= 0 {
		delay = time.Minute
	}
	q.log.Warn("runtime: event failed, will redeliver", "function", q.fn, "id", m.Event.ID(),
		"receives", m.Receives, "delay", delay.String(), "errorType", m.LastErrorType, "error", m.LastError)
	if serr := q.save(ctx, m); serr != nil {
		q.log.Error("runtime: store retry count", "function", q.fn, "error", serr)
	}
	q.later(ctx, delay, func() { q.push(m) })
}

// later runs do after delay on the queue's clock, unless ctx ends first; the
// message it holds counts as pending meanwhile.
func (q *queue) later(ctx context.Context, delay time.Duration, do func()) {
	q.mu.Lock()
	q.delayed++
	q.mu.Unlock()
	after := q.clock.After(delay)
	go func() {
		select {
		case <-after:
		case <-ctx.Done():
		}
		q.mu.Lock()
		q.delayed--
		q.mu.Unlock()
		if ctx.Err() == nil {
			do()
		}
	}()
}

func (q *queue) deadLetter(ctx context.Context, m *message) {
	m.DeadAt = q.clock.Now().UTC()
	dl := DeadLetter{ID: m.ID, Function: q.fn, Receives: m.Receives, LastError: m.LastError,
		LastErrorType: m.LastErrorType, EnqueuedAt: m.EnqueuedAt, DeadAt: m.DeadAt, Event: m.Event}
	b, err := json.Marshal(dl)
	if err == nil {
		_, err = q.store.Put(ctx, store.Item{Key: store.Key{Partition: dlqPartition(q.fn), Sort: m.ID}, Value: b}, store.Condition{})
	}
	if err != nil {
		// Keep it queued (stored, so a restart finds it) and try the dead-letter
		// queue again later, without another delivery.
		q.log.Error("runtime: dead-letter failed, event stays queued and is retried", "function", q.fn, "id", m.Event.ID(),
			"retryIn", q.retryDelay.String(), "error", err)
		q.later(ctx, q.retryDelay, func() { q.deadLetter(ctx, m) })
		return
	}
	q.forget(m.ID)
	if err := q.store.Delete(ctx, store.Key{Partition: queuePartition(q.fn), Sort: m.ID}, store.Condition{}); err != nil {
		q.log.Error("runtime: remove dead-lettered event from queue", "function", q.fn, "error", err)
	}
	q.log.Error("runtime: event dead-lettered", "function", q.fn, "id", m.Event.ID(), "type", m.Event.Type(),
		"receives", m.Receives, "errorType", m.LastErrorType, "error", m.LastError)
}

func (q *queue) deadLetters(ctx context.Context) ([]DeadLetter, error) {
	items, err := q.store.Query(ctx, dlqPartition(q.fn), "", 0)
	if err != nil {
		return nil, fmt.Errorf("runtime: list dead letters of %s: %w", q.fn, err)
	}
	out := make([]DeadLetter, 0, len(items))
	for _, it := range items {
		var dl DeadLetter
		if err := json.Unmarshal(it.Value, &dl); err != nil {
			return nil, fmt.Errorf("runtime: dead letter %s of %s: %w", it.Key.Sort, q.fn, err)
		}
		out = append(out, dl)
	}
	return out, nil
}

// redrive moves every dead letter back into the queue with a fresh count.
func (q *queue) redrive(ctx context.Context) (int, error) {
	dls, err := q.deadLetters(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, dl := range dls {
		if err := q.enqueue(ctx, dl.Event); err != nil {
			return n, err
		}
		if err := q.store.Delete(ctx, store.Key{Partition: dlqPartition(q.fn), Sort: dl.ID}, store.Condition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, fmt.Errorf("runtime: redrive %s: %w", q.fn, err)
		}
		n++
	}
	return n, nil
}

func (q *queue) stats(ctx context.Context) (QueueStats, error) {
	q.mu.Lock()
	pending := len(q.ready) + q.delayed
	q.mu.Unlock()
	dl, err := q.store.Query(ctx, dlqPartition(q.fn), "", 0)
	if err != nil {
		return QueueStats{}, fmt.Errorf("runtime: count dead letters of %s: %w", q.fn, err)
	}
	return QueueStats{Function: q.fn, Pending: pending, InFlight: q.inFlight.Load(), Delivered: q.delivered.Load(),
		Failed: q.failed.Load(), DeadLetters: len(dl), MaxReceives: q.maxReceives}, nil
}

// permanent reports whether no redelivery can help: the event itself is
// invalid or of a kind the function does not take. Such an event goes to
// the dead letters at once instead of after MaxReceives tries.
func permanent(err error) bool {
	switch faas.ErrorName(err) {
	case faas.ErrInvalidEvent, faas.ErrUnsupported:
		return true
	}
	return false
}
