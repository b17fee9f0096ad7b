package sfnlocal

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// BenchmarkHistoryPage is issue 9's figure: a page of two events of a
// stored history (as after a restart), first and last, must cost the same
// however long the history is (it took 14 s and 5 GB for a long one when
// histories were one item).
func BenchmarkHistoryPage(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			ctx := context.Background()
			st := memory.New(memory.Config{})
			svc, err := NewService(ServiceConfig{Store: st, Logger: discard()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { svc.Close() })
			rec := executionRecord{ARN: svc.executionARN("long", "e"), Name: "e", MachineName: "long",
				MachineARN: svc.machineARN("long"), Input: "{}", Status: string(asl.StatusSucceeded),
				StartDate: time.Now(), StopDate: time.Now(), LastEventID: int64(n)}
			h := newHistoryLog(st, "long", "e", 0, 0)
			for id := int64(1); id <= int64(n); id++ {
				h.add(storedEvent{Timestamp: rec.StartDate, Type: "PassStateEntered", ID: id, Previous: id - 1,
					DetailsKey: "stateEnteredEventDetails", Details: map[string]any{"name": "P", "input": `{"n":1}`}})
				if id%historyPage == 0 {
					if err := h.flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := h.flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := svc.putExecution(ctx, rec, store.Condition{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				out, err := svc.getExecutionHistory(ctx, &historyInput{ExecutionArn: rec.ARN, MaxResults: 2, ReverseOrder: i%2 == 1})
				if err != nil || len(out.Events) != 2 {
					b.Fatalf("page = %+v, %v", out, err)
				}
			}
		})
	}
}
