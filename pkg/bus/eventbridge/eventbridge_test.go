package eventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// fakePutEvents records calls and answers with respond (nil: accept all).
type fakePutEvents struct {
	mu      sync.Mutex
	calls   []*awseb.PutEventsInput
	respond func(call int, in *awseb.PutEventsInput) (*awseb.PutEventsOutput, error)
}

func (f *fakePutEvents) PutEvents(ctx context.Context, in *awseb.PutEventsInput, _ ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	n := len(f.calls) - 1
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(n, in)
	}
	return acceptAll(in), nil
}

func acceptAll(in *awseb.PutEventsInput) *awseb.PutEventsOutput {
	out := &awseb.PutEventsOutput{}
	for i := range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("eb-%d", i))})
	}
	return out
}

func requestEvents(t testing.TB, n int, padding int) []cloudevents.Event {
	t.Helper()
	out := make([]cloudevents.Event, n)
	for i := range out {
		e, err := events.New(context.Background(), events.TypeRequestCompleted, "test/bus",
			events.RequestCompleted{Service: "svc", Operation: strings.Repeat("o", 1+padding), Status: events.StatusOK, DurationMs: float64(i)},
			events.ID(fmt.Sprintf("evt-%02d", i)))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = e
	}
	return out
}

func newEB(t *testing.T, client eventbridge.PutEventsAPI) *eventbridge.Publisher {
	t.Helper()
	p, err := eventbridge.New(eventbridge.Config{Client: client, EventBusName: "cf"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEventBridgeConfig(t *testing.T) {
	if _, err := eventbridge.New(eventbridge.Config{}); err == nil || !strings.Contains(err.Error(), "Client") {
		t.Fatalf("New without a client = %v", err)
	}
}

func TestEventBridgeEntries(t *testing.T) {
	fake := &fakePutEvents{}
	evs := requestEvents(t, 1, 0)
	evs[0].SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	errs, err := newEB(t, fake).Publish(context.Background(), evs)
	if err != nil || len(errs) != 1 || errs[0] != nil {
		t.Fatalf("Publish = %v, %v", errs, err)
	}
	e := fake.calls[0].Entries[0]
	if aws.ToString(e.DetailType) != events.TypeRequestCompleted || aws.ToString(e.Source) != "test/bus" || aws.ToString(e.EventBusName) != "cf" {
		t.Errorf("entry = %+v", e)
	}
	if want := "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"; aws.ToString(e.TraceHeader) != want {
		t.Errorf("TraceHeader = %q, want %q", aws.ToString(e.TraceHeader), want)
	}
	if e.Time == nil || !e.Time.Equal(evs[0].Time()) {
		t.Errorf("Time = %v, want %v", e.Time, evs[0].Time())
	}
	got, err := events.Decode([]byte(aws.ToString(e.Detail)))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != evs[0].ID() || string(got.Data()) != string(evs[0].Data()) {
		t.Errorf("detail round trip = %v, want %v", got, evs[0])
	}
}

func TestEventBridgeBatching(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		padding int
		sizes   []int // entries per call
	}{
		{"none", 0, 0, nil},
		{"one", 1, 0, []int{1}},
		{"ten", 10, 0, []int{10}},
		{"twenty-five", 25, 0, []int{10, 10, 5}},
		// ~100 KB each: only two fit under 256 KB.
		{"by bytes", 5, 100 * 1024, []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakePutEvents{}
			errs, err := newEB(t, fake).Publish(context.Background(), requestEvents(t, tt.n, tt.padding))
			if err != nil || len(errs) != tt.n {
				t.Fatalf("Publish = %d results, %v", len(errs), err)
			}
			for i, e := range errs {
				if e != nil {
					t.Errorf("event %d: %v", i, e)
				}
			}
			if len(fake.calls) != len(tt.sizes) {
				t.Fatalf("%d PutEvents calls, want %d", len(fake.calls), len(tt.sizes))
			}
			for i, c := range fake.calls {
				if len(c.Entries) != tt.sizes[i] {
					t.Errorf("call %d has %d entries, want %d", i, len(c.Entries), tt.sizes[i])
				}
			}
		})
	}
}

func TestEventBridgeTooLarge(t *testing.T) {
	fake := &fakePutEvents{}
	evs := append(requestEvents(t, 1, 0), requestEvents(t, 1, 300*1024)...)
	errs, err := newEB(t, fake).Publish(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !errors.Is(errs[1], eventbridge.ErrEventTooLarge) {
		t.Fatalf("errs = %v", errs)
	}
	if len(fake.calls) != 1 || len(fake.calls[0].Entries) != 1 {
		t.Fatalf("the oversized event was sent: %d calls", len(fake.calls))
	}
}

func TestEventBridgePartialFailure(t *testing.T) {
	// Call 0 refuses its entries 3 (throttled) and 7 (malformed); call 1
	// fails whole; call 2 succeeds.
	fake := &fakePutEvents{respond: func(call int, in *awseb.PutEventsInput) (*awseb.PutEventsOutput, error) {
		switch call {
		case 0:
			out := acceptAll(in)
			out.FailedEntryCount = 2
			out.Entries[3] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")}
			out.Entries[7] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("MalformedDetail"), ErrorMessage: aws.String("bad")}
			return out, nil
		case 1:
			return nil, errors.New("connection reset")
		}
		return acceptAll(in), nil
	}}
	evs := requestEvents(t, 25, 0)
	errs, err := newEB(t, fake).Publish(context.Background(), evs)
	if err != nil {
		t.Fatalf("Publish = %v, want per-event errors", err)
	}
	for i, e := range errs {
		var entry *eventbridge.EntryError
		var call *eventbridge.CallError
		switch {
		case i == 3:
			if !errors.As(e, &entry) || entry.Code != "ThrottlingException" || !entry.Retryable() || entry.EventID != evs[3].ID() {
				t.Errorf("event 3: %v", e)
			}
		case i == 7:
			if !errors.As(e, &entry) || entry.Code != "MalformedDetail" || entry.Retryable() || entry.EventID != evs[7].ID() {
				t.Errorf("event 7: %v", e)
			}
		case i >= 10 && i < 20:
			if !errors.As(e, &call) || call.Events != 10 || !strings.Contains(e.Error(), "connection reset") {
				t.Errorf("event %d: %v, want the call error", i, e)
			}
		default:
			if e != nil {
				t.Errorf("event %d: %v", i, e)
			}
		}
	}
}

func TestEventBridgeNothingPublished(t *testing.T) {
	fake := &fakePutEvents{respond: func(int, *awseb.PutEventsInput) (*awseb.PutEventsOutput, error) {
		return nil, errors.New("AccessDenied")
	}}
	errs, err := newEB(t, fake).Publish(context.Background(), requestEvents(t, 12, 0))
	if err == nil || errs != nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Publish = %v, %v; want only an error", errs, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake = &fakePutEvents{}
	if _, err := newEB(t, fake).Publish(ctx, requestEvents(t, 3, 0)); !errors.Is(err, context.Canceled) || len(fake.calls) != 0 {
		t.Fatalf("Publish with a cancelled ctx = %v after %d calls", err, len(fake.calls))
	}

	// An answer that does not match the request fails every event of it.
	fake = &fakePutEvents{respond: func(int, *awseb.PutEventsInput) (*awseb.PutEventsOutput, error) {
		return &awseb.PutEventsOutput{}, nil
	}}
	if _, err := newEB(t, fake).Publish(context.Background(), requestEvents(t, 2, 0)); err == nil {
		t.Fatal("a short answer was taken as success")
	}
}

// countingClient counts PutEvents calls made through a real client.
type countingClient struct {
	*awseb.Client
	mu    sync.Mutex
	calls int
}

func (c *countingClient) PutEvents(ctx context.Context, in *awseb.PutEventsInput, opt ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.Client.PutEvents(ctx, in, opt...)
}

// TestEventBridgeMoto publishes through a real EventBridge API (moto): a rule
// on the request.completed type routes to an SQS queue, and exactly the
// matching events arrive there, whole CloudEvents in "detail".
func TestEventBridgeMoto(t *testing.T) {
	endpoint := testenv.StartMoto(t)
	cfg := testenv.AWSConfig(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	eb := awseb.NewFromConfig(cfg)
	sq := sqs.NewFromConfig(cfg)

	const busName = "cogniforge-test"
	if _, err := eb.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: aws.String(busName)}); err != nil {
		t.Fatal(err)
	}
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("requests")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	pattern, _ := json.Marshal(map[string]any{"detail-type": []string{events.TypeRequestCompleted}})
	if _, err := eb.PutRule(ctx, &awseb.PutRuleInput{Name: aws.String("requests"), EventBusName: aws.String(busName), EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &awseb.PutTargetsInput{Rule: aws.String("requests"), EventBusName: aws.String(busName),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}

	client := &countingClient{Client: eb}
	pub, err := eventbridge.New(eventbridge.Config{Client: client, EventBusName: busName})
	if err != nil {
		t.Fatal(err)
	}
	evs := requestEvents(t, 12, 0)
	other, err := events.New(ctx, events.TypeSagaStarted, "test/bus", events.SagaStarted{SagaID: "s", Saga: "x"})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := pub.Publish(ctx, append(evs, other))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("event %d: %v", i, e)
		}
	}
	if client.calls != 2 {
		t.Errorf("%d PutEvents calls for 13 events, want 2", client.calls)
	}

	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < len(evs) && ctx.Err() == nil {
		msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs.Messages {
			var envelope struct {
				DetailType string          `json:"detail-type"`
				Source     string          `json:"source"`
				Detail     json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope); err != nil {
				t.Fatalf("message body %q: %v", aws.ToString(m.Body), err)
			}
			e, err := events.Decode(envelope.Detail)
			if err != nil {
				t.Fatalf("detail %s: %v", envelope.Detail, err)
			}
			if err := catalog.Validate(e); err != nil {
				t.Errorf("delivered event: %v", err)
			}
			if envelope.DetailType != e.Type() || envelope.Source != e.Source() {
				t.Errorf("envelope %s/%s for event %s/%s", envelope.DetailType, envelope.Source, e.Type(), e.Source())
			}
			if got[e.ID()] {
				t.Errorf("event %s delivered twice", e.ID())
			}
			got[e.ID()] = true
		}
	}
	for _, e := range evs {
		if !got[e.ID()] {
			t.Errorf("event %s did not arrive", e.ID())
		}
	}
	if got[other.ID()] {
		t.Errorf("event of type %s matched a rule on %s", other.Type(), events.TypeRequestCompleted)
	}
}

