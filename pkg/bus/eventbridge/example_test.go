package eventbridge_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"
)

// exampleEventBridge stands in for *awseb.Client: it prints each call and
// throttles the entry whose detail-type is "throttle.me", as EventBridge may
// refuse single entries of an accepted call.
type exampleEventBridge struct{ calls int }

func (f *exampleEventBridge) PutEvents(_ context.Context, in *awseb.PutEventsInput, _ ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	f.calls++
	first := in.Entries[0]
	fmt.Printf("call %d: %d entries to bus %s; first: source=%s detail-type=%s trace=%s\n", f.calls, len(in.Entries),
		aws.ToString(first.EventBusName), aws.ToString(first.Source), aws.ToString(first.DetailType), aws.ToString(first.TraceHeader))
	out := &awseb.PutEventsOutput{}
	for i, e := range in.Entries {
		if aws.ToString(e.DetailType) == "throttle.me" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{
				ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")})
			continue
		}
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("eb-%d-%d", f.calls, i))})
	}
	return out, nil
}

// Twelve events go out in two PutEvents calls (ten entries at most per call);
// each event gets its own result, and a refused entry says whether sending it
// again may succeed. The event's traceparent becomes the X-Ray trace header.
func Example() {
	client := &exampleEventBridge{}
	pub, err := eventbridge.New(eventbridge.Config{Client: client, EventBusName: "cogniforge"})
	if err != nil {
		fmt.Println(err)
		return
	}

	var evs []cloudevents.Event
	for i := range 12 {
		typ := "dev.cogniforge.order.placed.v1"
		if i == 11 {
			typ = "throttle.me"
		}
		e := cloudevents.NewEvent()
		e.SetID(fmt.Sprintf("e-%d", i))
		e.SetSource("/orders")
		e.SetType(typ)
		_ = e.SetData(cloudevents.ApplicationJSON, map[string]int{"n": i})
		if i == 0 {
			e.SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		}
		evs = append(evs, e)
	}

	results, err := pub.Publish(context.Background(), evs)
	fmt.Println("call error:", err)
	accepted := 0
	for i, r := range results {
		var refused *eventbridge.EntryError
		switch {
		case r == nil:
			accepted++
		case errors.As(r, &refused):
			fmt.Printf("%s refused: %s, retryable: %t\n", evs[i].ID(), refused.Code, refused.Retryable())
		default:
			fmt.Println(evs[i].ID(), r)
		}
	}
	fmt.Println("accepted:", accepted)
	// Output:
	// call 1: 10 entries to bus cogniforge; first: source=/orders detail-type=dev.cogniforge.order.placed.v1 trace=Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1
	// call 2: 2 entries to bus cogniforge; first: source=/orders detail-type=dev.cogniforge.order.placed.v1 trace=
	// call error: <nil>
	// e-11 refused: ThrottlingException, retryable: true
	// accepted: 11
}
