package localruntime

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// message is one queued event, as stored.
type message struct {
	ID    string            `json:"id"`
	Event cloudevents.Event `json:"event"`
	// Receives counts the deliveries started, saved before the handler
	// runs, so a process killed mid-handler does not redeliver forever.
	Receives int `json:"receives"`
	// LastError is the error of the last failed receive.
	LastError     string `json:"lastError,omitempty"`
	LastErrorType string `json:"lastErrorType,omitempty"`
	// FirstError and FirstFailedAt are the first failed receive's.
	FirstError    string    `json:"firstError,omitempty"`
	FirstFailedAt time.Time `json:"firstFailedAt,omitempty"`
	EnqueuedAt    time.Time `json:"enqueuedAt"`
	DeadAt        time.Time `json:"deadAt,omitempty"`
	// VisibleAt is when the message may be received again: the end of its
	// visibility timeout while in flight, or of its retry delay after a
	// failure. Zero means now.
	VisibleAt time.Time `json:"visibleAt,omitempty"`
}

// DeadLetter is an event a queue gave up on.
type DeadLetter struct {
	ID            string `json:"id"`
	Function      string `json:"function"`
	Receives      int    `json:"receives"`
	LastError     string `json:"lastError"`
	LastErrorType string `json:"lastErrorType"`
	// FirstError and FirstFailedAt are the first failed receive's (zero
	// for dead letters written before they were recorded, and for events
	// never acknowledged at all).
	FirstError    string            `json:"firstError,omitempty"`
	FirstFailedAt time.Time         `json:"firstFailedAt,omitempty"`
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
	DeadLetters int    `json:"deadLetters"` // from a counter, not a listing
	MaxReceives int    `json:"maxReceives"`
	// VisibilityTimeoutSeconds is how long a received event stays hidden.
	VisibilityTimeoutSeconds int `json:"visibilityTimeoutSeconds"`
}

func queuePartition(fn string) string { return "runtime.queue#" + fn }
func dlqPartition(fn string) string   { return "runtime.dlq#" + fn }

// deadLetterCount is the counter of a function's dead letters, so counting
// them does not load them all.
func deadLetterCount(fn string) store.Key {
	return store.Key{Partition: "runtime.queuestats#" + fn, Sort: "deadLetters"}
}

// Error names of the local queue's own failures.
const (
	// ErrVisibilityTimeout: the handler neither succeeded nor failed within
	// the queue's visibility timeout; the event is delivered again.
	ErrVisibilityTimeout = "CogniForge.VisibilityTimeout"
	// ErrNotAcknowledged: the event was received MaxReceives times without
	// an outcome (the process stopped mid-handler each time).
	ErrNotAcknowledged = "CogniForge.NotAcknowledged"
)

// DefaultVisibilityTimeout is SQS's default visibility timeout.
const DefaultVisibilityTimeout = 30 * time.Second

// queue delivers events to one function with SQS's at-least-once semantics:
// a receive hides the message for the visibility timeout and counts (saved
// before the handler runs); success deletes it; a failure makes it visible
// again after the retry delay, an expired visibility timeout at once; on the
// receive after MaxReceives it goes to the dead letters instead.
type queue struct {
	fn          string
	handler     faas.Handler
	store       store.Store
	clock       Clock
	log         *slog.Logger
	maxReceives int
	retryDelay  time.Duration
	visibility  time.Duration
	workers     int

	mu      sync.Mutex
	cond    *sync.Cond
	ready   []*message
	delayed int // messages waiting in timers to become visible again
	// live holds the ids of the messages this process has enqueued and not
	// yet acknowledged, so recovery does not load them a second time.
	live   map[string]bool
	closed bool
	// timers is the due-time index of everything waiting on the clock
	// (delayed redeliveries, visibility deadlines, store retries), served by
	// one clock timer armed for the earliest.
	timers    timerHeap
	stopTimer func() bool
	armedAt   time.Time

	seq       atomic.Int64
	inFlight  atomic.Int64
	delivered atomic.Int64
	failed    atomic.Int64
	idle      sync.Cond // signalled when pending work may have drained
}

