package eventbridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// EventBridge passes the bus.Publisher contract suite against moto's
// EventBridge: each subject is a bus of its own with a rule routing the
// suite's types to an SQS queue, where the subscriber reads them.
func TestEventBridgeContract(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	eb, sq := awseb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	var n atomic.Int64
	bustest.TestPublisher(t, bustest.Features{MaxEventBytes: eventbridge.MaxPutEventsBytes}, func(t *testing.T) bustest.Subject {
		ctx := context.Background()
		name := fmt.Sprintf("contract-%d", n.Add(1))
		if _, err := eb.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		pattern, _ := json.Marshal(map[string]any{"detail-type": []string{bustest.TypeA, bustest.TypeB}})
		if _, err := eb.PutRule(ctx, &awseb.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(name), EventPattern: aws.String(string(pattern))}); err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &awseb.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(name),
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
			t.Fatal(err)
		}
		pub, err := eventbridge.New(eventbridge.Config{Client: eb, EventBusName: name})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var got []cloudevents.Event
		return bustest.Subject{
			Publisher: pub,
			Receive: func(ctx context.Context, want int) []cloudevents.Event {
				for len(got) < want && ctx.Err() == nil {
					msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if err != nil {
						if ctx.Err() == nil {
							t.Errorf("ReceiveMessage: %v", err)
						}
						break
					}
					for _, m := range msgs.Messages {
						var envelope struct {
							Detail json.RawMessage `json:"detail"`
						}
						if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope); err != nil {
							t.Fatalf("message body %q: %v", aws.ToString(m.Body), err)
						}
						e, err := events.Decode(envelope.Detail)
						if err != nil {
							t.Fatalf("detail %s: %v", envelope.Detail, err)
						}
						if !seen[e.ID()] { // SQS delivers at least once
							seen[e.ID()] = true
							got = append(got, e)
						}
						if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
							t.Errorf("DeleteMessage: %v", err)
						}
					}
				}
				return got
			},
		}
	})
}
