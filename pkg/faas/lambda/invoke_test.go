package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	"github.com/aws/aws-lambda-go/events"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// sqsSample is aws-lambda-go's sqs-event.json with n records, record i's body
// set by body(i) and its messageId "m<i>".
func sqsSample(t testing.TB, n int, body func(i int) string, attrs func(i int) map[string]events.SQSMessageAttribute) []byte {
	t.Helper()
	var in events.SQSEvent
	if err := json.Unmarshal(faastest.LambdaTestdata(t, "sqs-event.json"), &in); err != nil {
		t.Fatal(err)
	}
	tmpl := in.Records[0]
	in.Records = nil
	for i := range n {
		r := tmpl
		r.MessageId = "m" + string(rune('0'+i))
		r.Body = body(i)
		if attrs != nil {
			r.MessageAttributes = attrs(i)
		}
		in.Records = append(in.Records, r)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func failures(t testing.TB, out []byte) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("batch response %s: %v", out, err)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// recordingFunction wraps faastest.Function to record the events handled.
type recording struct {
	mu  sync.Mutex
	evs []cloudevents.Event
}

func (r *recording) fn() faas.Function {
	f := faastest.Function()
	f.Handler = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		r.mu.Lock()
		r.evs = append(r.evs, ev)
		r.mu.Unlock()
		if ev.Type() != faastest.CompletedType {
			return nil, nil
		}
		return faastest.Handler(ctx, ev)
	}
	return f
}

func TestInvokeSQS(t *testing.T) {
	str := func(s string) *string { return &s }
	good := func(i int) string {
		return faastest.StructuredJSON(t, faastest.CompletedEvent("e"+string(rune('0'+i)), faastest.RequestCompleted{Service: "s", Operation: "op"}))
	}
	tests := []struct {
		name   string
		body   func(i int) string
		attrs  func(i int) map[string]events.SQSMessageAttribute
		failed []string
		check  func(t *testing.T, evs []cloudevents.Event)
	}{
		{name: "structured", body: good, failed: []string{}},
		{name: "some fail", body: func(i int) string {
			switch i {
			case 1:
				return "Message Body" // the sample's own body: not a CloudEvent
			case 2:
				return faastest.StructuredJSON(t, faastest.CompletedEvent("x", faastest.RequestCompleted{Operation: "op"})) // invalid
			case 3:
				return faastest.StructuredJSON(t, faastest.CompletedEvent("y", faastest.RequestCompleted{Service: "s", Operation: "business"}))
			case 4:
				return faastest.StructuredJSON(t, faastest.CompletedEvent("z", faastest.RequestCompleted{Service: "s", Operation: "panic"}))
			case 5:
				return `{"specversion":"1.0","id":` // malformed
			}
			return good(i)
		}, failed: []string{"m1", "m2", "m3", "m4", "m5"}},
		{name: "binary with ce_ and ce- attributes", body: func(int) string { return `{"service":"s","operation":"op"}` },
			attrs: func(i int) map[string]events.SQSMessageAttribute {
				sep := "_"
				if i%2 == 1 {
					sep = "-"
				}
				a := func(v string) events.SQSMessageAttribute {
					return events.SQSMessageAttribute{StringValue: str(v), DataType: "String"}
				}
				return map[string]events.SQSMessageAttribute{
					"ce" + sep + "specversion":     a("1.0"),
					"ce" + sep + "id":              a("bin" + string(rune('0'+i))),
					"ce" + sep + "source":          a("/queue"),
					"ce" + sep + "type":            a(faastest.CompletedType),
					"ce" + sep + "datacontenttype": a("application/json"),
					"ce" + sep + "correlationid":   a("corr-1"),
					"traceparent":                  a("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
				}
			}, failed: []string{},
			check: func(t *testing.T, evs []cloudevents.Event) {
				for _, ev := range evs {
					if ev.Extensions()["correlationid"] != "corr-1" || ev.Extensions()["traceparent"] == nil {
						t.Fatalf("binary event lost extensions: %v", ev)
					}
				}
			}},
		{name: "eventbridge rule to queue, cloudevent detail", body: func(i int) string {
			ce := faastest.StructuredJSON(t, faastest.CompletedEvent("q"+string(rune('0'+i)), faastest.RequestCompleted{Service: "s", Operation: "op"}))
			return `{"version":"0","id":"eb-` + string(rune('0'+i)) + `","detail-type":"` + faastest.CompletedType + `","source":"/gateway","account":"1","time":"2026-01-02T03:04:05Z","region":"eu-west-1","resources":[],"detail":` + ce + `}`
		}, failed: []string{}, check: func(t *testing.T, evs []cloudevents.Event) {
			if len(evs) != 6 || evs[0].ID() != "q0" || evs[0].Type() != faastest.CompletedType {
				t.Fatalf("%v", evs)
			}
		}},
		{name: "eventbridge envelope in body", body: func(int) string {
			return string(faastest.LambdaTestdata(t, "ecr-image-push-event.json"))
		}, failed: []string{}, check: func(t *testing.T, evs []cloudevents.Event) {
			if evs[0].Type() != "aws.eventbridge.aws.ecr.ecr-image-action" || evs[0].Source() != "aws.ecr" || evs[0].ID() != "13cde686-328b-6117-af20-0e5566167482" {
				t.Fatalf("mapped %v", evs[0])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recording{}
			inv := lambda.NewInvoker(rec.fn(), faastest.Options()...)
			out, err := inv.Invoke(context.Background(), sqsSample(t, 6, tc.body, tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(t, out); strings.Join(got, ",") != strings.Join(tc.failed, ",") {
				t.Fatalf("failures %v want %v", got, tc.failed)
			}
			if tc.check != nil {
				tc.check(t, rec.evs)
			}
		})
	}
}

func TestInvokeSQSFIFOStopsAtFirstFailure(t *testing.T) {
	payload := sqsSample(t, 4, func(i int) string {
		op := "op"
		if i == 1 {
			op = "business"
		}
		return faastest.StructuredJSON(t, faastest.CompletedEvent("f"+string(rune('0'+i)), faastest.RequestCompleted{Service: "s", Operation: op}))
	}, nil)
	payload = []byte(strings.ReplaceAll(string(payload), "SQSQueue", "SQSQueue.fifo"))
	rec := &recording{}
	out, err := lambda.NewInvoker(rec.fn(), faastest.Options()...).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); strings.Join(got, ",") != "m1,m2,m3" {
		t.Fatalf("failures %v", got)
	}
	if len(rec.evs) != 2 {
		t.Fatalf("handled %d events, want 2 (stop after the failure)", len(rec.evs))
	}
}

func TestInvokeSQSBatchHandler(t *testing.T) {
	fn := faastest.Function()
	var sizes []int
	fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		sizes = append(sizes, len(evs))
		out := make([]faas.Result, len(evs))
		for i, ev := range evs {
			out[i].Event, out[i].Err = faastest.Handler(ctx, ev)
		}
		return out
	}
	payload := sqsSample(t, 5, func(i int) string {
		d := faastest.RequestCompleted{Service: "s", Operation: "op"}
		if i == 0 {
			d.Service = "" // invalid: never reaches the batch
		}
		if i == 3 {
			d.Operation = "business"
		}
		return faastest.StructuredJSON(t, faastest.CompletedEvent("b"+string(rune('0'+i)), d))
	}, nil)
	out, err := lambda.NewInvoker(fn, faastest.Options()...).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); strings.Join(got, ",") != "m0,m3" || len(sizes) != 1 || sizes[0] != 4 {
		t.Fatalf("failures %v batch sizes %v", got, sizes)
	}
}

func TestInvokeEventBridge(t *testing.T) {
	ce := faastest.CompletedEvent("eb-1", faastest.RequestCompleted{Service: "s", Operation: "op"})
	ceDetail := `{"version":"0","id":"x","detail-type":"` + faastest.CompletedType + `","source":"cogniforge.gateway","account":"1","time":"2026-01-02T03:04:05Z","region":"eu-west-1","resources":[],"detail":` + faastest.StructuredJSON(t, ce) + `}`
	scheduled := `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2015-10-08T16:53:06Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],"detail":{}}`
	tests := []struct {
		name, payload, typ, source string
		check                      func(t *testing.T, ev cloudevents.Event)
	}{
		{name: "sample ecr", payload: string(faastest.LambdaTestdata(t, "ecr-image-push-event.json")), typ: "aws.eventbridge.aws.ecr.ecr-image-action", source: "aws.ecr"},
		{name: "sample codepipeline", payload: string(faastest.LambdaTestdata(t, "codepipeline-execution-state-change-event.json")), typ: "aws.eventbridge.aws.codepipeline.codepipeline-pipeline-execution-state-change", source: "aws.codepipeline"},
		{name: "cloudevent detail", payload: ceDetail, typ: faastest.CompletedType, source: "/gateway"},
		{name: "scheduled event", payload: scheduled, typ: faas.ScheduleFiredType, source: "aws.events", check: func(t *testing.T, ev cloudevents.Event) {
			var d faas.ScheduleFired
			if err := ev.DataAs(&d); err != nil || d.Schedule != "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule" || d.ScheduledTime.Year() != 2015 {
				t.Fatalf("data %+v %v", d, err)
			}
		}},
		{name: "scheduler input", payload: `{"scheduleArn":"arn:aws:scheduler:eu-west-1:1:schedule/default/slo","scheduledTime":"2026-03-01T10:00:00Z","executionId":"exec-1","attemptNumber":"2"}`,
			typ: faas.ScheduleFiredType, source: "arn:aws:scheduler:eu-west-1:1:schedule/default/slo", check: func(t *testing.T, ev cloudevents.Event) {
				var d faas.ScheduleFired
				if err := ev.DataAs(&d); err != nil || d.Attempt != 2 || d.ExecutionID != "exec-1" || ev.ID() != "exec-1" {
					t.Fatalf("data %+v %v", d, err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recording{}
			out, err := lambda.NewInvoker(rec.fn(), faastest.Options()...).Invoke(context.Background(), []byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != "null" || len(rec.evs) != 1 {
				t.Fatalf("out %s, %d events", out, len(rec.evs))
			}
			ev := rec.evs[0]
			if ev.Type() != tc.typ || ev.Source() != tc.source {
				t.Fatalf("event type %q source %q", ev.Type(), ev.Source())
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
		})
	}
}

func TestInvokeFunctionURL(t *testing.T) {
	ce := faastest.CompletedEvent("u1", faastest.RequestCompleted{Service: "checkout", Operation: "pay"})
	setBody := func(name string, body string, headers map[string]string, b64 bool) []byte {
		var m map[string]any
		if err := json.Unmarshal(faastest.LambdaTestdata(t, name), &m); err != nil {
			t.Fatal(err)
		}
		if b64 {
			body = base64.StdEncoding.EncodeToString([]byte(body))
		}
		m["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "POST"
		m["body"], m["isBase64Encoded"], m["headers"] = body, b64, headers
		b, _ := json.Marshal(m)
		return b
	}
	structured := map[string]string{"content-type": cehttp.ContentTypeStructured}
	binary := map[string]string{"content-type": "application/json", "ce-specversion": "1.0", "ce-id": "u2", "ce-source": "/url", "ce-type": faastest.CompletedType}
	tests := []struct {
		name     string
		payload  []byte
		status   int
		contains string
	}{
		{"lambda url structured", setBody("lambda-urls-request.json", faastest.StructuredJSON(t, ce), structured, false), 200, `"type":"` + faastest.RecordedType},
		{"lambda url base64", setBody("lambda-urls-request.json", faastest.StructuredJSON(t, ce), structured, true), 200, `"type":"` + faastest.RecordedType},
		{"apigw v2 binary", setBody("apigw-v2-request-no-authorizer.json", `{"service":"s","operation":"op"}`, binary, false), 200, `Ce-Type`},
		{"apigw v2 route", func() []byte {
			b := setBody("apigw-v2-request-iam.json", `{"service":"s","operation":"op"}`, map[string]string{"content-type": "application/json"}, false)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			m["rawPath"] = "/requests"
			b, _ = json.Marshal(m)
			return b
		}(), 200, `"ok":true`},
		{"sample body is not a cloudevent", faastest.LambdaTestdata(t, "lambda-urls-request.json"), 400, `"field":"specversion"`},
		{"bad base64", setBody("lambda-urls-request.json", "x", structured, false), 400, ""},
		{"jwt sample GET", faastest.LambdaTestdata(t, "apigw-v2-request-jwt-authorizer.json"), 405, "CloudEvents are POSTed"},
		{"lambda authorizer sample GET", faastest.LambdaTestdata(t, "apigw-v2-request-lambda-authorizer.json"), 405, "CloudEvents are POSTed"},
		{"no authorizer sample GET", faastest.LambdaTestdata(t, "apigw-v2-request-no-authorizer.json"), 405, "CloudEvents are POSTed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lambda.NewInvoker(faastest.Function(), faastest.Options()...).Invoke(context.Background(), tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.LambdaFunctionURLResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			all := resp.Body
			for k, v := range resp.Headers {
				all += "\n" + k + ": " + v
			}
			if resp.StatusCode != tc.status || !strings.Contains(all, tc.contains) {
				t.Fatalf("status %d response %s", resp.StatusCode, out)
			}
		})
	}
}

func TestInvokeRotationDirectAndTask(t *testing.T) {
	rec := &recording{}
	inv := lambda.NewInvoker(rec.fn(), faastest.Options()...)
	ctx := context.Background()

	out, err := inv.Invoke(ctx, faastest.LambdaTestdata(t, "secretsmanager-secret-rotation-event.json"))
	if err != nil || string(out) != "null" {
		t.Fatalf("rotation: %s %v", out, err)
	}
	ev := rec.evs[0]
	var rot faas.SecretRotation
	if err := ev.DataAs(&rot); err != nil || ev.Type() != faas.SecretRotationType || rot.Step != "createSecret" ||
		ev.ID() != "1ab23456-cde7-8912-34fg-h56i78j9k12l/createSecret" || ev.Source() != rot.SecretID {
		t.Fatalf("rotation event %v %+v %v", ev, rot, err)
	}

	out, err = inv.Invoke(ctx, []byte(faastest.StructuredJSON(t, faastest.CompletedEvent("d1", faastest.RequestCompleted{Service: "s", Operation: "op"}))))
	if err != nil {
		t.Fatal(err)
	}
	var reply cloudevents.Event
	if err := json.Unmarshal(out, &reply); err != nil || reply.Type() != faastest.RecordedType {
		t.Fatalf("direct reply %s %v", out, err)
	}

	out, err = inv.Invoke(ctx, []byte(`{"service":"s","operation":"op","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","correlationId":"saga-9"}`))
	if err != nil || string(out) != `{"ok":true,"service":"s"}` {
		t.Fatalf("task reply %s %v", out, err)
	}
	last := rec.evs[len(rec.evs)-1]
	if last.Type() != faastest.CompletedType || last.Extensions()["correlationid"] != "saga-9" || last.Extensions()["traceparent"] == nil {
		t.Fatalf("task event %v", last)
	}
}

func TestInvokeErrorsAreNamed(t *testing.T) {
	fn := faastest.Function()
	noTask := faastest.Function()
	noTask.TaskEventType = ""
	tests := []struct {
		name    string
		fn      faas.Function
		payload string
		errType string
	}{
		{"malformed", fn, `{"a":`, faas.ErrInvalidEvent},
		{"empty", fn, ``, faas.ErrUnsupported},
		{"null", fn, `null`, faas.ErrUnsupported},
		{"no task type", noTask, `{"a":1}`, faas.ErrUnsupported},
		{"business", fn, `{"service":"s","operation":"business"}`, "Saga.BusinessError"},
		{"panic", fn, `{"service":"s","operation":"panic"}`, faas.ErrPanic},
		{"unnamed", fn, `{"service":"s","operation":"plain"}`, "errorString"},
		{"invalid task", fn, `{"operation":"x"}`, faas.ErrInvalidEvent},
		{"bad direct cloudevent", fn, `{"specversion":"1.0","id":"1","source":"/s"}`, faas.ErrInvalidEvent},
		{"direct business", fn, faastest.StructuredJSON(t, faastest.CompletedEvent("x", faastest.RequestCompleted{Service: "s", Operation: "business"})), "Saga.BusinessError"},
		{"rotation handler error", func() faas.Function {
			f := faastest.Function()
			f.Handler = func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
				return nil, faas.Errorf("Rotation.Failed", "cannot set")
			}
			return f
		}(), `{"SecretId":"arn:s","ClientRequestToken":"t","Step":"setSecret"}`, "Rotation.Failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lambda.NewInvoker(tc.fn, faastest.Options()...).Invoke(context.Background(), []byte(tc.payload))
			var fe *faas.Error
			if !errors.As(err, &fe) || faas.ErrorName(err) != tc.errType {
				t.Fatalf("error %v (%T) name %q want %q", err, err, faas.ErrorName(err), tc.errType)
			}
		})
	}
}

// TestInvokeSQSFIFOMessageGroups: on a FIFO queue a failure holds back only
// the later records of its own message group.
func TestInvokeSQSFIFOMessageGroups(t *testing.T) {
	ops := []string{"op", "business", "op", "op", "op"}
	groups := []string{"g1", "g1", "g2", "g1", "g2"}
	var in events.SQSEvent
	if err := json.Unmarshal(sqsSample(t, len(ops), func(i int) string {
		return faastest.StructuredJSON(t, faastest.CompletedEvent("f"+string(rune('0'+i)), faastest.RequestCompleted{Service: "s", Operation: ops[i]}))
	}, nil), &in); err != nil {
		t.Fatal(err)
	}
	for i := range in.Records {
		in.Records[i].EventSourceARN += ".fifo"
		in.Records[i].Attributes = map[string]string{"MessageGroupId": groups[i]}
	}
	payload, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recording{}
	out, err := lambda.NewInvoker(rec.fn(), faastest.Options()...).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); strings.Join(got, ",") != "m1,m3" {
		t.Fatalf("failures %v, want m1,m3", got)
	}
	var handled []string
	for _, ev := range rec.evs {
		handled = append(handled, ev.ID())
	}
	if strings.Join(handled, ",") != "f0,f1,f2,f4" {
		t.Fatalf("handled %v, want f0,f1,f2,f4 (f3 waits behind f1)", handled)
	}
}

// TestFromEventBridgePutEventsEntry: a PutEvents entry has no id or time;
// EventBridge stamps both, and so does the mapping.
func TestFromEventBridgePutEventsEntry(t *testing.T) {
	tests := []struct {
		name, detailType, wantType string
	}{
		{"cloudevents type", "dev.cogniforge.saga.completed.v1", "dev.cogniforge.saga.completed.v1"},
		{"free text", "Order Shipped", "aws.eventbridge.orders.order-shipped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := lambda.FromEventBridge(lambda.EventBridgeEvent{Source: "orders", DetailType: tc.detailType, Detail: []byte(`{"id":"o-1"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if err := ev.Validate(); err != nil || ev.Type() != tc.wantType || ev.ID() == "" || ev.Time().IsZero() || string(ev.Data()) != `{"id":"o-1"}` {
				t.Fatalf("event %v (%v)", ev, err)
			}
		})
	}
}
