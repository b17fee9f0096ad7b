package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
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

func sagaCE(id, typ, sagaID, extra string) cloudevents.Event {
	e := cloudevents.New()
	e.SetID(id)
	e.SetSource("cogniforge/saga/order-fulfillment")
	e.SetType(typ)
	_ = e.SetData("application/json", json.RawMessage(fmt.Sprintf(`{"sagaId":%q,"saga":"order-fulfillment"%s}`, sagaID, extra)))
	return e
}

// seedOrders stores and projects two orders at Epoch and completes one of
// them an hour later, in a data directory, as order-query would.
func seedOrders(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	clock := storetest.NewClock()
	b, err := bolt.Open(bolt.Config{Dir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	es, _ := eventstore.New(eventstore.Config{Store: b, Now: clock.Now})
	p, _ := projection.New(projection.Config{Events: es, Projection: orderview.Projection{}, Now: clock.Now})
	ingest := func(evs ...cloudevents.Event) {
		for _, err := range orderview.Ingest(ctx, es, evs) {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.CatchUp(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	ingest(sagaCE("1", events.TypeSagaStarted, "o-1", `,"input":{"customerId":"c-1"}`), sagaCE("2", events.TypeSagaStarted, "o-2", `,"input":{"customerId":"c-2"}`))
	clock.Advance(time.Hour)
	ingest(sagaCE("3", events.TypeSagaCompleted, "o-1", ""))
}

func runProjCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestProjectionsRebuildAndStatus(t *testing.T) {
	dir := t.TempDir()
	seedOrders(t, dir)

	code, out, errOut := runProjCLI("projections", "status", "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("status = %d: %s", code, errOut)
	}
	var st struct{ Projections []projection.Status }
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Projections) != 1 {
		t.Fatalf("status JSON %s: %v", out, err)
	}
	if s := st.Projections[0]; s.Name != "orders" || s.Active != "g1" || s.Position != 3 || s.Head != 3 || s.Lag != 0 {
		t.Fatalf("status = %+v", s)
	}

	code, out, errOut = runProjCLI("projections", "rebuild", "orders", "--data-dir", dir, "--json")
	var rep projection.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Activated || rep.Generation != "g2" || rep.Events != 3 {
		t.Fatalf("rebuild = %d %s %s", code, out, errOut)
	}
	asOf := storetest.Epoch.Add(30 * time.Minute).Format(time.RFC3339)
	code, out, errOut = runProjCLI("projections", "rebuild", "orders", "--as-of", asOf, "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "generation g3 is a view") || !strings.Contains(out, "1 later events left out") {
		t.Fatalf("rebuild --as-of = %d %q %s", code, out, errOut)
	}
	code, out, _ = runProjCLI("projections", "status", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "orders  g2") || !strings.Contains(out, "g3@2") {
		t.Fatalf("status table = %d\n%s", code, out)
	}

	b, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	now, _ := projection.NewReader(ctx, b, "orders")
	then := projection.GenerationReader(b, "orders", "g3")
	for _, c := range []struct {
		r    *projection.Reader
		want string
	}{{now, "completed"}, {then, "pending"}} {
		o, err := orderview.Get(ctx, c.r, "o-1")
		if err != nil || o.Status != c.want {
			t.Errorf("o-1 in %s = %+v, %v; want %s", c.r.Generation, o, err, c.want)
		}
	}
}

func TestProjectionsBadInput(t *testing.T) {
	dir := t.TempDir()
	seedOrders(t, dir)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"projections"}, 2, "usage"},
		{[]string{"projections", "--help"}, 0, ""},
		{[]string{"projections", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"projections", "rebuild", "--data-dir", dir}, 2, "want one read model NAME"},
		{[]string{"projections", "rebuild", "invoices", "--data-dir", dir}, 2, `no read model "invoices"`},
		{[]string{"projections", "rebuild", "orders", "--as-of", "yesterday", "--data-dir", dir}, 2, "--as-of \"yesterday\" is not an RFC 3339 time"},
		{[]string{"projections", "rebuild", "orders", "--data-dir", filepath.Join(dir, "nope")}, 2, "no store in the data directory"},
		{[]string{"projections", "status", "extra", "--data-dir", dir}, 2, "unexpected argument"},
	} {
		code, _, errOut := runProjCLI(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v = %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