func newQueue(fn string, h faas.Handler, cfg *Config) *queue {
	q := &queue{
		fn: fn, handler: h, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger,
		maxReceives: cfg.MaxReceives, retryDelay: cfg.RetryDelay, visibility: cfg.VisibilityTimeout, workers: cfg.Workers,
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
	m := &message{ID: q.newID(), Event: e.Clone(), EnqueuedAt: q.clock.Now().UTC()}
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
	delay := backoffDelay(q.retryDelay, attempt)
	q.log.Error("runtime: could not enqueue, will try again", "function", q.fn, "id", e.ID(), "type", e.Type(),
		"retryIn", delay.String(), "error", err)
	q.later(delay, true, func() { q.enqueueRetrying(ctx, e, attempt+1) })
}

// maxRetryDelay caps the wait between tries (RetryDelay's "up to a minute").
const maxRetryDelay = time.Minute

// backoffDelay is the wait before try n+1 (n counts from 0): base doubled n
// times, at most maxRetryDelay. It is backoff/v5's ExponentialBackOff
// (as the orders and sfnlocal retry loops use) stepped n times from a
// fresh start, because what survives a restart is the message's receive
// count, not an iterator: the nth delay must follow from n alone. The loop
// stops at the cap, so it runs at most ~40 steps whatever n is. No jitter
// (RandomizationFactor 0): one local process has no herd of instances to
// spread, and the tests wait for exact due times on a fake clock.
func backoffDelay(base time.Duration, n int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: min(base, maxRetryDelay), Multiplier: 2, MaxInterval: maxRetryDelay}
	d := b.NextBackOff()
	for ; n > 0 && d < maxRetryDelay; n-- {
		d = b.NextBackOff()
	}
	return d
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

// pushAt makes m ready at its VisibleAt.
func (q *queue) pushAt(m *message) {
	if d := m.VisibleAt.Sub(q.clock.Now()); d > 0 {
		q.later(d, true, func() { q.push(m) })
		return
	}
	q.push(m)
}

// recover loads the messages a previous run left unacknowledged: each one
// becomes visible when its saved visibility timeout or retry delay ends, as
// on SQS. It also starts the dead-letter counter of a data directory written
// before there was one.
func (q *queue) recover(ctx context.Context) (int, error) {
	if _, err := q.store.Get(ctx, deadLetterCount(q.fn)); errors.Is(err, store.ErrNotFound) {
		dls, err := q.store.Query(ctx, dlqPartition(q.fn), "", 0)
		if err != nil {
			return 0, fmt.Errorf("runtime: count dead letters of %s: %w", q.fn, err)
		}
		if _, err := q.store.Add(ctx, deadLetterCount(q.fn), int64(len(dls))); err != nil {
			return 0, fmt.Errorf("runtime: count dead letters of %s: %w", q.fn, err)
		}
	} else if err != nil {
		return 0, fmt.Errorf("runtime: count dead letters of %s: %w", q.fn, err)
	}
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
			q.pushAt(m)
			n++
		}
	}
	return n, nil
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	if q.stopTimer != nil {
		q.stopTimer()
		q.stopTimer = nil
	}
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

// errVisibilityExpired is the cause of a delivery context cancelled because
// the visibility timeout passed.
var errVisibilityExpired = errors.New("runtime: visibility timeout expired")

