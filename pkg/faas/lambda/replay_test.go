package lambda_test

import (
	"encoding/json"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
)

// An event re-delivered by an EventBridge archive replay carries
// replay-name in its envelope: the CloudEvent keeps its id and gets the
// replay marks pkg/streams uses locally.
func TestEventBridgeReplayMarked(t *testing.T) {
	for _, tt := range []struct {
		name, replay string
		marked       bool
	}{{"live", "", false}, {"replayed", "incident-42", true}} {
		t.Run(tt.name, func(t *testing.T) {
			env := lambda.EventBridgeEvent{ID: "eb-1", DetailType: "dev.cogniforge.request.completed.v1", Source: "//checkout",
				Detail:     json.RawMessage(`{"specversion":"1.0","id":"e-1","source":"//checkout","type":"dev.cogniforge.request.completed.v1"}`),
				ReplayName: tt.replay}
			ev, err := lambda.FromEventBridge(env)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := ev.Extensions()["replayed"].(bool)
			if ev.ID() != "e-1" || r != tt.marked || (tt.marked && ev.Extensions()["replayid"] != tt.replay) {
				t.Errorf("event %s, extensions %v", ev.ID(), ev.Extensions())
			}
		})
	}
}
