package snsnotify_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/notify/snsnotify"
)

// The wiring builds the publisher once (snsnotify.NewFromConfig(awsCfg) in
// main) and hands it to notify.Build through Deps.SNS; here a stand-in for
// the SDK client shows what reaches SNS.
func Example() {
	api := &fakeAPI{}
	ch, err := notify.Build(
		notify.ChannelConfig{Name: "sms", Type: notify.TypeSNS, TopicARN: "arn:aws:sns:eu-west-1:123456789012:oncall"},
		notify.Deps{SNS: snsnotify.New(api)})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = ch.Send(context.Background(), notify.Message{
		Key: "INC-9/1/bob/sms/trigger", Action: notify.ActionTrigger, IncidentID: "INC-9",
		Title: "payments latency", Service: "payments", Severity: notify.SEV2,
	})
	fmt.Println(err, *api.inputs[0].TopicArn, *api.inputs[0].Subject)
	// Output: <nil> arn:aws:sns:eu-west-1:123456789012:oncall [SEV2] Triggered: payments latency
}
