package apigov_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apigov"
	ev "github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// recorder is a bus that keeps what is published.
type recorder struct {
	mu  sync.Mutex
	evs []cloudevents.Event
}

func (r *recorder) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return make([]error, len(evs)), nil
}

func (r *recorder) ofType(t string) []cloudevents.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []cloudevents.Event
	for _, e := range r.evs {
		if e.Type() == t {
			out = append(out, e)
		}
	}
	return out
}

// fakeAudit scores 100 minus 10 per operation without "security" and
// reports one error finding for each; text that is not OpenAPI is refused.
func fakeAudit(_ context.Context, name string, spec []byte) (apigov.AuditReport, error) {
	if !strings.Contains(string(spec), "openapi:") {
		return apigov.AuditReport{}, errors.New("not an OpenAPI document")
	}
	r := apigov.AuditReport{Spec: name, Score: 90, Findings: []apigov.Finding{
		{Rule: "owasp-info", Category: "API9:2023", Severity: "info", Path: "info", Message: "no contact"},
		{Rule: "owasp-auth", Category: "API2:2023", Severity: "error", Path: "paths", Message: "no security"},
	}}
	return r, nil
}

func spec(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../apidiff/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, files fstest.MapFS) (*apigov.Governor, *recorder, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	rec := &recorder{}
	cfg := apigov.Config{Store: memory.New(memory.Config{Now: clk.now}), Bus: rec, Audit: fakeAudit, Now: clk.now}
	if files != nil {
		cat, err := apicatalog.Parse(files["catalog.yaml"].Data)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Catalog, cfg.Specs = cat, files
	}
	g, err := apigov.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, rec, clk
}

func validate(t *testing.T, evs ...cloudevents.Event) {
	t.Helper()
	cat, err := ev.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := cat.Validate(e); err != nil {
			t.Errorf("%s does not validate: %v", e.Type(), err)
		}
	}
}

