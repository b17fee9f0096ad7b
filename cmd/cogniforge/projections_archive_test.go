package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

// ordersWithoutPositions dumps a generation of the order model, without
// the feed positions (an archive rebuild numbers events its own way).
func ordersWithoutPositions(t *testing.T, dir, gen string) map[string]string {
	t.Helper()
	b, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, err := orderview.Dump(context.Background(), projection.GenerationReader(b, orderview.ProjectionName, gen))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range d {
		var o map[string]any
		if err := json.Unmarshal([]byte(v), &o); err != nil {
			t.Fatal(err)
		}
		delete(o, "position")
		s, _ := json.Marshal(o)
		d[k] = string(s)
	}
	return d
}

// TestProjectionsRebuildFromArchive: saga events projected live and
// archived (one of them twice, plus a corrupt record) rebuild, through
// the CLI, into a view equal to the live model, and with --activate into
// the active generation.
func TestProjectionsRebuildFromArchive(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var evs []cloudevents.Event
	for i, e := range []cloudevents.Event{
		sagaCE("1", events.TypeSagaStarted, "o-1", `,"input":{"customerId":"c-1"}`),
		sagaCE("2", events.TypeSagaStarted, "o-2", `,"input":{"customerId":"c-2"}`),
		sagaCE("3", events.TypeSagaStepSucceeded, "o-1", `,"step":"payment"`),
		sagaCE("4", events.TypeSagaCompleted, "o-1", ""),
	} {
		e.SetTime(storetest.Epoch.Add(time.Duration(i) * time.Minute))
		evs = append(evs, e)
	}
	b, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := eventstore.New(eventstore.Config{Store: b})
	for _, err := range orderview.Ingest(ctx, es, evs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, _ := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}})
	if _, err := p.CatchUp(ctx, 0); err != nil {
		t.Fatal(err)
	}
	b.Close()
	live := ordersWithoutPositions(t, dir, projection.FirstGeneration)
	// Archived a second apart; the third event delivered twice.
	start := archived(t, dir, evs[0], evs[1], evs[2], evs[2], evs[3])

	code, out, errOut := runProjCLI("projections", "rebuild", "orders", "--from-archive", "--data-dir", dir, "--json")
	var rep projection.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Activated || rep.Events != 4 || rep.Position != 4 {
		t.Fatalf("rebuild --from-archive = %d %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "skipped 1 corrupt archived records") {
		t.Errorf("stderr %q does not count the corrupt record", errOut)
	}
	got := ordersWithoutPositions(t, dir, rep.Generation)
	if len(got) != len(live) || len(got) == 0 {
		t.Fatalf("archive rebuild holds %d items, live %d", len(got), len(live))
	}
	for k, v := range live {
		if got[k] != v {
			t.Errorf("%s = %s, live %s", k, got[k], v)
		}
	}

	// --until: the archive before the fourth record (o-1 not completed).
	until := start.Add(3 * time.Second).Format(time.RFC3339)
	code, out, errOut = runProjCLI("projections", "rebuild", "orders", "--from-archive", "--until", until, "--stream", "system", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "3 events applied") || !strings.Contains(out, "is a view") {
		t.Fatalf("rebuild --from-archive --until = %d %q %s", code, out, errOut)
	}
	code, out, errOut = runProjCLI("projections", "rebuild", "orders", "--from-archive", "--activate", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "is now active") {
		t.Fatalf("rebuild --from-archive --activate = %d %q %s", code, out, errOut)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-archive", "--stream", "nope"}, "unknown stream"},
		{[]string{"--from-archive", "--since", "2026-03-02", "--until", "2026-03-01"}, "inverted time range"},
		{[]string{"--from-archive", "--since", "soon"}, "--since"},
		{[]string{"--stream", "system"}, "need --from-archive"},
	} {
		code, _, errOut := runProjCLI(append([]string{"projections", "rebuild", "orders", "--data-dir", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v = %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
