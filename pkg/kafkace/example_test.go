package kafkace_test

import (
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/kafkace"
)

func Example() {
	ev := event.New()
	ev.SetID("1")
	ev.SetSource("//checkout")
	ev.SetType("dev.cogniforge.request.completed.v1")
	ev.SetExtension("partitionkey", "orders/42")
	_ = ev.SetData("application/json", map[string]string{"status": "ok"})

	rec, _ := kafkace.Encode(ev, kafkace.Binary)
	ct, _ := rec.Header("content-type")
	fmt.Printf("key=%s content-type=%s value=%s\n", rec.Key, ct, rec.Value)

	back, _ := kafkace.Decode(&rec)
	fmt.Println(back.Type(), back.Extensions()["partitionkey"])
	// Output:
	// key=orders/42 content-type=application/json value={"status":"ok"}
	// dev.cogniforge.request.completed.v1 orders/42
}
