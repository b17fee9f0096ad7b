package governancefn_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry/governancefn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// TestDailyAuditOfTheEmbeddedSpecs: the schedule audits every spec of
// api/catalog.yaml with pkg/governance; each is readable, none has an
// error-level finding, and the overview route lists them all.
func TestDailyAuditOfTheEmbeddedSpecs(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	rec := &bustest.Recorder{}
	fn, err := governancefn.Build(wiring.Ports{Store: memory.New(memory.Config{}), Bus: rec, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tick := cloudevents.New()
	tick.SetID("tick")
	tick.SetSource("test")
	tick.SetType(faas.ScheduleFiredType)
	if _, err := fn.Handler(ctx, tick); err != nil {
		t.Fatal(err)
	}
	q, _ := events.New(ctx, apigov.QueryType, "test", map[string]any{}, events.Subject("/governance/overview"))
	out, err := fn.Handler(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var ov apigov.Overview
	if err := json.Unmarshal(out.Data(), &ov); err != nil {
		t.Fatal(err)
	}
	if len(ov.APIs) < 9 {
		t.Fatalf("overview lists %d APIs", len(ov.APIs))
	}
	for _, a := range ov.APIs {
		if !a.Audited || a.Error != "" || a.Score == 0 || a.Counts.Error != 0 {
			t.Errorf("%s/%s: audited %v, score %d, %d errors, %q", a.API, a.Version, a.Audited, a.Score, a.Counts.Error, a.Error)
		}
	}
	cat, _ := events.NewCatalog()
	n := 0
	for _, e := range rec.Events() {
		if e.Type() == apigov.AuditedType {
			n++
		}
		if err := cat.Validate(e); err != nil {
			t.Errorf("%s: %v", e.Type(), err)
		}
	}
	if n != len(ov.APIs) {
		t.Errorf("%d audited events for %d APIs", n, len(ov.APIs))
	}
	q2, _ := events.New(ctx, apigov.QueryType, "test", map[string]any{}, events.Subject("/governance/apis/orders/report"))
	out, err = fn.Handler(ctx, q2)
	if err != nil {
		t.Fatal(err)
	}
	var r apigov.Report
	if err := json.Unmarshal(out.Data(), &r); err != nil || r.API != "orders" || r.Spec == "" {
		t.Fatalf("report: %+v, %v", r, err)
	}
	q3, _ := events.New(ctx, apigov.QueryType, "test", map[string]any{}, events.Subject("/governance/apis/nope/report"))
	if _, err := fn.Handler(ctx, q3); err == nil {
		t.Fatal("a report of an unknown API")
	}
}
