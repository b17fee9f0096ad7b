package snsnotify_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/notify/snsnotify"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// fakeAPI records the SDK inputs and answers with errs in turn.
type fakeAPI struct {
	inputs []*sns.PublishInput
	errs   []error
}

func (f *fakeAPI) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.inputs = append(f.inputs, in)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func message(topicKey string) notify.Message {
	return notify.Message{
		Key: notify.MessageKey("INC-9", 1, "bob", "sms", notify.ActionTrigger) + topicKey, Action: notify.ActionTrigger,
		IncidentID: "INC-9", Title: "payments latency", Service: "payments", Severity: notify.SEV2,
		URL: "https://cf.example/i/INC-9", Target: "bob",
	}
}

func TestPublishInputThroughTheChannel(t *testing.T) {
	for _, topic := range []string{"arn:aws:sns:eu-west-1:123456789012:oncall", "arn:aws:sns:eu-west-1:123456789012:oncall.fifo"} {
		api := &fakeAPI{}
		ch, err := notify.NewSNS(notify.SNSConfig{Name: "sms", TopicARN: topic, Publisher: snsnotify.New(api)})
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Send(context.Background(), message("")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		in := api.inputs[0]
		if aws.ToString(in.TopicArn) != topic || aws.ToString(in.MessageStructure) != "json" || aws.ToString(in.Subject) != "[SEV2] Triggered: payments latency" {
			t.Errorf("input topic %q structure %q subject %q", aws.ToString(in.TopicArn), aws.ToString(in.MessageStructure), aws.ToString(in.Subject))
		}
		var texts map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &texts); err != nil || texts["sms"] == "" || texts["email"] == "" || texts["default"] == "" {
			t.Errorf("message %q: %v", aws.ToString(in.Message), err)
		}
		if a := in.MessageAttributes["severity"]; aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != "SEV2" {
			t.Errorf("severity attribute %+v", a)
		}
		fifo := topic[len(topic)-5:] == ".fifo"
		if (in.MessageGroupId != nil) != fifo || (in.MessageDeduplicationId != nil) != fifo {
			t.Errorf("%s: group %v dedup %v", topic, in.MessageGroupId, in.MessageDeduplicationId)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err       error
		retryable bool
	}{
		{&smithy.GenericAPIError{Code: "Throttled", Fault: smithy.FaultClient}, true},
		{&smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}, true},
		{&smithy.GenericAPIError{Code: "AuthorizationError", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "NotFound", Fault: smithy.FaultClient}, false},
		{&smithy.GenericAPIError{Code: "InvalidParameter", Fault: smithy.FaultClient}, false},
		{errors.New("dial tcp: connection refused"), true},
	}
	for _, tc := range cases {
		err := snsnotify.Classify(tc.err)
		if notify.Retryable(err) != tc.retryable {
			t.Errorf("%v: retryable %v, want %v", tc.err, !tc.retryable, tc.retryable)
		}
	}
}

// Through a Notifier: a throttled publish is retried, a refused one not.
func TestNotifierRetriesThrottling(t *testing.T) {
	api := &fakeAPI{errs: []error{&smithy.GenericAPIError{Code: "Throttled"}, &smithy.GenericAPIError{Code: "Throttled"}}}
	ch, _ := notify.NewSNS(notify.SNSConfig{Name: "sms", TopicARN: "arn:aws:sns:eu-west-1:123456789012:oncall", Publisher: snsnotify.New(api)})
	c := clock.NewFake(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	n, err := notify.New(notify.Config{Store: memory.New(memory.Config{Now: c.Now}), Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Deliver(context.Background(), ch, message(""))
	if err != nil || r.Attempts != 3 {
		t.Fatalf("%+v, %v; want delivered on attempt 3", r, err)
	}
	api.errs = []error{&smithy.GenericAPIError{Code: "AuthorizationError"}}
	r, err = n.Deliver(context.Background(), ch, message("/other"))
	if !errors.Is(err, notify.ErrRejected) || r.Attempts != 1 {
		t.Fatalf("%+v, %v; want rejected after 1 attempt", r, err)
	}
}

// The SDK client against moto_server: the input is one SNS accepts, and a
// missing topic is a permanent refusal.
func TestPublishToMoto(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	client := sns.NewFromConfig(cfg)
	ctx := context.Background()
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("oncall")})
	if err != nil {
		t.Fatal(err)
	}
	pub := snsnotify.NewFromConfig(cfg)
	ch, err := notify.NewSNS(notify.SNSConfig{Name: "sms", TopicARN: aws.ToString(topic.TopicArn), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	// A queue subscribed to the topic receives what subscribers get.
	q := sqs.NewFromConfig(cfg)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("inbox")})
	if err != nil {
		t.Fatal(err)
	}
	qattr, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(qattr.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}); err != nil {
		t.Fatal(err)
	}
	m := message("")
	if err := ch.Send(ctx, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, WaitTimeSeconds: 5})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	var envelope struct {
		Message           string
		Subject           string
		MessageAttributes map[string]struct{ Value string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(got.Messages[0].Body)), &envelope); err != nil {
		t.Fatal(err)
	}
	if envelope.Message != notify.SMSText(m) || envelope.Subject != "[SEV2] Triggered: payments latency" || envelope.MessageAttributes["incident_id"].Value != "INC-9" {
		t.Errorf("subscriber got %+v, want the short text %q", envelope, notify.SMSText(m))
	}
	arn := aws.ToString(topic.TopicArn)
	missing, _ := notify.NewSNS(notify.SNSConfig{Name: "gone", TopicARN: arn[:len(arn)-len("oncall")] + "deleted", Publisher: pub})
	err = missing.Send(ctx, message(""))
	if err == nil || notify.Retryable(err) {
		t.Fatalf("publish to a missing topic: %v, want a permanent error", err)
	}
}
