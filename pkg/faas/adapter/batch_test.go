package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// seen is a middleware that records, after the rest of the chain, the
// outcome each event had: what an idempotency or logging middleware sees.
type seen struct {
	mu  sync.Mutex
	out map[string]string
}

func (s *seen) middleware(next faas.Handler) faas.Handler {
	return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		reply, err := next(ctx, ev)
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case err != nil:
			s.out[ev.ID()] = faas.ErrorName(err)
		case reply != nil:
			s.out[ev.ID()] = reply.ID()
		default:
			s.out[ev.ID()] = "ok"
		}
		return reply, err
	}
}

// duplicates answers the events with the listed ids itself, as an
// idempotency middleware answers a duplicate from its record.
func duplicates(ids ...string) faas.Middleware {
	return func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			for _, id := range ids {
				if ev.ID() == id {
					return nil, nil
				}
			}
			return next(ctx, ev)
		}
	}
}

// retryOnce calls next a second time when it fails.
func retryOnce(next faas.Handler) faas.Handler {
	return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		reply, err := next(ctx, ev)
		if err != nil {
			return next(ctx, ev)
		}
		return reply, err
	}
}

// op builds a request.completed event whose operation steers
// faastest.Handler ("" -> reply, "business" -> failure, "invalid" -> no
// service, so validation refuses it).
func op(id, operation string) cloudevents.Event {
	d := faastest.RequestCompleted{Service: "s", Operation: operation}
	if operation == "invalid" {
		d.Service = ""
	}
	return faastest.CompletedEvent(id, d)
}

