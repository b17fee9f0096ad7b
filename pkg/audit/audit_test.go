package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestRecordAndList(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	b := &bustest.Recorder{}
	now := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	rc := &audit.Recorder{Store: st, Bus: b, Now: func() time.Time { return now }}
	cat, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	recs := []audit.Record{
		{Who: "secret-rotator", What: "rotation.createSecret", SecretID: "a"},
		{Who: "cli:ops", What: "config.set", Key: "/cogniforge/dev/order/timeout"},
		{Who: "cli:ops", What: "secret.rollback", SecretID: "a", Outcome: events.OutcomeFailed, ErrorName: "Secrets.NoPrevious"},
	}
	for i, r := range recs {
		now = now.Add(time.Duration(i) * time.Hour)
		if err := rc.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range b.Events() {
		if err := cat.Validate(e); err != nil {
			t.Fatalf("audit event does not match the catalog: %v", err)
		}
	}
	tests := []struct {
		name  string
		f     audit.Filter
		whats []string
	}{
		{"all", audit.Filter{}, []string{"rotation.createSecret", "config.set", "secret.rollback"}},
		{"by secret", audit.Filter{Secret: "a"}, []string{"rotation.createSecret", "secret.rollback"}},
		{"by key", audit.Filter{Secret: "/cogniforge/dev/order/timeout"}, []string{"config.set"}},
		{"since", audit.Filter{Since: time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)}, []string{"config.set", "secret.rollback"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.List(ctx, st, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.whats) {
				t.Fatalf("got %+v, want %v", got, tc.whats)
			}
			for i, w := range tc.whats {
				if got[i].What != w || got[i].Outcome == "" || got[i].When == "" {
					t.Fatalf("record %d = %+v, want %s", i, got[i], w)
				}
			}
		})
	}
	if err := rc.Record(ctx, audit.Record{What: "x"}); err == nil {
		t.Fatal("a record without who was accepted")
	}
}