// deliver receives m: it counts the receive (saved before the handler
// runs), runs the handler with a context cancelled when the visibility
// timeout ends, and acknowledges, retries or dead-letters m by the outcome.
// A handler still running when the visibility timeout ends is abandoned
// (its context cancelled) so it does not hold a worker, and m is delivered
// again.
func (q *queue) deliver(ctx context.Context, m *message) {
	defer func() {
		q.inFlight.Add(-1)
		q.mu.Lock()
		q.idle.Broadcast()
		q.mu.Unlock()
	}()
	if m.Receives >= q.maxReceives {
		// SQS moves a message on the receive after maxReceiveCount; here
		// that happens when every receive ended with the process stopping.
		if m.LastErrorType == "" {
			m.LastErrorType = ErrNotAcknowledged
			m.LastError = fmt.Sprintf("received %d times without being acknowledged", m.Receives)
		}
		q.deadLetter(ctx, m)
		return
	}
	now := q.clock.Now()
	m.Receives++
	m.VisibleAt = now.Add(q.visibility).UTC()
	if err := q.save(ctx, m); err != nil {
		// Not received: a receive that cannot be counted might repeat forever.
		m.Receives--
		m.VisibleAt = now.Add(q.retryDelay).UTC()
		q.log.Error("runtime: could not count a receive, will try again", "function", q.fn, "id", m.Event.ID(),
			"retryIn", q.retryDelay.String(), "error", err)
		q.later(q.retryDelay, true, func() { q.push(m) })
		return
	}
	dctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if _, real := q.clock.(RealClock); real {
		// A real deadline too, so the Timeout middleware can give up (and
		// name the failure) just before the message reappears.
		var stop context.CancelFunc
		dctx, stop = context.WithDeadline(dctx, m.VisibleAt)
		defer stop()
	}
	expiry := q.later(q.visibility, false, func() { cancel(errVisibilityExpired) })
	done := make(chan error, 1)
	go func() {
		_, err := q.handler(dctx, m.Event)
		done <- err
	}()
	var err error
	finished := true // err is final: the handler returned, or was abandoned
	select {
	case err = <-done:
	case <-dctx.Done():
		if ctx.Err() != nil {
			finished = false
			break
		}
		select {
		case err = <-done: // it did finish
		default:
			err = &faas.Error{Name: ErrVisibilityTimeout, Retryable: true,
				Message: fmt.Sprintf("no outcome within the visibility timeout (%s); the handler was cancelled", q.visibility)}
		}
	}
	q.cancelTimer(expiry)
	if ctx.Err() != nil {
		// Shutting down: wait for the handler (its context is cancelled),
		// then leave the message stored, visible at once for the next start,
		// as a consumer stopping gracefully sets its visibility to zero.
		if !finished {
			err = <-done
		}
		if err != nil {
			m.VisibleAt = time.Time{}
			if serr := q.save(context.WithoutCancel(ctx), m); serr != nil {
				q.log.Error("runtime: release message on shutdown", "function", q.fn, "id", m.Event.ID(), "error", serr)
			}
			return
		}
	}
	if err == nil {
		q.delivered.Add(1)
		q.forget(m.ID)
		if derr := q.store.Delete(context.WithoutCancel(ctx), store.Key{Partition: queuePartition(q.fn), Sort: m.ID}, store.Condition{}); derr != nil {
			q.log.Error("runtime: acknowledge queued event", "function", q.fn, "id", m.Event.ID(), "error", derr)
		}
		return
	}
	q.failed.Add(1)
	m.LastError, m.LastErrorType = err.Error(), faas.ErrorName(err)
	if m.FirstFailedAt.IsZero() {
		m.FirstError, m.FirstFailedAt = m.LastError, q.clock.Now().UTC()
	}
	if m.Receives >= q.maxReceives {
		q.deadLetter(ctx, m)
		return
	}
	delay := backoffDelay(q.retryDelay, m.Receives-1)
	if m.LastErrorType == ErrVisibilityTimeout {
		delay = 0 // visible again the moment its visibility timeout ended
	}
	m.VisibleAt = q.clock.Now().Add(delay).UTC()
	q.log.Warn("runtime: event failed, will redeliver", "function", q.fn, "id", m.Event.ID(),
		"receives", m.Receives, "delay", delay.String(), "errorType", m.LastErrorType, "error", m.LastError)
	if serr := q.save(ctx, m); serr != nil {
		q.log.Error("runtime: store retry state", "function", q.fn, "error", serr)
	}
	q.pushAt(m)
}

// timer is one entry of a queue's due-time index.
type timer struct {
	at      time.Time
	do      func()
	pending bool // holds a message that counts as pending
	index   int  // in the heap; -1 once removed
}

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// later runs do once delay has passed on the queue's clock (not after the
// queue closed). pending says the entry holds a message (counted in Stats).
func (q *queue) later(delay time.Duration, pending bool, do func()) *timer {
	t := &timer{at: q.clock.Now().Add(delay), do: do, pending: pending}
	q.mu.Lock()
	defer q.mu.Unlock()
	heap.Push(&q.timers, t)
	if pending {
		q.delayed++
	}
	q.arm()
	return t
}

// cancelTimer removes t unless it already ran.
func (q *queue) cancelTimer(t *timer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t.index < 0 {
		return
	}
	heap.Remove(&q.timers, t.index)
	if t.pending {
		q.delayed--
	}
	q.arm()
}

// arm sets the clock timer for the earliest entry. q.mu is held.
func (q *queue) arm() {
	if q.closed {
		return
	}
	if len(q.timers) == 0 {
		if q.stopTimer != nil {
			q.stopTimer()
			q.stopTimer = nil
		}
		return
	}
	at := q.timers[0].at
	if q.stopTimer != nil && q.armedAt.Equal(at) {
		return
	}
	if q.stopTimer != nil {
		q.stopTimer()
	}
	q.armedAt = at
	q.stopTimer = q.clock.AfterFunc(at.Sub(q.clock.Now()), q.fire)
}

// fire runs every entry that is due, in due order.
func (q *queue) fire() {
	now := q.clock.Now()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	var due []*timer
	for len(q.timers) > 0 && !q.timers[0].at.After(now) {
		t := heap.Pop(&q.timers).(*timer)
		if t.pending {
			q.delayed--
		}
		due = append(due, t)
	}
	q.stopTimer = nil
	q.arm()
	q.mu.Unlock()
	for _, t := range due {
		t.do()
	}
}

