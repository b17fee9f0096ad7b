package orderview_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

var steps = []string{"inventory", "payment", "shipping", "order"}

// sagaEvents returns one random saga's events in the order it emits them:
// started, forward steps (some failing then succeeding on retry), and one
// ending: completed, compensated (a step failed for good, the ones before
// it compensated) or stuck (a compensation kept failing).
func sagaEvents(r *rand.Rand, id string, at time.Time) []cloudevents.Event {
	var out []cloudevents.Event
	n := 0
	add := func(typ string, data any) {
		n++
		b, _ := json.Marshal(data)
		e := cloudevents.New()
		e.SetID(fmt.Sprintf("%s/%d", id, n))
		e.SetSource("cogniforge/saga/order-fulfillment")
		e.SetType(typ)
		e.SetSubject(id)
		e.SetTime(at.Add(time.Duration(n) * time.Millisecond))
		_ = e.SetData("application/json", json.RawMessage(b))
		out = append(out, e)
	}
	items := make([]map[string]any, 1+r.IntN(3))
	for i := range items {
		items[i] = map[string]any{"sku": fmt.Sprintf("sku-%d", r.IntN(20)), "quantity": 1 + r.IntN(5)}
	}
	add(events.TypeSagaStarted, map[string]any{"sagaId": id, "saga": "order-fulfillment", "steps": steps,
		"input": map[string]any{"orderId": id, "customerId": fmt.Sprintf("c-%d", r.IntN(60)), "items": items}})
	outcome := r.IntN(10) // 0-5 completed, 6-8 compensated, 9 stuck
	failAt := len(steps)
	if outcome >= 6 {
		failAt = r.IntN(len(steps) - 1)
	}
	if outcome < 2 && r.IntN(2) == 0 {
		// Still running: no ending yet.
		failAt = -1
	}
	for i, s := range steps {
		if failAt == -1 && i == 2 {
			return out
		}
		if r.IntN(5) == 0 {
			add(events.TypeSagaStepFailed, map[string]any{"sagaId": id, "saga": "order-fulfillment", "step": s, "phase": "forward", "attempt": 1,
				"error": map[string]any{"name": "Saga.TransientError"}, "retryable": true})
		}
		if i == failAt {
			add(events.TypeSagaStepFailed, map[string]any{"sagaId": id, "saga": "order-fulfillment", "step": s, "phase": "forward", "attempt": 2,
				"error": map[string]any{"name": "Saga.BusinessError", "message": "declined"}})
			for j := i - 1; j >= 0; j-- {
				if outcome == 9 && j == 0 {
					add(events.TypeSagaCompensationFailed, map[string]any{"sagaId": id, "step": steps[j], "phase": "compensation", "attempt": 5,
						"error": map[string]any{"name": "States.Timeout"}})
					add(events.TypeSagaStuck, map[string]any{"sagaId": id, "saga": "order-fulfillment", "step": steps[j], "phase": "compensation",
						"reason": "compensation failed 5 times", "error": map[string]any{"name": "States.Timeout"}})
					return out
				}
				add(events.TypeSagaCompensationSucceeded, map[string]any{"sagaId": id, "step": steps[j], "phase": "compensation", "attempt": 1})
			}
			add(events.TypeSagaCompensated, map[string]any{"sagaId": id, "saga": "order-fulfillment", "failedStep": s,
				"error": map[string]any{"name": "Saga.BusinessError", "message": "declined"}})
			return out
		}
		add(events.TypeSagaStepSucceeded, map[string]any{"sagaId": id, "saga": "order-fulfillment", "step": s, "phase": "forward", "attempt": 1})
	}
	add(events.TypeSagaCompleted, map[string]any{"sagaId": id, "saga": "order-fulfillment"})
	return out
}

// randomStream interleaves random sagas into at least n events, as a bus
// delivers them: sagas overlap, neighbours are sometimes swapped (a
// standard SQS queue does not keep order) and some events come twice.
func randomStream(r *rand.Rand, n int, start time.Time) []cloudevents.Event {
	var pending [][]cloudevents.Event
	var out []cloudevents.Event
	next := 0
	for len(out) < n {
		if len(pending) < 30 {
			pending = append(pending, sagaEvents(r, fmt.Sprintf("o-%05d", next), start.Add(time.Duration(next)*time.Second)))
			next++
		}
		i := r.IntN(len(pending))
		out = append(out, pending[i][0])
		if r.IntN(30) == 0 {
			out = append(out, pending[i][0]) // a redelivery
		}
		pending[i] = pending[i][1:]
		if len(pending[i]) == 0 {
			pending = append(pending[:i], pending[i+1:]...)
		}
	}
	for i := 1; i < len(out); i++ {
		if r.IntN(10) == 0 {
			out[i-1], out[i] = out[i], out[i-1]
		}
	}
	return out
}

