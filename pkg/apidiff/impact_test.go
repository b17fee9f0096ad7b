package apidiff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
	"github.com/cogniforge/cogniforge/pkg/events"
)

// completed builds a request.completed event as a producer would.
func completed(t *testing.T, service, op, caller string, at time.Time) []byte {
	t.Helper()
	ev, err := events.New(context.Background(), events.TypeRequestCompleted, "test/traffic",
		events.RequestCompleted{Service: service, Operation: op, Status: events.StatusOK, DurationMs: 3, Caller: caller},
		events.Time(at))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClientImpact: three callers use the orders API; the new version
// removes DELETE /orders/{id}. Only the callers of that operation within
// the window are named, with their counts and last call; older calls,
// other operations and other services do not count.
func TestClientImpact(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	days := 30
	since := now.AddDate(0, 0, -days)
	var traffic bytes.Buffer
	add := func(service, op, caller string, ago time.Duration) {
		traffic.Write(completed(t, service, op, caller, now.Add(-ago)))
		traffic.WriteByte('\n')
	}
	add("orders", "DELETE /orders/{id}", "billing", 2*time.Hour)
	add("orders", "DELETE /orders/17", "billing", 1*time.Hour)        // concrete path
	add("orders", "deleteOrder", "support", 26*time.Hour)             // operationId
	add("orders", "GET /orders", "web", time.Hour)                    // another operation
	add("orders", "GET /orders/{id}", "billing", time.Hour)           // another operation
	add("orders", "DELETE /orders/{id}", "archiver", 40*24*time.Hour) // older than the window
	add("payments", "DELETE /orders/{id}", "web", time.Hour)          // another service
	add("orders", "DELETE /orders/{id}", "", 3*time.Hour)             // no caller recorded
	traffic.WriteString("\n")                                         // blank lines are fine
	traffic.WriteString(`{"specversion":"1.0","id":"x","source":"s","type":"dev.cogniforge.saga.started.v1","time":"2026-12-03T11:00:00Z","datacontenttype":"application/json","data":{"sagaId":"a","saga":"b"}}` + "\n")

	calls, err := apidiff.ReadTraffic(&traffic)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 8 {
		t.Fatalf("%d calls read, want 8 (the saga event is not one)", len(calls))
	}
	res, err := apidiff.Compare(context.Background(), read(t, "base.yaml"), read(t, "cases/breaking-removed-operation.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res.AddImpact("orders", calls, since)
	if len(res.Breaking) != 1 {
		t.Fatalf("breaking = %v", ids(res.Breaking))
	}
	got := res.Breaking[0].Callers
	want := []apidiff.CallerUsage{
		{Caller: "billing", Calls: 2, LastSeen: now.Add(-time.Hour)},
		{Caller: "(unknown)", Calls: 1, LastSeen: now.Add(-3 * time.Hour)},
		{Caller: "support", Calls: 1, LastSeen: now.Add(-26 * time.Hour)},
	}
	if len(got) != len(want) {
		t.Fatalf("callers = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Caller != want[i].Caller || got[i].Calls != want[i].Calls || !got[i].LastSeen.Equal(want[i].LastSeen) {
			t.Errorf("caller %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, c := range res.NonBreaking {
		if c.Callers != nil {
			t.Errorf("non-breaking change %s has callers", c.ID)
		}
	}

	// A breaking change nobody called has an empty list, not a missing one.
	res2, _ := apidiff.Compare(context.Background(), read(t, "base.yaml"), read(t, "cases/breaking-removed-operation.yaml"))
	res2.AddImpact("orders", nil, since)
	if c := res2.Breaking[0].Callers; c == nil || len(c) != 0 {
		t.Errorf("callers = %#v, want empty and non-nil", c)
	}
}

func TestReadTrafficBadLine(t *testing.T) {
	in := string(completed(t, "orders", "GET /orders", "web", time.Now())) + "\nnot json\n"
	_, err := apidiff.ReadTraffic(strings.NewReader(in))
	if !errors.Is(err, apidiff.ErrTraffic) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want ErrTraffic naming line 2", err)
	}
}

func TestOperationMatches(t *testing.T) {
	for _, tc := range []struct {
		spec, opID, rec string
		want            bool
	}{
		{"GET /orders/{id}", "", "GET /orders/{id}", true},
		{"GET /orders/{id}", "", "get /orders/42", true},
		{"GET /orders/{id}", "", "GET /orders/42?x=1", true},
		{"GET /orders/{id}", "", "GET /orders", false},
		{"GET /orders/{id}", "", "POST /orders/42", false},
		{"GET /orders/{id}", "", "GET /orders/42/items", false},
		{"GET /orders/{id}", "getOrder", "getOrder", true},
		{"GET /orders/{id}", "getOrder", "listOrders", false},
		{"GET /orders/{id}", "", "", false},
		{"GET /orders/{id}", "", "invoke", false},
		{"GET /a/{x}/b", "", "GET /a//b", false},
	} {
		if got := apidiff.OperationMatches(tc.spec, tc.opID, tc.rec); got != tc.want {
			t.Errorf("OperationMatches(%q, %q, %q) = %v, want %v", tc.spec, tc.opID, tc.rec, got, tc.want)
		}
	}
}
