package chaos_test

import (
	"context"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

func nop(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }

// BenchmarkNoFault is the middleware's cost with no active fault (the
// configuration cached); compare BenchmarkBare.
func BenchmarkNoFault(b *testing.B) {
	inj, err := chaos.New(chaos.Config{Function: "payment", Source: chaos.Static(chaos.Document{Faults: []chaos.Fault{
		{ID: "other", Function: "shipping", Kind: chaos.KindError, ExpiresAt: time.Now().Add(time.Hour)},
	}})})
	if err != nil {
		b.Fatal(err)
	}
	h := inj.Middleware()(nop)
	ev := event("t", `{}`)
	ctx := context.Background()
	_, _ = h(ctx, ev)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = h(ctx, ev)
	}
}

func BenchmarkBare(b *testing.B) {
	var h = nop
	ev := event("t", `{}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h(ctx, ev)
	}
}

// BenchmarkSourceReads reports the source reads per TTL over simulated
// calls: an invocation every 10ms for one simulated hour.
func BenchmarkSourceReads(b *testing.B) {
	for b.Loop() {
		st := &chaos.MemoryStore{}
		c := &clock{now: t0}
		inj, _ := chaos.New(chaos.Config{Function: "payment", Source: st, TTL: chaos.DefaultTTL, Now: c.Now, AfterFunc: c.AfterFunc})
		h := inj.Middleware()(nop)
		ev := event("t", `{}`)
		const calls = 360000
		for range calls {
			_, _ = h(context.Background(), ev)
			c.Advance(10 * time.Millisecond)
		}
		b.ReportMetric(float64(st.Loads())/(float64(time.Hour)/float64(chaos.DefaultTTL)), "reads/TTL")
	}
}
