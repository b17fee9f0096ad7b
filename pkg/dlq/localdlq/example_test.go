package localdlq_test

import (
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/dlq/localdlq"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
)

func ExampleFromDeadLetter() {
	e := cloudevents.NewEvent()
	e.SetID("e-1")
	e.SetSource("//checkout")
	e.SetType("dev.cogniforge.request.completed.v1")
	m := localdlq.FromDeadLetter(localruntime.DeadLetter{ID: "m-1", Function: "slo-aggregator", Receives: 5,
		LastErrorType: "SLO.EventTooOld", LastError: "event is older than the longest window",
		FirstFailedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Event: e})
	fmt.Println(m.EventID, m.ReceiveCount, m.FirstFailure.Format(time.RFC3339), m.Poison)
	// Output: e-1 5 2026-03-01T00:00:00Z true
}