func dump(t *testing.T, r *projection.Reader) map[string]string {
	t.Helper()
	d, err := orderview.Dump(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sameModel(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d items, want %d", what, len(got), len(want))
	}
	diffs := 0
	for k, v := range want {
		if got[k] != v {
			if diffs++; diffs <= 5 {
				t.Errorf("%s: %s = %s\nwant %s", what, k, got[k], v)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			if diffs++; diffs <= 5 {
				t.Errorf("%s: extra item %s", what, k)
			}
		}
	}
}

// TestRebuildEqualsLive is the proof: 10,000 random saga events
// (interleaved, reordered, some delivered twice) go through the order-query
// function in SQS-sized batches, which stores and projects them live; a
// rebuild from scratch then equals the live model, and a rebuild as of an
// instant T in the middle equals the live model as it was at T.
func TestRebuildEqualsLive(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	st := memory.New(memory.Config{Now: clock.Now})
	es, err := eventstore.New(eventstore.Config{Store: st, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := orderview.NewFunction(orderview.Config{Events: es, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(15, 3))
	stream := randomStream(r, 10_000, storetest.Epoch.Add(-time.Hour))
	var asOf time.Time
	var liveAtT map[string]string
	unique := map[string]bool{}
	for i := 0; i < len(stream); {
		n := min(1+r.IntN(10), len(stream)-i)
		batch := stream[i:min(i+n, len(stream))]
		for j, res := range fn.Batch(ctx, batch) {
			if res.Err != nil {
				t.Fatalf("event %s (%s): %v", batch[j].ID(), batch[j].Type(), res.Err)
			}
			unique[batch[j].ID()] = true
		}
		i += n
		if asOf.IsZero() && i >= len(stream)/2 {
			asOf = clock.Now()
			rd, err := projection.NewReader(ctx, st, orderview.ProjectionName)
			if err != nil {
				t.Fatal(err)
			}
			liveAtT = dump(t, rd)
		}
		clock.Advance(100 * time.Millisecond)
	}
	live, err := projection.NewReader(ctx, st, orderview.ProjectionName)
	if err != nil {
		t.Fatal(err)
	}
	liveFinal := dump(t, live)

	// The live model folded every distinct event once.
	orders, err := orderview.List(ctx, live, orderview.Filter{Limit: orderview.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	total, byStatus := 0, map[string]int{}
	for _, s := range orderview.Statuses {
		list, err := orderview.List(ctx, live, orderview.Filter{Status: s, Limit: orderview.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		byStatus[s] = len(list)
		for _, o := range list {
			total += o.Events
		}
	}
	if total != len(unique) {
		t.Fatalf("orders fold %d events, %d distinct were delivered", total, len(unique))
	}
	t.Logf("%d events (%d distinct), %d orders: %v", len(stream), len(unique), len(orders), byStatus)
	for _, s := range []string{orderview.StatusCompleted, orderview.StatusCompensated, orderview.StatusStuck, orderview.StatusInProgress} {
		if byStatus[s] == 0 {
			t.Errorf("no order ended %s: the stream is not random enough", s)
		}
	}

	p, err := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Rebuild(ctx, projection.RebuildOptions{})
	if err != nil || !rep.Activated || rep.Events != len(unique) {
		t.Fatalf("Rebuild = %+v, %v", rep, err)
	}
	rebuilt, err := projection.NewReader(ctx, st, orderview.ProjectionName)
	if err != nil || rebuilt.Generation != rep.Generation || rebuilt.Generation == live.Generation {
		t.Fatalf("reader after rebuild reads %s (rebuilt %s, live was %s), %v", rebuilt.Generation, rep.Generation, live.Generation, err)
	}
	sameModel(t, "rebuilt", dump(t, rebuilt), liveFinal)

	past, err := p.Rebuild(ctx, projection.RebuildOptions{AsOf: asOf})
	if err != nil || past.Activated || past.Skipped == 0 || past.Events == 0 {
		t.Fatalf("Rebuild as of %v = %+v, %v", asOf, past, err)
	}
	sameModel(t, "as of T", dump(t, projection.GenerationReader(st, orderview.ProjectionName, past.Generation)), liveAtT)

	// The live projector continues on the rebuilt generation.
	more := sagaEvents(r, "o-late", clock.Now())
	for _, res := range fn.Batch(ctx, more) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	o, err := orderview.Get(ctx, rebuilt, "o-late")
	if err != nil || o.Events != len(more) {
		t.Fatalf("late order on the rebuilt generation = %+v, %v", o, err)
	}
}