func TestEventBridgeTraceHeaderFromContext(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
	defer span.End()
	fake := &fakePutEvents{}
	evs := requestEvents(t, 2, 0)
	evs[1].SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	if _, err := newEB(t, fake).Publish(ctx, evs); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	tid := sc.TraceID().String()
	want := "Root=1-" + tid[:8] + "-" + tid[8:] + ";Parent=" + sc.SpanID().String() + ";Sampled=1"
	if got := aws.ToString(fake.calls[0].Entries[0].TraceHeader); got != want {
		t.Errorf("TraceHeader from ctx = %q, want %q", got, want)
	}
	// The event's own traceparent wins, unsampled flags included.
	if got := aws.ToString(fake.calls[0].Entries[1].TraceHeader); got != "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=0" {
		t.Errorf("TraceHeader from the event = %q", got)
	}
}

func BenchmarkEventBridgePublish10(b *testing.B) {
	fake := &fakePutEvents{respond: func(_ int, in *awseb.PutEventsInput) (*awseb.PutEventsOutput, error) {
		return acceptAll(in), nil
	}}
	p, err := eventbridge.New(eventbridge.Config{Client: fake})
	if err != nil {
		b.Fatal(err)
	}
	evs := requestEvents(b, 10, 0)
	b.ReportAllocs()
	for b.Loop() {
		fake.calls = fake.calls[:0]
		if _, err := p.Publish(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
}
