package adapter

import (
	"context"
	"log/slog"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// ErrNotProcessed names the failure of an event of an ordered (FIFO) batch
// that was not handled because an earlier event of its message group failed:
// it is reported as failed so the queue delivers it again, after the one
// that failed.
const ErrNotProcessed = "CogniForge.NotProcessed"

func notProcessed() error {
	return &faas.Error{Name: ErrNotProcessed, Message: "not processed: an earlier event of its message group failed", Retryable: true}
}

// RunBatch handles a batch of events (pre[i] non-nil marks an event that
// already failed decoding: it is not handled and fails with pre[i]) and
// returns one result per event. Every event goes through the same chain as
// a single event (o.Handler): with fn.Batch unset, h is called per event in
// order; with fn.Batch set, see RunOrdered. It never panics.
func RunBatch(ctx context.Context, fn faas.Function, o Options, h faas.Handler, evs []cloudevents.Event, pre []error) []faas.Result {
	return RunOrdered(ctx, fn, o, h, evs, pre, nil)
}

// RunOrdered is RunBatch for an ordered batch (an SQS FIFO queue): groups[i]
// is the message group of evs[i], and within a group every event after the
// first failure is not handled and fails with ErrNotProcessed, so the queue
// delivers the group again in order. Nil groups means no order (RunBatch).
//
// With fn.Batch set, every event still runs through the whole per-event
// chain (tracing, logging, recovery, timeout, validation, Consume types, the
// WithMiddleware ones such as idempotency), concurrently: the innermost
// handler hands the event to a collector instead of fn.Handler, and once
// every event has either arrived there or been answered by the chain itself
// (invalid, an idempotent duplicate...), fn.Batch is called once with the
// events that arrived, in batch order, and each gets its own result back
// through the chain, whose after-parts (logging, idempotency records,
// timeouts) so see real results. The batch call has its own span, linked to
// the events' spans. In an ordered batch, events after an early failure of
// their group are left out of the batch call; a failure the batch handler
// reports fails the later events of its group with ErrNotProcessed although
// the batch handler saw them (they are delivered again: handlers on FIFO
// queues must be idempotent, as at-least-once delivery requires anyway).
func RunOrdered(ctx context.Context, fn faas.Function, o Options, h faas.Handler, evs []cloudevents.Event, pre []error, groups []string) []faas.Result {
	results := make([]faas.Result, len(evs))
	for i := range pre {
		if pre[i] != nil {
			o.Logger.LogAttrs(telemetry.WithIDs(ctx, evs[i].ID(), faas.CorrelationID(evs[i])), middleware.LevelFor(pre[i]), "event failed",
				slog.String("type", evs[i].Type()), slog.String("errorType", faas.ErrorName(pre[i])), slog.String("error", pre[i].Error()))
		}
	}
	if fn.Batch != nil {
		runCollected(ctx, fn, o, evs, pre, groups, results)
		return results
	}
	var failed map[string]bool
	if groups != nil {
		failed = map[string]bool{}
	}
	for i := range evs {
		switch {
		case failed != nil && failed[groups[i]]:
			results[i].Err = notProcessed()
		case pre[i] != nil:
			results[i].Err = pre[i]
		default:
			results[i].Event, results[i].Err = h(ctx, evs[i])
		}
		if failed != nil && results[i].Err != nil {
			failed[groups[i]] = true
		}
	}
	return results
}

// slotKey carries an event's place in its batch down the chain, so the
// innermost handler knows which collector and index an event belongs to.
type slotKey struct{}

type slot struct {
	c *collector
	i int
}

// collector gathers the events of one batch that reach the end of the chain
// and calls fn.Batch once every event is settled.
type collector struct {
	fn     faas.Function
	o      Options
	ctx    context.Context
	groups []string

	mu      sync.Mutex
	pending int // events not settled yet
	arrived []bool
	evs     []cloudevents.Event // as they arrived (middleware may change them)
	checked []bool              // evs[i] arrived marked valid by o.Validator
	links   []trace.Link
	early   []error // failures answered before the end of the chain
	ran     bool
	out     []faas.Result
	done    chan struct{}
}

func runCollected(ctx context.Context, fn faas.Function, o Options, evs []cloudevents.Event, pre []error, groups []string, results []faas.Result) {
	c := &collector{fn: fn, o: o, ctx: ctx, groups: groups, arrived: make([]bool, len(evs)),
		evs: make([]cloudevents.Event, len(evs)), checked: make([]bool, len(evs)), early: make([]error, len(evs)), done: make(chan struct{})}
	copy(c.early, pre)
	for i := range pre {
		if pre[i] == nil {
			c.pending++
		} else {
			results[i].Err = pre[i]
		}
	}
	if c.pending == 0 {
		return
	}
	inner := func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		s, ok := ctx.Value(slotKey{}).(slot)
		if !ok {
			// A middleware dropped the context: run this event on its own.
			return c.alone(ctx, ev)
		}
		return s.c.arrive(ctx, s.i, ev)
	}
	chained := o.Handler(faas.Function{Name: fn.Name, Consumes: fn.Consumes, Handler: inner})
	one := func(i int) {
		results[i].Event, results[i].Err = chained(context.WithValue(ctx, slotKey{}, slot{c, i}), evs[i])
		c.settle(i, results[i].Err)
	}
	// Every event but the last on a goroutine of its own; the last on this
	// one, which saves a goroutine and a wake-up per batch.
	last := len(evs) - 1
	for pre[last] != nil {
		last--
	}
	var wg sync.WaitGroup
	for i := range last {
		if pre[i] != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			one(i)
		}()
	}
	one(last)
	wg.Wait()
}

