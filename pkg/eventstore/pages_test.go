package eventstore_test

import (
	"context"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// TestDefaultPages crosses the default page size's boundary (the contract
// suite uses small pages).
func TestDefaultPages(t *testing.T) {
	ctx := context.Background()
	es, err := eventstore.New(eventstore.Config{Store: memory.New(memory.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(eventstore.DefaultPageSize + 5)
	var v int64
	for v < n {
		k := min(int64(eventstore.MaxAppend), n-v)
		evs := make([]eventstore.Event, k)
		for i := range evs {
			evs[i] = eventstore.Event{Type: "x"}
		}
		res, err := es.Append(ctx, eventstore.AppendRequest{Stream: "s", Expected: v, Events: evs})
		if err != nil {
			t.Fatal(err)
		}
		v = res.Version
	}
	recs, err := es.ReadStream(ctx, "s", eventstore.DefaultPageSize-1, 0)
	if err != nil || len(recs) != 7 || recs[0].Version != eventstore.DefaultPageSize-1 {
		t.Fatalf("ReadStream across the page = %d records, %v", len(recs), err)
	}
	feed, err := es.ReadFeed(ctx, eventstore.DefaultPageSize-2, 0)
	if err != nil || len(feed) != 7 || feed[6].Position != n {
		t.Fatalf("ReadFeed across the page = %d records, %v", len(feed), err)
	}
}
