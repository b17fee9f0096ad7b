package sqsdlq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/dlq"
	"github.com/cogniforge/cogniforge/pkg/dlq/sqsdlq"
	"github.com/cogniforge/cogniforge/pkg/idempotency"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func body(id string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"//test","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","data":{"n":%q}}`, id, id)
}

// queues creates a source queue whose redrive policy moves a message to
// its dead letters after two receives.
func queues(t *testing.T, client *sqs.Client) (src, dl string) {
	t.Helper()
	ctx := context.Background()
	d, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cf-f-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: d.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cf-f"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, attrs.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(s.QueueUrl), aws.ToString(d.QueueUrl)
}

// consume receives from the source queue and runs each message through an
// idempotent handler, deleting it on success; it returns how many messages
// it received.
func consume(t *testing.T, client *sqs.Client, src string, guard *idempotency.Guard, effects map[string]int) int {
	t.Helper()
	ctx := context.Background()
	h := guard.Middleware(func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
		effects[e.ID()]++
		return nil, nil
	})
	n := 0
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return n
		}
		for _, m := range out.Messages {
			n++
			e, err := dlq.DecodeBody([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatalf("redriven a poison message: %v", err)
			}
			if _, err := h(ctx, e); err != nil {
				t.Fatal(err)
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(src), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRedriveOnMoto(t *testing.T) {
	client := sqs.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t)))
	ctx := context.Background()
	src, dl := queues(t, client)
	for _, b := range []string{body("e1"), "not a cloud event", body("e2")} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// A consumer that fails everything: each message is received twice,
	// then SQS's redrive policy moves it to the dead letters.
	// (A zero VisibilityTimeout is not sent by the SDK: each failure
	// releases its message with ChangeMessageVisibility 0.) A receive may
	// return fewer messages than are there, as SQS's may, so it goes on
	// until the source queue answers empty: every message has moved.
	for range 20 {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(src), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q, err := sqsdlq.New(sqsdlq.Config{Client: client, Function: "f", DLQURL: dl, SourceURL: src})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := q.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("dead letters %+v", ms)
	}
	poison := 0
	for _, m := range ms {
		if m.ReceiveCount < 2 || m.FirstFailure.IsZero() {
			t.Errorf("no receive count or first failure: %+v", m)
		}
		if m.Poison {
			poison++
			if m.Body != "not a cloud event" {
				t.Errorf("poison %+v", m)
			}
		}
	}
	if poison != 1 {
		t.Errorf("%d poison messages, want 1", poison)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Redrive in a new listing: the two events go back, the poison stays.
	q2, _ := sqsdlq.New(sqsdlq.Config{Client: client, Function: "f", DLQURL: dl, SourceURL: src})
	rep, err := dlq.Redrive(ctx, q2)
	if err != nil || len(rep.Redriven) != 2 || len(rep.Poison) != 1 || len(rep.Failed) != 0 {
		t.Fatalf("redrive %+v %v", rep, err)
	}
	if err := q2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	guard, _ := idempotency.New(idempotency.Config{Store: memory.New(memory.Config{}), Namespace: "f", ExpiresAfter: time.Hour})
	effects := map[string]int{}
	if n := consume(t, client, src, guard, effects); n != 2 {
		t.Errorf("consumed %d, want 2", n)
	}
	// A redrive repeated after a crash between send and delete: the same
	// event arrives again and the consumer deduplicates it by id.
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String(body("e1"))}); err != nil {
		t.Fatal(err)
	}
	consume(t, client, src, guard, effects)
	if effects["e1"] != 1 || effects["e2"] != 1 {
		t.Errorf("effects %v, want each event once", effects)
	}
	q3, _ := sqsdlq.New(sqsdlq.Config{Client: client, Function: "f", DLQURL: dl, SourceURL: src})
	left, _ := q3.List(ctx)
	if len(left) != 1 || !left[0].Poison {
		t.Errorf("left %+v", left)
	}
	if _, err := dlq.Retry(ctx, q3, left[0].ID, false); err == nil {
		t.Error("a poison message was retried")
	}
	if n, err := q3.Purge(ctx); n != 1 || err != nil {
		t.Errorf("purge %d %v", n, err)
	}
}