// deadLetter moves m to the dead letters. The write is conditional, so a
// message dead-lettered before a crash that kept it queued is not counted
// twice.
func (q *queue) deadLetter(ctx context.Context, m *message) {
	ctx = context.WithoutCancel(ctx)
	m.DeadAt = q.clock.Now().UTC()
	dl := DeadLetter{ID: m.ID, Function: q.fn, Receives: m.Receives, LastError: m.LastError,
		LastErrorType: m.LastErrorType, FirstError: m.FirstError, FirstFailedAt: m.FirstFailedAt,
		EnqueuedAt: m.EnqueuedAt, DeadAt: m.DeadAt, Event: m.Event}
	b, err := json.Marshal(dl)
	if err == nil {
		_, err = q.store.Put(ctx, store.Item{Key: store.Key{Partition: dlqPartition(q.fn), Sort: m.ID}, Value: b}, store.Condition{IfAbsent: true})
		if err == nil {
			if _, cerr := q.store.Add(ctx, deadLetterCount(q.fn), 1); cerr != nil {
				q.log.Error("runtime: count dead letter", "function", q.fn, "id", m.Event.ID(), "error", cerr)
			}
		} else if errors.Is(err, store.ErrConditionFailed) {
			err = nil // already there
		}
	}
	if err != nil {
		// Keep it queued (stored, so a restart finds it) and try the dead-letter
		// queue again later, without another delivery.
		q.log.Error("runtime: dead-letter failed, event stays queued and is retried", "function", q.fn, "id", m.Event.ID(),
			"retryIn", q.retryDelay.String(), "error", err)
		q.later(q.retryDelay, true, func() { q.deadLetter(ctx, m) })
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
		if err := q.retryDeadLetter(ctx, dl); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// deadLetter returns one dead letter by its id.
func (q *queue) deadLetterByID(ctx context.Context, id string) (DeadLetter, error) {
	it, err := q.store.Get(ctx, store.Key{Partition: dlqPartition(q.fn), Sort: id})
	if errors.Is(err, store.ErrNotFound) {
		return DeadLetter{}, fmt.Errorf("%w %q in the dead letters of %s", ErrNoDeadLetter, id, q.fn)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("runtime: dead letter %s of %s: %w", id, q.fn, err)
	}
	var dl DeadLetter
	if err := json.Unmarshal(it.Value, &dl); err != nil {
		return DeadLetter{}, fmt.Errorf("runtime: dead letter %s of %s: %w", id, q.fn, err)
	}
	return dl, nil
}

// retryDeadLetter puts dl's event back in the queue, with its own event id
// and a fresh receive count, then removes the dead letter. A crash between
// the two leaves both: the event is delivered again and the consumer's
// deduplication (same event id) absorbs it.
func (q *queue) retryDeadLetter(ctx context.Context, dl DeadLetter) error {
	if err := q.enqueue(ctx, dl.Event); err != nil {
		return err
	}
	if err := q.store.Delete(ctx, store.Key{Partition: dlqPartition(q.fn), Sort: dl.ID}, store.Condition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("runtime: redrive %s: %w", q.fn, err)
	}
	if _, err := q.store.Add(ctx, deadLetterCount(q.fn), -1); err != nil {
		return fmt.Errorf("runtime: redrive %s: count: %w", q.fn, err)
	}
	return nil
}

// purge deletes every dead letter.
func (q *queue) purge(ctx context.Context) (int, error) {
	dls, err := q.store.Query(ctx, dlqPartition(q.fn), "", 0)
	if err != nil {
		return 0, fmt.Errorf("runtime: purge dead letters of %s: %w", q.fn, err)
	}
	n := 0
	for _, it := range dls {
		if err := q.store.Delete(ctx, it.Key, store.Condition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, fmt.Errorf("runtime: purge dead letters of %s: %w", q.fn, err)
		}
		if _, err := q.store.Add(ctx, deadLetterCount(q.fn), -1); err != nil {
			return n, fmt.Errorf("runtime: purge dead letters of %s: count: %w", q.fn, err)
		}
		n++
	}
	return n, nil
}

func (q *queue) stats(ctx context.Context) (QueueStats, error) {
	q.mu.Lock()
	pending := len(q.ready) + q.delayed
	q.mu.Unlock()
	dead := 0
	it, err := q.store.Get(ctx, deadLetterCount(q.fn))
	switch {
	case err == nil:
		n, perr := strconv.Atoi(string(it.Value))
		if perr != nil {
			return QueueStats{}, fmt.Errorf("runtime: dead-letter count of %s: %w", q.fn, perr)
		}
		dead = n
	case !errors.Is(err, store.ErrNotFound):
		return QueueStats{}, fmt.Errorf("runtime: count dead letters of %s: %w", q.fn, err)
	}
	return QueueStats{Function: q.fn, Pending: pending, InFlight: q.inFlight.Load(), Delivered: q.delivered.Load(),
		Failed: q.failed.Load(), DeadLetters: dead, MaxReceives: q.maxReceives,
		VisibilityTimeoutSeconds: int(q.visibility / time.Second)}, nil
}
