package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/kafkace"
)

// kafkaSample is aws-lambda-go's kafka-event.json with the given records per
// "<topic>-<partition>" key, each made by rec(partition, offset).
func kafkaSample(t testing.TB, source string, parts map[string]int, rec func(p string, off int) kafkace.Record) []byte {
	t.Helper()
	var in events.KafkaEvent
	if err := json.Unmarshal(faastest.LambdaTestdata(t, "kafka-event.json"), &in); err != nil {
		t.Fatal(err)
	}
	tmpl := in.Records["AWSKafkaTopic-0"][0]
	in.EventSource = source
	in.Records = map[string][]events.KafkaRecord{}
	for p, n := range parts {
		for off := range n {
			kr := rec(p, off)
			r := tmpl
			r.Topic = p[:strings.LastIndex(p, "-")]
			r.Offset = int64(100 + off)
			r.Key = base64.StdEncoding.EncodeToString(kr.Key)
			r.Value = base64.StdEncoding.EncodeToString(kr.Value)
			r.Headers = nil
			for _, h := range kr.Headers {
				r.Headers = append(r.Headers, map[string]events.JSONNumberBytes{h.Key: h.Value})
			}
			in.Records[p] = append(in.Records[p], r)
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type kafkaReply struct {
	BatchItemFailures []struct {
		ItemIdentifier struct {
			Partition string `json:"partition"`
			Offset    int64  `json:"offset"`
		} `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

func kafkaFailures(t testing.TB, out []byte) map[string]int64 {
	t.Helper()
	var r kafkaReply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("reply %s: %v", out, err)
	}
	got := map[string]int64{}
	for _, f := range r.BatchItemFailures {
		got[f.ItemIdentifier.Partition] = f.ItemIdentifier.Offset
	}
	return got
}

func encoded(t testing.TB, ev cloudevents.Event, mode kafkace.Mode) kafkace.Record {
	t.Helper()
	rec, err := kafkace.Encode(ev, mode)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestInvokeKafkaFixtureRecordIsAPerRecordFailure(t *testing.T) {
	// The fixture's own record is a plain value, not a CloudEvent: reported,
	// not fatal to the invocation.
	inv := lambda.NewInvoker(faastest.Function(), faastest.Options()...)
	out, err := inv.Invoke(context.Background(), faastest.LambdaTestdata(t, "kafka-event.json"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got := kafkaFailures(t, out); got["AWSKafkaTopic-0"] != 0 || len(got) != 1 {
		t.Fatalf("failures = %v, want AWSKafkaTopic-0 at offset 0", got)
	}
}

func TestInvokeKafkaResumesEachPartitionAtItsFirstFailure(t *testing.T) {
	for _, source := range []string{"aws:kafka", "SelfManagedKafka"} {
		t.Run(source, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string][]string{}
			fn := faastest.Function()
			fn.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
				mu.Lock()
				seen[ev.Subject()] = append(seen[ev.Subject()], ev.ID())
				mu.Unlock()
				return faastest.Handler(ctx, ev)
			}
			payload := kafkaSample(t, source, map[string]int{"orders-0": 4, "orders-1": 3, "audit-0": 2}, func(p string, off int) kafkace.Record {
				op := "op"
				switch {
				case p == "orders-0" && off == 1:
					op = "business" // a handler failure
				case p == "orders-1" && off == 2:
					return kafkace.Record{Value: []byte("not an event")}
				}
				ev := faastest.CompletedEvent(fmt.Sprintf("%s/%d", p, off), faastest.RequestCompleted{Service: "s", Operation: op})
				ev.SetSubject(p)
				mode := kafkace.Binary
				if off%2 == 1 {
					mode = kafkace.Structured
				}
				return encoded(t, ev, mode)
			})
			out, err := lambda.NewInvoker(fn, faastest.Options()...).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			want := map[string]int64{"orders-0": 101, "orders-1": 102}
			got := kafkaFailures(t, out)
			if len(got) != len(want) || got["orders-0"] != 101 || got["orders-1"] != 102 {
				t.Fatalf("failures = %v, want %v", got, want)
			}
			// Nothing after a partition's first failure ran; the others all did, in order.
			if s := strings.Join(seen["orders-0"], ","); s != "orders-0/0,orders-0/1" {
				t.Errorf("orders-0 handled %s", s)
			}
			if s := strings.Join(seen["orders-1"], ","); s != "orders-1/0,orders-1/1" {
				t.Errorf("orders-1 handled %s", s)
			}
			if s := strings.Join(seen["audit-0"], ","); s != "audit-0/0,audit-0/1" {
				t.Errorf("audit-0 handled %s", s)
			}
		})
	}
}

func TestInvokeKafkaAllGoodAndTraceparentHeader(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var got string
	fn := faastest.Function()
	fn.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		got, _ = ev.Extensions()["traceparent"].(string)
		return nil, nil
	}
	payload := kafkaSample(t, "aws:kafka", map[string]int{"t-3": 1}, func(string, int) kafkace.Record {
		rec := encoded(t, faastest.CompletedEvent("a", faastest.RequestCompleted{Service: "s"}), kafkace.Binary)
		rec.Headers = append(rec.Headers, kafkace.Header{Key: "traceparent", Value: []byte(tp)})
		return rec
	})
	out, err := lambda.NewInvoker(fn, faastest.Options()...).Invoke(context.Background(), payload)
	if err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Fatalf("Invoke = %s, %v; want no failures", out, err)
	}
	if got != tp {
		t.Errorf("traceparent = %q, want the record header's", got)
	}
}

func TestInvokeKafkaMalformedIsNamed(t *testing.T) {
	_, err := lambda.NewInvoker(faastest.Function(), faastest.Options()...).Invoke(context.Background(),
		[]byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"offset":"x"}]}}`))
	if faas.ErrorName(err) != faas.ErrInvalidEvent || !strings.Contains(err.Error(), "Kafka") {
		t.Fatalf("err = %v (%s), want a named invalid event about the Kafka payload", err, faas.ErrorName(err))
	}
}
