package ebstreams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"
	"github.com/cogniforge/cogniforge/pkg/streams"
	"github.com/cogniforge/cogniforge/pkg/streams/ebstreams"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func TestReplayOnMoto(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	eb, sq := awseb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	ctx := context.Background()
	bus, err := eb.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: aws.String("cf")})
	if err != nil {
		t.Fatal(err)
	}
	pattern := `{"detail-type":[{"prefix":"dev.cogniforge.request."}]}`
	if _, err := eb.CreateArchive(ctx, &awseb.CreateArchiveInput{ArchiveName: aws.String("cf-api"), EventSourceArn: bus.EventBusArn,
		EventPattern: aws.String(pattern), RetentionDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cf-f")})
	if err != nil {
		t.Fatal(err)
	}
	qa, _ := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if _, err := eb.PutRule(ctx, &awseb.PutRuleInput{Name: aws.String("cf-f-queue"), EventBusName: aws.String("cf"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &awseb.PutTargetsInput{Rule: aws.String("cf-f-queue"), EventBusName: aws.String("cf"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(qa.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	pub, _ := eventbridge.New(eventbridge.Config{Client: eb, EventBusName: "cf"})
	var evs []cloudevents.Event
	for i := range 3 {
		e := cloudevents.NewEvent()
		e.SetID(fmt.Sprintf("e%d", i))
		e.SetSource("//t")
		e.SetType("dev.cogniforge.request.completed.v1")
		_ = e.SetData(cloudevents.ApplicationJSON, map[string]int{"n": i})
		evs = append(evs, e)
	}
	if res, err := pub.Publish(ctx, evs); err != nil || errors.Join(res...) != nil {
		t.Fatal(err, res)
	}

	r, _ := ebstreams.New(ebstreams.Config{Client: eb, Prefix: "cf", PollInterval: 10 * time.Millisecond})
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Minute)
	for _, bad := range []struct {
		req  ebstreams.Request
		want error
	}{
		{ebstreams.Request{Name: "b1", Stream: "nope", From: from, To: to}, streams.ErrUnknownStream},
		{ebstreams.Request{Name: "b2", Stream: "api", From: to, To: from}, streams.ErrInvertedRange},
		{ebstreams.Request{Name: "b3", Stream: "api", From: from, To: to, Rules: []string{"cf-nope"}}, ebstreams.ErrUnknownRule},
	} {
		if _, err := r.Replay(ctx, bad.req); !errors.Is(err, bad.want) {
			t.Errorf("%s: %v, want %v", bad.req.Name, err, bad.want)
		}
	}
	res, err := r.Replay(ctx, ebstreams.Request{Name: "r1", Stream: "api", From: from, To: to, Rules: []string{"cf-f-queue"}})
	if err != nil || res.State != "COMPLETED" {
		t.Fatalf("replay %+v %v", res, err)
	}
	// The queue got the three live events, then the three replayed ones,
	// with the same CloudEvents ids and EventBridge's replay-name.
	var live, replayed []string
	for range 10 {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			var env struct {
				Replay string          `json:"replay-name"`
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				t.Fatal(err)
			}
			var e cloudevents.Event
			if err := json.Unmarshal(env.Detail, &e); err != nil {
				t.Fatal(err)
			}
			if env.Replay == "r1" {
				replayed = append(replayed, e.ID())
			} else {
				live = append(live, e.ID())
			}
		}
	}
	if fmt.Sprint(live) != "[e0 e1 e2]" || fmt.Sprint(replayed) != "[e0 e1 e2]" {
		t.Errorf("live %v, replayed %v", live, replayed)
	}
}
