package bustest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
)

func event(typ string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(typ)
	e.SetType(typ)
	e.SetSource("test")
	return e
}

func TestRecorderConcurrent(t *testing.T) {
	var r bustest.Recorder
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			res, err := r.Publish(context.Background(), []cloudevents.Event{event(fmt.Sprint("t", i)), event(fmt.Sprint("u", i))})
			if err != nil || len(res) != 2 || res[0] != nil || res[1] != nil {
				t.Errorf("publish = %v, %v", res, err)
			}
		})
	}
	wg.Wait()
	if r.Len() != 16 || len(r.Events()) != 16 {
		t.Fatalf("recorded %d", r.Len())
	}
	types := r.Types()
	for i := range 8 {
		// A call's events stay together and in order.
		at := slices.Index(types, fmt.Sprint("t", i))
		if at < 0 || at+1 >= len(types) || types[at+1] != fmt.Sprint("u", i) {
			t.Fatalf("types %v", types)
		}
	}
}

func ExampleRecorder() {
	var r bustest.Recorder
	_, _ = r.Publish(context.Background(), []cloudevents.Event{event("order.placed"), event("order.paid")})
	fmt.Println(r.Types())
	// Output: [order.placed order.paid]
}