func TestRunOrdered(t *testing.T) {
	type batchCall []string
	tests := []struct {
		name    string
		batch   bool
		mws     []faas.Middleware
		evs     []cloudevents.Event
		pre     map[int]error
		groups  []string
		want    []string // error name, "reply-<id>" or "ok" per event
		calls   []batchCall
		handled []string // per-event path: ids reaching the handler
	}{
		{
			name:  "batch: chain answers invalid and duplicate events, the rest in one call",
			batch: true, mws: []faas.Middleware{duplicates("d")},
			evs:   []cloudevents.Event{op("a", ""), op("b", "invalid"), op("c", "business"), op("d", "")},
			want:  []string{"reply-a", faas.ErrInvalidEvent, "Saga.BusinessError", "ok"},
			calls: []batchCall{{"a", "c"}},
		},
		{
			name:  "batch: decoding failures are not handled",
			batch: true, evs: []cloudevents.Event{op("a", ""), op("b", "")}, pre: map[int]error{0: faas.Invalid("body", errors.New("bad"))},
			want: []string{faas.ErrInvalidEvent, "reply-b"}, calls: []batchCall{{"b"}},
		},
		{
			name:  "batch: a middleware calling next again gets a call of its own",
			batch: true, mws: []faas.Middleware{retryOnce},
			evs:   []cloudevents.Event{op("a", ""), op("b", "business")},
			want:  []string{"reply-a", "Saga.BusinessError"},
			calls: []batchCall{{"a", "b"}, {"b"}},
		},
		{
			name:   "batch FIFO: an early failure holds back its group, a batch failure the rest of its group",
			batch:  true,
			evs:    []cloudevents.Event{op("a1", "invalid"), op("b1", "business"), op("a2", ""), op("b2", ""), op("c1", "")},
			groups: []string{"a", "b", "a", "b", "c"},
			want:   []string{faas.ErrInvalidEvent, "Saga.BusinessError", adapter.ErrNotProcessed, adapter.ErrNotProcessed, "reply-c1"},
			calls:  []batchCall{{"b1", "b2", "c1"}},
		},
		{
			name:    "per event FIFO: nothing after a failure in its group is handled",
			evs:     []cloudevents.Event{op("a1", "business"), op("b1", ""), op("a2", ""), op("b2", "")},
			groups:  []string{"a", "b", "a", "b"},
			want:    []string{"Saga.BusinessError", "reply-b1", adapter.ErrNotProcessed, "reply-b2"},
			handled: []string{"a1", "b1", "b2"},
		},
		{
			name:    "per event FIFO without group ids: one group",
			evs:     []cloudevents.Event{op("a1", ""), op("a2", "business"), op("a3", "")},
			groups:  []string{"", "", ""},
			want:    []string{"reply-a1", "Saga.BusinessError", adapter.ErrNotProcessed},
			handled: []string{"a1", "a2"},
		},
		{
			name: "per event unordered: every event handled",
			evs:  []cloudevents.Event{op("a1", "business"), op("a2", "")},
			want: []string{"Saga.BusinessError", "reply-a2"}, handled: []string{"a1", "a2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &seen{out: map[string]string{}}
			var mu sync.Mutex
			var calls []batchCall
			var handled []string
			fn := faastest.Function()
			fn.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
				mu.Lock()
				handled = append(handled, ev.ID())
				mu.Unlock()
				return faastest.Handler(ctx, ev)
			}
			if tc.batch {
				fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
					call := batchCall{}
					out := make([]faas.Result, len(evs))
					for i, ev := range evs {
						call = append(call, ev.ID())
						out[i].Event, out[i].Err = faastest.Handler(ctx, ev)
					}
					mu.Lock()
					calls = append(calls, call)
					mu.Unlock()
					return out
				}
			}
			opts := append(faastest.Options(), adapter.WithMiddleware(append([]faas.Middleware{rec.middleware}, tc.mws...)...))
			o := adapter.Build(opts)
			pre := make([]error, len(tc.evs))
			for i, err := range tc.pre {
				pre[i] = err
			}
			results := adapter.RunOrdered(context.Background(), fn, o, o.Handler(fn), tc.evs, pre, tc.groups)
			if len(results) != len(tc.evs) {
				t.Fatalf("%d results for %d events", len(results), len(tc.evs))
			}
			for i, r := range results {
				got := "ok"
				switch {
				case r.Err != nil:
					got = faas.ErrorName(r.Err)
				case r.Event != nil:
					got = r.Event.ID()
				}
				if got != tc.want[i] {
					t.Errorf("event %s: %s, want %s", tc.evs[i].ID(), got, tc.want[i])
				}
				// The chain's after-part saw the outcome the caller gets;
				// only decoding failures, events the validation (outside
				// it) refused and, per event, the events held back in a
				// FIFO group do not reach it.
				saw, entered := rec.out[tc.evs[i].ID()]
				switch {
				case entered && saw != got:
					t.Errorf("event %s: the chain saw %q, the caller got %q", tc.evs[i].ID(), saw, got)
				case !entered && tc.pre[i] == nil && got != faas.ErrInvalidEvent && (tc.batch || got != adapter.ErrNotProcessed):
					t.Errorf("event %s never went through the chain", tc.evs[i].ID())
				}
			}
			if fmt.Sprint(calls) != fmt.Sprint(tc.calls) {
				t.Errorf("batch calls %v, want %v", calls, tc.calls)
			}
			if !tc.batch && strings.Join(handled, ",") != strings.Join(tc.handled, ",") {
				t.Errorf("handled %v, want %v", handled, tc.handled)
			}
		})
	}
}

// TestRunBatchPanicAndShortAnswer: a batch handler that panics or answers
// the wrong number of results fails every event it was given, by name.
func TestRunBatchPanicAndShortAnswer(t *testing.T) {
	for name, b := range map[string]faas.BatchHandler{
		"panic": func(context.Context, []cloudevents.Event) []faas.Result { panic("boom") },
		"short": func(context.Context, []cloudevents.Event) []faas.Result { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			fn := faastest.Function()
			fn.Batch = b
			o := adapter.Build(faastest.Options())
			evs := []cloudevents.Event{op("a", ""), op("b", "invalid"), op("c", "")}
			results := adapter.RunBatch(context.Background(), fn, o, o.Handler(fn), evs, make([]error, len(evs)))
			for i, want := range []string{faas.ErrPanic, faas.ErrInvalidEvent, faas.ErrPanic} {
				if got := faas.ErrorName(results[i].Err); got != want {
					t.Errorf("event %d: %s, want %s", i, got, want)
				}
			}
		})
	}
}

