package sfnlocal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func adder() faas.Function {
	return faas.Function{Name: "adder", TaskEventType: "dev.cogniforge.test.add.v1",
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			var in struct{ A, B float64 }
			if err := e.DataAs(&in); err != nil {
				return nil, err
			}
			if in.A < 0 || in.B < 0 {
				return nil, &faas.Error{Name: "Math.Negative", Message: "negative operand"}
			}
			out := cloudevents.NewEvent()
			out.SetID("r")
			out.SetSource("adder")
			out.SetType("dev.cogniforge.test.sum.v1")
			_ = out.SetData(cloudevents.ApplicationJSON, map[string]float64{"sum": in.A + in.B})
			return &out, nil
		}}
}

type recQueue struct {
	fn string
	e  cloudevents.Event
}

func (q *recQueue) Enqueue(_ context.Context, fn string, e cloudevents.Event) error {
	q.fn, q.e = fn, e
	return nil
}

func run(t *testing.T, inv *Invoker, def string, input any) asl.Result {
	t.Helper()
	sm, err := asl.Compile([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{Input: input, Invoker: inv, FunctionName: inv.FunctionName, Clock: asl.NewFastClock(asl.RealClock{}.Now())})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newInvoker(t *testing.T, b *bustest.Recorder, q *recQueue) *Invoker {
	t.Helper()
	inv, err := NewInvoker(InvokerConfig{Functions: []faas.Function{adder()}, Bus: b, Queues: q,
		Options: []adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

const lambdaDef = `{"StartAt":"Add","States":{
  "Add":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"${function_arn_adder}","Payload.$":"$"},
    "ResultSelector":{"sum.$":"$.Payload.sum"},
    "Catch":[{"ErrorEquals":["Math.Negative"],"ResultPath":"$.error","Next":"Refused"}],
    "Next":"Plain"},
  "Plain":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:cogniforge-adder",
    "Parameters":{"A.$":"$.sum","B":1},"End":true},
  "Refused":{"Type":"Pass","End":true}}}`

func TestLambdaTasksRunTheRealFunction(t *testing.T) {
	inv := newInvoker(t, &bustest.Recorder{}, &recQueue{})
	res := run(t, inv, lambdaDef, map[string]any{"A": 2, "B": 3})
	if res.Status != asl.StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	if got, _ := json.Marshal(res.Output); string(got) != `{"sum":6}` {
		t.Errorf("output = %s, want {\"sum\":6}", got)
	}
}

func TestFunctionErrorsKeepTheirNameForCatch(t *testing.T) {
	inv := newInvoker(t, &bustest.Recorder{}, &recQueue{})
	res := run(t, inv, lambdaDef, map[string]any{"A": -1, "B": 3})
	if res.Status != asl.StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	out := jsonv.ToAny(res.Output).(map[string]any)
	errObj, _ := out["error"].(map[string]any)
	if errObj["Error"] != "Math.Negative" {
		t.Errorf("caught error = %v, want Math.Negative", out["error"])
	}
}

func TestUnknownFunctionFails(t *testing.T) {
	inv := newInvoker(t, &bustest.Recorder{}, &recQueue{})
	res := run(t, inv, `{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:nope","End":true}}}`, map[string]any{})
	if res.Status != asl.StatusFailed || res.Error != "Lambda.ResourceNotFoundException" {
		t.Errorf("result = %+v", res)
	}
}

func TestServiceIntegrations(t *testing.T) {
	b, q := &bustest.Recorder{}, &recQueue{}
	inv := newInvoker(t, b, q)
	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",
	    "Parameters":{"Entries":[{"Source":"orders","DetailType":"dev.cogniforge.test.order.v1","Detail":{"id.$":"$.id"}}]},
	    "ResultPath":"$.put","Next":"Send"},
	  "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
	    "Parameters":{"QueueUrl":"http://localhost:4566/000000000000/cogniforge-adder-queue","MessageBody":{"A":1,"B":2}},
	    "ResultPath":"$.sent","Next":"Notify"},
	  "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
	    "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:1:alerts","Message":"hello"},"ResultPath":"$.sns","End":true}}}`
	res := run(t, inv, def, map[string]any{"id": "o-1"})
	if res.Status != asl.StatusSucceeded {
		t.Fatalf("result = %+v", res)
	}
	out := jsonv.ToAny(res.Output).(map[string]any)
	if put := out["put"].(map[string]any); put["FailedEntryCount"] != float64(0) && put["FailedEntryCount"] != 0 {
		t.Errorf("putEvents = %v", put)
	}
	got := b.Events()
	if len(got) != 2 || got[0].Type() != "dev.cogniforge.test.order.v1" || string(got[0].Data()) != `{"id":"o-1"}` {
		t.Errorf("bus got %v", got)
	}
	if q.fn != "adder" || string(q.e.Data()) != `{"A":1,"B":2}` {
		t.Errorf("queue got %s %s", q.fn, q.e.Data())
	}
	if got[1].Type() != "dev.cogniforge.sns.message.v1" || string(got[1].Data()) != `"hello"` {
		t.Errorf("sns publish = %v", got[1])
	}
}

// shortBus accepts a call but answers no per-event results.
type shortBus struct{}

func (shortBus) Publish(context.Context, []cloudevents.Event) ([]error, error) { return nil, nil }

// TestPublishWithoutResultsFails: a bus that does not say what became of
// each event makes putEvents and sns:publish fail, rather than report the
// events published.
func TestPublishWithoutResultsFails(t *testing.T) {
	inv, err := NewInvoker(InvokerConfig{Functions: []faas.Function{adder()}, Bus: shortBus{}, Queues: &recQueue{},
		Options: []adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ def, wantErr string }{
		"putEvents": {`{"StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",
		  "Parameters":{"Entries":[{"Source":"orders","DetailType":"dev.cogniforge.test.order.v1","Detail":{"id":"o-1"}}]},"End":true}}}`,
			"EventBridge.EventBridgeException"},
		"sns": {`{"StartAt":"Notify","States":{"Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
		  "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:1:alerts","Message":"hello"},"End":true}}}`,
			"SNS.InternalErrorException"},
	} {
		t.Run(name, func(t *testing.T) {
			res := run(t, inv, c.def, map[string]any{})
			if res.Status != asl.StatusFailed || res.Error != c.wantErr {
				t.Errorf("result = %+v, want failed with %s", res, c.wantErr)
			}
		})
	}
}

// TestServiceIntegrationsCarryTraceContext: events a state machine sends get
// the execution's span and baggage, unless the CloudEvent it sends carries
// its own.
func TestServiceIntegrationsCarryTraceContext(t *testing.T) {
	b, q := &bustest.Recorder{}, &recQueue{}
	inv := newInvoker(t, b, q)
	def := `{"StartAt":"Put","States":{
	  "Put":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",
	    "Parameters":{"Entries":[
	      {"Source":"orders","DetailType":"dev.cogniforge.test.order.v1","Detail":{"id":"o-1"}},
	      {"Source":"orders","DetailType":"x","Detail":{"specversion":"1.0","id":"own","source":"s","type":"dev.cogniforge.test.own.v1",
	        "traceparent":"00-11111111111111111111111111111111-2222222222222222-01","baggage":"tenant=globex"}}]},
	    "ResultPath":"$.put","Next":"Send"},
	  "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
	    "Parameters":{"QueueUrl":"http://localhost:4566/000000000000/cogniforge-adder-queue","MessageBody":{"A":1,"B":2}},
	    "ResultPath":"$.sent","Next":"Notify"},
	  "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
	    "Parameters":{"TopicArn":"arn:aws:sns:us-east-1:1:alerts","Message":"hello"},"End":true}}}`
	sm, err := asl.Compile([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	m, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(m)
	ctx, span := tp.Tracer("t").Start(baggage.ContextWithBaggage(context.Background(), bag), "execution")
	defer span.End()
	if _, res, err := sm.Run(ctx, asl.ExecutionConfig{Input: map[string]any{}, Invoker: inv, FunctionName: inv.FunctionName, Clock: asl.NewFastClock(asl.RealClock{}.Now())}); err != nil || res.Status != asl.StatusSucceeded {
		t.Fatalf("run: %+v %v", res, err)
	}
	ours := telemetry.Headers{TraceParent: "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01", Baggage: "tenant=acme"}
	got := b.Events()
	if len(got) != 3 {
		t.Fatalf("bus got %d events", len(got))
	}
	for name, e := range map[string]cloudevents.Event{"putEvents": got[0], "sqs:sendMessage": q.e, "sns:publish": got[2]} {
		if h := telemetry.EventHeaders(e); h != ours {
			t.Errorf("%s event carries %+v, want %+v", name, h, ours)
		}
	}
	if h := telemetry.EventHeaders(got[1]); h.TraceParent != "00-11111111111111111111111111111111-2222222222222222-01" || h.Baggage != "tenant=globex" {
		t.Errorf("a CloudEvent's own trace context was replaced: %+v", h)
	}
}

// A Task's TimeoutSeconds is the state's, not the function's, as on AWS: a
// function that honours its context is not handed the state's deadline (its
// own Timeout middleware would answer CogniForge.Timeout first); the state
// fails with States.Timeout. The function's own deadline is
// FunctionTimeout, like a Lambda's configured timeout.
func TestTaskTimeoutIsTheStates(t *testing.T) {
	patient := faas.Function{Name: "patient", TaskEventType: "dev.cogniforge.test.wait.v1",
		Handler: func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
	def := func(timeout int) string {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		  "Parameters":{"FunctionName":"patient","Payload":{}},"TimeoutSeconds":%d,"End":true}}}`, timeout)
	}
	for _, tt := range []struct {
		name            string
		stateTimeout    int
		functionTimeout time.Duration
		want            string
	}{
		{"state times out first", 1, 0, asl.ErrTimeout},
		{"function's own timeout first", 30, time.Second, faas.ErrTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := NewInvoker(InvokerConfig{Functions: []faas.Function{patient}, FunctionTimeout: tt.functionTimeout,
				Options: []adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}})
			if err != nil {
				t.Fatal(err)
			}
			sm, err := asl.Compile([]byte(def(tt.stateTimeout)))
			if err != nil {
				t.Fatal(err)
			}
			_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{Input: map[string]any{}, Invoker: inv, FunctionName: inv.FunctionName})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != asl.StatusFailed || res.Error != tt.want {
				t.Errorf("result %s %s (%s), want FAILED %s", res.Status, res.Error, res.Cause, tt.want)
			}
		})
	}
}