// arrive registers event i at the end of the chain, runs the batch when it
// is the last to settle, and waits for its own result.
func (c *collector) arrive(ctx context.Context, i int, ev cloudevents.Event) (*cloudevents.Event, error) {
	c.mu.Lock()
	if c.ran || c.arrived[i] {
		// Called again after the batch ran (a retrying middleware): alone.
		c.mu.Unlock()
		return c.alone(ctx, ev)
	}
	c.arrived[i] = true
	c.evs[i] = ev
	c.checked[i] = middleware.Validated(ctx, c.o.Validator, ev)
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		c.links = append(c.links, trace.Link{SpanContext: sc})
	}
	c.pending--
	last := c.pending == 0
	c.mu.Unlock()
	if last {
		// On its own goroutine, so this event can still give up when its
		// own deadline passes during the batch call.
		go c.run()
	}
	select {
	case <-c.done:
		return c.out[i].Event, c.out[i].Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// settle records that event i left the chain; one that never arrived
// (answered by a middleware) no longer holds the batch back.
func (c *collector) settle(i int, err error) {
	c.mu.Lock()
	if c.arrived[i] {
		c.mu.Unlock()
		return
	}
	c.arrived[i] = true // settled
	c.early[i] = err
	if err == nil {
		c.early[i] = errAnswered
	}
	c.pending--
	last := c.pending == 0 && !c.ran
	c.mu.Unlock()
	if last {
		c.run()
	}
}

// errAnswered marks, for ordering only, an event a middleware answered with
// success before the end of the chain (an idempotent duplicate).
var errAnswered error = &faas.Error{Name: "CogniForge.Answered"}

// run calls fn.Batch with the events that arrived, in batch order.
func (c *collector) run() {
	c.mu.Lock()
	c.ran = true
	c.mu.Unlock()
	defer close(c.done)
	n := len(c.evs)
	c.out = make([]faas.Result, n)
	var failed map[string]bool
	if c.groups != nil {
		failed = map[string]bool{}
	}
	idx := make([]int, 0, n)
	valid := make([]cloudevents.Event, 0, n)
	var checked []cloudevents.Event
	for i := 0; i < n; i++ {
		early := c.early[i]
		switch {
		case early != nil && early != errAnswered:
			if failed != nil {
				failed[c.groups[i]] = true
			}
		case early != nil:
		case failed != nil && failed[c.groups[i]]:
			c.out[i].Err = notProcessed()
		default:
			idx = append(idx, i)
			valid = append(valid, c.evs[i])
			if c.checked[i] {
				checked = append(checked, c.evs[i])
			}
		}
	}
	if len(valid) == 0 {
		return
	}
	// The batch handler learns which events the chain's Validate already
	// checked, as a handler of one event does from its context.
	ctx := middleware.WithValidated(c.ctx, c.o.Validator, checked...)
	if c.o.TracerProvider != nil && !c.o.NoDefaults {
		var span trace.Span
		ctx, span = c.o.TracerProvider.Tracer(middleware.TracerName).Start(ctx, "process batch", trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithLinks(c.links...))
		defer span.End()
	}
	if d, ok := ctx.Deadline(); ok && c.o.TimeoutMargin > 0 && time.Until(d) > 2*c.o.TimeoutMargin {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-c.o.TimeoutMargin))
		defer cancel()
	}
	out, err := CallBatch(ctx, c.fn.Batch, c.o, valid)
	for j, i := range idx {
		if err != nil {
			c.out[i].Err = err
		} else {
			c.out[i] = out[j]
		}
	}
	if c.groups == nil {
		return
	}
	// In order again: a failure the batch reported holds back the rest of
	// its group.
	clear(failed)
	inBatch := make([]bool, n)
	for _, i := range idx {
		inBatch[i] = true
	}
	for i := 0; i < n; i++ {
		g := c.groups[i]
		switch {
		case failed[g] && inBatch[i]:
			c.out[i] = faas.Result{Err: notProcessed()}
		case inBatch[i] && c.out[i].Err != nil, !inBatch[i] && c.early[i] != errAnswered, c.out[i].Err != nil:
			failed[g] = true
		}
	}
}

// alone runs fn.Batch on one event.
func (c *collector) alone(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	out, err := CallBatch(ctx, c.fn.Batch, c.o, []cloudevents.Event{ev})
	if err != nil {
		return nil, err
	}
	return out[0].Event, out[0].Err
}