func call(t *testing.T, op, caller string, at time.Time) cloudevents.Event {
	t.Helper()
	e, err := ev.New(context.Background(), ev.TypeRequestCompleted, "t", ev.RequestCompleted{Service: "orders", Operation: op, Status: "ok", DurationMs: 1, Caller: caller}, ev.Time(at))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSpecChangedNamesCallers: the auditor tallies request.completed
// events, then a spec change removing DELETE /orders/{id} is audited and
// diffed; the breaking-change event names only the callers of that
// operation within the window, and everything published validates.
func TestSpecChangedNamesCallers(t *testing.T) {
	g, rec, clk := setup(t, nil)
	ctx := context.Background()
	now := clk.t
	for _, c := range []cloudevents.Event{
		call(t, "DELETE /orders/1", "billing", now.Add(-2*time.Hour)),
		call(t, "DELETE /orders/2", "billing", now.Add(-90*time.Minute)),
		call(t, "deleteOrder", "support", now.Add(-50*time.Hour)),
		call(t, "GET /orders", "web", now.Add(-time.Hour)),
		call(t, "DELETE /orders/3", "old", now.AddDate(0, 0, -40)),
	} {
		if err := g.RecordCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	r, err := g.SpecChanged(ctx, apigov.SpecChange{API: "orders", Version: "v1", Spec: spec(t, "cases/breaking-removed-operation.yaml"), Previous: spec(t, "base.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Score != 90 || r.Counts.Error != 1 || r.Counts.Info != 1 || r.Findings[0].Severity != "error" || len(r.Breaking) != 1 {
		t.Fatalf("report = %+v", r)
	}
	br := rec.ofType(apigov.BreakingChangeType)
	au := rec.ofType(apigov.AuditedType)
	if len(br) != 1 || len(au) != 1 {
		t.Fatalf("published %d breaking, %d audited", len(br), len(au))
	}
	validate(t, br[0], au[0])
	var d apigov.BreakingChange
	if err := br[0].DataAs(&d); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range d.Callers {
		got[c.Caller] = c.Calls
	}
	if d.Operation != "DELETE /orders/{id}" || len(got) != 2 || got["billing"] != 2 || got["support"] != 1 {
		t.Fatalf("breaking change = %+v", d)
	}

	// Redelivery publishes the same ids; the report is kept.
	if _, err := g.SpecChanged(ctx, apigov.SpecChange{API: "orders", Version: "v1", Spec: spec(t, "cases/breaking-removed-operation.yaml"), Previous: spec(t, "base.yaml")}); err != nil {
		t.Fatal(err)
	}
	br2 := rec.ofType(apigov.BreakingChangeType)
	if len(br2) != 2 || br2[1].ID() != br2[0].ID() {
		t.Fatalf("redelivery ids: %v", br2)
	}
	kept, err := g.ReportFor(ctx, "orders", "")
	if err != nil || kept.SpecSHA256 != r.SpecSHA256 || len(kept.Breaking) != 1 {
		t.Fatalf("kept report = %+v, %v", kept, err)
	}

	// Without previousSpec the kept text is the base of the next diff.
	clk.t = clk.t.Add(time.Hour)
	r3, err := g.SpecChanged(ctx, apigov.SpecChange{API: "orders", Version: "v1", Spec: spec(t, "cases/breaking-removed-operation.yaml") + "\n# same API\n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r3.Breaking) != 0 || r3.PreviousSHA256 != r.SpecSHA256 {
		t.Fatalf("diff against the kept spec: %+v", r3)
	}
}

func TestSpecChangedBadInput(t *testing.T) {
	g, rec, _ := setup(t, nil)
	var fe *apigov.FieldError
	if _, err := g.SpecChanged(context.Background(), apigov.SpecChange{API: "orders"}); !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FieldError", err)
	}
	// A spec that cannot be read is a report saying why, not a crash.
	r, err := g.SpecChanged(context.Background(), apigov.SpecChange{API: "orders", Version: "v1", Spec: "just text", Previous: spec(t, "base.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == "" || r.Score != 0 || r.DiffError == "" {
		t.Fatalf("report = %+v", r)
	}
	validate(t, rec.ofType(apigov.AuditedType)...)
}

var catalogFS = fstest.MapFS{
	"catalog.yaml": {Data: []byte(`apis:
  - {name: orders, version: v1, function: order-query, spec: orders.v1.yaml, state: active}
  - {name: slos, version: v1, function: slo-evaluator, spec: slos.v1.yaml, state: active}
`)},
}

// TestAuditAllAndOverview: the daily schedule audits every catalog spec;
// a deployed spec that changed since the last audit is diffed against the
// kept one; the overview lists every API with its score and pending
// breaking changes.
func TestAuditAllAndOverview(t *testing.T) {
	files := fstest.MapFS{"catalog.yaml": catalogFS["catalog.yaml"], "orders.v1.yaml": {Data: []byte(spec(t, "base.yaml"))}}
	g, rec, clk := setup(t, files)
	ctx := context.Background()
	reps, err := g.AuditAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[0].Score != 90 || reps[1].Error == "" {
		t.Fatalf("reports = %+v", reps)
	}
	files["orders.v1.yaml"] = &fstest.MapFile{Data: []byte(spec(t, "cases/breaking-new-required-parameter.yaml"))}
	clk.t = clk.t.Add(24 * time.Hour)
	if _, err := g.AuditAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ofType(apigov.BreakingChangeType)); n != 1 {
		t.Fatalf("%d breaking-change events, want 1", n)
	}
	// The next day, same text: still pending, not published again.
	clk.t = clk.t.Add(24 * time.Hour)
	if _, err := g.AuditAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ofType(apigov.BreakingChangeType)); n != 1 {
		t.Fatalf("%d breaking-change events after an unchanged audit, want 1", n)
	}
	ov, err := g.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.APIs) != 2 || ov.APIs[0].API != "orders" || ov.APIs[0].State != "active" || !ov.APIs[0].Audited ||
		ov.APIs[0].BreakingPending != 1 || ov.APIs[0].LastAudit == nil || !ov.APIs[0].LastAudit.Equal(clk.t) || ov.APIs[1].Error == "" {
		b, _ := json.MarshalIndent(ov, "", " ")
		t.Fatalf("overview:\n%s", b)
	}
	if _, err := g.ReportFor(ctx, "nope", ""); !errors.Is(err, apigov.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRefusesMissingPorts(t *testing.T) {
	_, err := apigov.New(apigov.Config{ImpactDays: -1})
	for _, want := range []string{"Store", "Audit", "ImpactDays"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
}
