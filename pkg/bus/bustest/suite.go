package bustest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// Features says what an implementation of bus.Publisher promises beyond the
// port's contract.
type Features struct {
	// MaxEventBytes is the size over which the publisher refuses an event
	// with bus.ErrEventTooLarge (256 KB on EventBridge). Zero means it has
	// no limit, and the suite skips that case.
	MaxEventBytes int
	// ReceiveTimeout bounds the wait for a delivery. Zero means 20 s.
	ReceiveTimeout time.Duration
}

// Subject is one publisher under test and what its subscribers saw.
type Subject struct {
	Publisher bus.Publisher
	// Receive waits until the subscriber of the suite's types has received
	// at least n events in all (since the subject was made), or ctx ends,
	// and returns what it received so far.
	Receive func(ctx context.Context, n int) []cloudevents.Event
}

// The types the suite publishes: the subject's subscriber takes the first
// two, and nobody subscribes to Unsubscribed.
const (
	TypeA        = "dev.cogniforge.bustest.alpha.v1"
	TypeB        = "dev.cogniforge.bustest.beta.v1"
	Unsubscribed = "dev.cogniforge.bustest.nobody.v1"
)

// TestPublisher is the contract suite of bus.Publisher, run against every
// implementation (the embedded bus of the local runtime, EventBridge on
// moto): newSubject makes a fresh publisher whose subscriber takes TypeA and
// TypeB. The suite checks one result per event, delivery of every accepted
// event with its attributes, extensions and data intact, that unsubscribed
// types reach nobody, the size limit, and concurrent publishing.
func TestPublisher(t *testing.T, f Features, newSubject func(t *testing.T) Subject) {
	timeout := f.ReceiveTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	receive := func(t *testing.T, s Subject, n int) []cloudevents.Event {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		got := s.Receive(ctx, n)
		if len(got) < n {
			t.Fatalf("received %d events within %s, want %d", len(got), timeout, n)
		}
		return got
	}

	t.Run("EmptyPublish", func(t *testing.T) {
		s := newSubject(t)
		res, err := s.Publisher.Publish(context.Background(), nil)
		if err != nil || len(res) != 0 {
			t.Fatalf("Publish(nil) = %v, %v; want no results and no error", res, err)
		}
	})

	t.Run("DeliveredIntact", func(t *testing.T) {
		s := newSubject(t)
		sent := []cloudevents.Event{
			Event(t, TypeA, "a-1", map[string]any{"n": 1, "text": "grüße ✓"}),
			Event(t, TypeB, "b-1", map[string]any{"n": 2, "nested": map[string]any{"list": []any{1, "two", nil}}}),
			Event(t, TypeA, "a-2", map[string]any{"n": 3}),
		}
		sent[0].SetSubject("orders/o-1")
		sent[0].SetExtension("correlationid", "corr-1")
		sent[0].SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		res, err := s.Publisher.Publish(context.Background(), sent)
		checkAccepted(t, res, err, len(sent))
		got := byID(receive(t, s, len(sent)))
		for _, want := range sent {
			have, ok := got[want.ID()]
			if !ok {
				t.Errorf("event %s was accepted but never delivered", want.ID())
				continue
			}
			if msg := differ(want, have); msg != "" {
				t.Errorf("event %s delivered changed: %s", want.ID(), msg)
			}
		}
	})

	t.Run("UnsubscribedReachesNobody", func(t *testing.T) {
		s := newSubject(t)
		res, err := s.Publisher.Publish(context.Background(), []cloudevents.Event{
			Event(t, Unsubscribed, "x-1", map[string]any{}), Event(t, TypeA, "a-3", map[string]any{}),
		})
		checkAccepted(t, res, err, 2)
		got := receive(t, s, 1)
		for _, e := range got {
			if e.Type() == Unsubscribed {
				t.Errorf("an event nobody subscribes to was delivered: %s", e.ID())
			}
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		if f.MaxEventBytes == 0 {
			t.Skip("the publisher has no size limit (Features.MaxEventBytes is 0)")
		}
		s := newSubject(t)
		big := Event(t, TypeA, "big-1", map[string]any{"blob": strings.Repeat("x", f.MaxEventBytes)})
		res, err := s.Publisher.Publish(context.Background(), []cloudevents.Event{big, Event(t, TypeB, "small-1", map[string]any{})})
		if err != nil || len(res) != 2 {
			t.Fatalf("Publish = %v, %v; want two results", res, err)
		}
		if !errors.Is(res[0], bus.ErrEventTooLarge) || res[1] != nil {
			t.Fatalf("results %v; want ErrEventTooLarge for the big event only", res)
		}
		if got := receive(t, s, 1); got[0].ID() != "small-1" {
			t.Errorf("delivered %s, want small-1", got[0].ID())
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newSubject(t)
		const publishers, each = 4, 5
		var wg sync.WaitGroup
		errs := make(chan error, publishers)
		for p := range publishers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				evs := make([]cloudevents.Event, each)
				for i := range evs {
					evs[i] = Event(t, TypeB, fmt.Sprintf("c-%d-%d", p, i), map[string]any{"p": p, "i": i})
				}
				res, err := s.Publisher.Publish(context.Background(), evs)
				if err == nil && len(res) != each {
					err = fmt.Errorf("%d results for %d events", len(res), each)
				}
				for _, r := range res {
					err = errors.Join(err, r)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := byID(receive(t, s, publishers*each)); len(got) != publishers*each {
			t.Errorf("%d distinct events delivered, want %d", len(got), publishers*each)
		}
	})
}

// Event builds a valid CloudEvent of typ with JSON data.
func Event(t testing.TB, typ, id string, data any) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("//bustest")
	e.SetType(typ)
	e.SetTime(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

func checkAccepted(t *testing.T, res []error, err error, n int) {
	t.Helper()
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(res) != n {
		t.Fatalf("%d results for %d events", len(res), n)
	}
	for i, r := range res {
		if r != nil {
			t.Fatalf("event %d refused: %v", i, r)
		}
	}
}

func byID(evs []cloudevents.Event) map[string]cloudevents.Event {
	m := make(map[string]cloudevents.Event, len(evs))
	for _, e := range evs {
		m[e.ID()] = e
	}
	return m
}

// differ says how have differs from want in what a subscriber reads: the
// attributes, the extensions and the data as JSON.
func differ(want, have cloudevents.Event) string {
	var diffs []string
	for _, a := range [][3]string{
		{"type", want.Type(), have.Type()}, {"source", want.Source(), have.Source()},
		{"subject", want.Subject(), have.Subject()}, {"specversion", want.SpecVersion(), have.SpecVersion()},
	} {
		if a[1] != a[2] {
			diffs = append(diffs, fmt.Sprintf("%s %q, want %q", a[0], a[2], a[1]))
		}
	}
	if !want.Time().Equal(have.Time()) {
		diffs = append(diffs, fmt.Sprintf("time %s, want %s", have.Time(), want.Time()))
	}
	for k, v := range want.Extensions() {
		if hv, ok := have.Extensions()[k]; !ok || fmt.Sprint(hv) != fmt.Sprint(v) {
			diffs = append(diffs, fmt.Sprintf("extension %s %v, want %v", k, hv, v))
		}
	}
	var w, h any
	if err := json.Unmarshal(want.Data(), &w); err != nil {
		return "suite: sent data is not JSON: " + err.Error()
	}
	if err := json.Unmarshal(have.Data(), &h); err != nil {
		diffs = append(diffs, "data is not JSON: "+err.Error())
	} else if wb, hb := mustJSON(w), mustJSON(h); wb != hb {
		diffs = append(diffs, fmt.Sprintf("data %s, want %s", hb, wb))
	}
	return strings.Join(diffs, "; ")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
