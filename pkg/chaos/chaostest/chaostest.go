// Package chaostest is the contract every chaos.Store passes (memory, the
// data directory's file, SSM through moto): run it with RunStore.
package chaostest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

// RunStore runs the contract against fresh stores from newStore.
func RunStore(t *testing.T, newStore func(t *testing.T) chaos.Store) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	fault := func(id string) chaos.Fault {
		return chaos.Fault{ID: id, Function: "payment", Kind: chaos.KindLatency, Latency: chaos.Duration(250 * time.Millisecond), ExpiresAt: exp,
			Match: []chaos.Matcher{{Field: "data.phase", Op: chaos.OpEquals, Value: "forward"}}}
	}
	t.Run("empty", func(t *testing.T) {
		doc, err := newStore(t).Load(ctx)
		if err != nil || len(doc.Faults) != 0 {
			t.Fatalf("Load = %+v, %v; want an empty document", doc, err)
		}
	})
	t.Run("update round trip", func(t *testing.T) {
		st := newStore(t)
		if err := st.Update(ctx, func(d *chaos.Document) error { d.Faults = append(d.Faults, fault("a")); return nil }); err != nil {
			t.Fatal(err)
		}
		doc, err := st.Load(ctx)
		if err != nil || len(doc.Faults) != 1 || doc.Faults[0].ID != "a" || doc.Faults[0].Latency.D() != 250*time.Millisecond ||
			!doc.Faults[0].ExpiresAt.Equal(exp) || doc.Faults[0].Match[0].Value != "forward" {
			t.Fatalf("Load = %+v, %v", doc, err)
		}
	})
	t.Run("failed change stores nothing", func(t *testing.T) {
		st := newStore(t)
		_ = st.Update(ctx, func(d *chaos.Document) error { d.Faults = append(d.Faults, fault("a")); return nil })
		boom := errors.New("boom")
		if err := st.Update(ctx, func(d *chaos.Document) error { d.Faults = nil; return boom }); !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want the change's error", err)
		}
		if doc, _ := st.Load(ctx); len(doc.Faults) != 1 {
			t.Fatalf("a failed change was stored: %+v", doc)
		}
	})
	t.Run("concurrent updates", func(t *testing.T) {
		st := newStore(t)
		var wg sync.WaitGroup
		ids := []string{"a", "b", "c", "d"}
		errs := make([]error, len(ids))
		for k, id := range ids {
			wg.Go(func() {
				errs[k] = st.Update(ctx, func(d *chaos.Document) error { d.Faults = append(d.Faults, fault(id)); return nil })
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		doc, _ := st.Load(ctx)
		if _, serial := st.(interface{ SingleWriter() }); !serial && len(doc.Faults) != len(ids) {
			t.Fatalf("concurrent updates lost faults: %d of %d kept", len(doc.Faults), len(ids))
		}
	})
}
