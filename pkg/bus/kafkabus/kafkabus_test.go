package kafkabus_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cogniforge/cogniforge/pkg/bus/kafkabus"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/kafkace"
)

func cluster(t *testing.T, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topics...))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func client(t *testing.T, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func completed(id, subject, op string) cloudevents.Event {
	ev := faastest.CompletedEvent(id, faastest.RequestCompleted{Service: "s", Operation: op})
	ev.SetSubject(subject)
	return ev
}

// TestRoundTripThroughKafka publishes events through the bus, consumes them
// with a Mapping into the Lambda adapter, and checks that every event is
// handled once, a transient failure is retried, and poison records (a
// permanent failure, a record that is not a CloudEvent) end in the
// dead-letter topic with their reason: nothing lost.
func TestRoundTripThroughKafka(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := cluster(t, "events", "events-dlq")
	prod := client(t, c)
	pub, err := kafkabus.New(kafkabus.Config{Client: prod, Topic: func(cloudevents.Event) string { return "events" }})
	if err != nil {
		t.Fatal(err)
	}
	var evs []cloudevents.Event
	for i := range 20 {
		op := "op"
		switch i {
		case 5:
			op = "flaky"
		case 9:
			op = "business" // fails every time
		}
		ev := completed(fmt.Sprintf("e%02d", i), fmt.Sprintf("order-%d", i%4), op)
		if i%3 == 0 {
			ev.SetExtension("partitionkey", "pk")
		}
		evs = append(evs, ev)
	}
	perEvent, err := pub.Publish(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range perEvent {
		if e != nil {
			t.Fatalf("event %d: %v", i, e)
		}
	}
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "events", Key: []byte("order-1"), Value: []byte("plain text")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	handled := map[string]int{}
	flaky := 0
	fn := faastest.Function()
	fn.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		var d faastest.RequestCompleted
		_ = ev.DataAs(&d)
		mu.Lock()
		defer mu.Unlock()
		if d.Operation == "flaky" && flaky == 0 {
			flaky++
			return nil, faas.Errorf("Store.Throttled", "try again")
		}
		if d.Operation == "business" {
			return nil, faas.Errorf("Saga.BusinessError", "refused")
		}
		handled[ev.ID()]++
		return nil, nil
	}
	inv := lambda.NewInvoker(fn, faastest.Options()...)
	m, err := kafkabus.NewMapping(kafkabus.MappingConfig{
		Client:          client(t, c, kafkabus.ConsumerOptions("recorder", "events")...),
		Invoke:          inv.Invoke,
		DeadLetterTopic: "events-dlq",
		MaxAttempts:     3,
		RetryDelay:      5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	dlq := client(t, c, kgo.ConsumeTopics("events-dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var dead []*kgo.Record
	for ctx.Err() == nil {
		pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_ = m.Poll(pctx)
		pcancel()
		dctx, dcancel := context.WithTimeout(ctx, 50*time.Millisecond)
		dead = append(dead, dlq.PollFetches(dctx).Records()...)
		dcancel()
		mu.Lock()
		n := len(handled)
		mu.Unlock()
		if n == 19 && len(dead) == 2 {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, ev := range evs {
		want := 1
		if i == 9 {
			want = 0
		}
		if handled[ev.ID()] != want {
			t.Errorf("event %s handled %d times, want %d", ev.ID(), handled[ev.ID()], want)
		}
	}
	if len(dead) != 2 {
		t.Fatalf("dead-lettered %d records, want 2 (the business failure and the plain record)", len(dead))
	}
	var got []string
	for _, r := range dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[kafkabus.HeaderDLQTopic] != "events" || h[kafkabus.HeaderDLQAttempts] != "3" || h[kafkabus.HeaderDLQReason] == "" {
			t.Errorf("dead letter headers %v lack where it came from and why", h)
		}
		if id, ok := h["ce_id"]; ok {
			got = append(got, id)
		} else {
			got = append(got, string(r.Value))
		}
	}
	if s := strings.Join(got, "|"); s != "e09|plain text" && s != "plain text|e09" {
		t.Errorf("dead letters = %s", s)
	}
}

func TestPublisherReportsPerEventErrors(t *testing.T) {
	c := cluster(t, "events")
	// A topic that does not exist (and no auto-creation): that event fails,
	// the others are written.
	pub, err := kafkabus.New(kafkabus.Config{Client: client(t, c, kgo.RecordDeliveryTimeout(2*time.Second)), Topic: func(ev cloudevents.Event) string {
		if ev.ID() == "bad" {
			return "missing"
		}
		return "events"
	}})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := pub.Publish(context.Background(), []cloudevents.Event{completed("ok", "a", "op"), completed("bad", "b", "op")})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "missing") {
		t.Fatalf("per-event errors = %v, want only the second, naming its topic", errs)
	}
}

func TestConfigsRefuseWhatIsMissing(t *testing.T) {
	if _, err := kafkabus.New(kafkabus.Config{}); err == nil || !strings.Contains(err.Error(), "Client") {
		t.Errorf("New without a client: %v", err)
	}
	_, err := kafkabus.NewMapping(kafkabus.MappingConfig{MaxAttempts: -1})
	for _, want := range []string{"Client", "Invoke", "DeadLetterTopic", "MaxAttempts"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewMapping error %v does not name %s", err, want)
		}
	}
}

func TestRecordKeys(t *testing.T) {
	ev := completed("id-1", "", "op")
	r, _ := kafkabus.Record(ev, kafkace.Binary)
	if string(r.Key) != "id-1" {
		t.Errorf("key without subject = %q, want the id", r.Key)
	}
	ev.SetSubject("order-7")
	r, _ = kafkabus.Record(ev, kafkace.Structured)
	if string(r.Key) != "order-7" {
		t.Errorf("key = %q, want the subject", r.Key)
	}
}