// TestRunBatchEventDeadline: an event whose own deadline passes while it
// waits for the batch fails with CogniForge.Timeout, named by the Timeout
// middleware of its chain; the others get the batch's results.
func TestRunBatchEventDeadline(t *testing.T) {
	release := make(chan struct{})
	expire := func(next faas.Handler) faas.Handler {
		return func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if ev.ID() != "late" {
				return next(ctx, ev)
			}
			// Its deadline has passed by the time it reaches the batch.
			dctx, dcancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			defer dcancel()
			defer close(release)
			return next(dctx, ev)
		}
	}
	fn := faastest.Function()
	fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		<-release
		return make([]faas.Result, len(evs))
	}
	o := adapter.Build(append(faastest.Options(), adapter.WithMiddleware(expire)))
	evs := []cloudevents.Event{op("a", ""), op("late", "")}
	// The invocation has time; only "late" runs out of it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	results := adapter.RunBatch(ctx, fn, o, o.Handler(fn), evs, make([]error, 2))
	if results[0].Err != nil || faas.ErrorName(results[1].Err) != faas.ErrTimeout {
		t.Fatalf("results %v, %v", results[0].Err, results[1].Err)
	}
}

// TestRunBatchIdempotency: the idempotency middleware guards a batch
// function as it guards a single-event one. A redelivered batch reaches the
// batch handler only with the event whose first delivery failed, and the
// others replay their stored replies.
func TestRunBatchIdempotency(t *testing.T) {
	guard, err := idempotency.Middleware(idempotency.Config{Store: memory.New(memory.Config{}), Namespace: "recorder"})
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	failB := true
	fn := faastest.Function()
	fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		ids := []string{}
		out := make([]faas.Result, len(evs))
		for i, ev := range evs {
			ids = append(ids, ev.ID())
			if ev.ID() == "b" && failB {
				out[i].Err = &faas.Error{Name: "Test.Down", Message: "down", Retryable: true}
				continue
			}
			out[i].Event, out[i].Err = faastest.Handler(ctx, ev)
		}
		calls = append(calls, ids)
		return out
	}
	o := adapter.Build(append(faastest.Options(), adapter.WithMiddleware(guard)))
	evs := []cloudevents.Event{op("a", ""), op("b", ""), op("c", "")}
	for delivery := range 2 {
		results := adapter.RunBatch(context.Background(), fn, o, o.Handler(fn), evs, make([]error, len(evs)))
		for i, r := range results {
			wantErr := delivery == 0 && evs[i].ID() == "b"
			if (r.Err != nil) != wantErr || r.Err == nil && (r.Event == nil || r.Event.ID() != "reply-"+evs[i].ID()) {
				t.Errorf("delivery %d, event %s: %v %v", delivery, evs[i].ID(), r.Event, r.Err)
			}
		}
		failB = false
	}
	if fmt.Sprint(calls) != "[[a b c] [b]]" {
		t.Errorf("batch calls %v, want [[a b c] [b]]", calls)
	}
}

// A batch handler learns from its context which events the chain's Validate
// already checked (middleware.Validated), as a single-event handler does;
// an event the chain refused never reaches it.
func TestRunBatchMarksValidated(t *testing.T) {
	evs := []cloudevents.Event{op("a", ""), op("b", "invalid"), op("c", "")}
	var checked []string
	fn := faas.Function{Name: "b", Batch: func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		for _, ev := range evs {
			if middleware.Validated(ctx, faastest.Validator{}, ev) {
				checked = append(checked, ev.ID())
			}
		}
		return make([]faas.Result, len(evs))
	}}
	o := adapter.Build(faastest.Options())
	results := adapter.RunBatch(context.Background(), fn, o, o.Handler(fn), evs, make([]error, len(evs)))
	if faas.ErrorName(results[1].Err) != faas.ErrInvalidEvent || results[0].Err != nil || results[2].Err != nil {
		t.Fatalf("results %+v", results)
	}
	if strings.Join(checked, ",") != "a,c" {
		t.Errorf("batch handler saw %v marked valid, want [a c]", checked)
	}
}
