package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

// archived writes events into a data directory's archive, one a second
// ending a minute ago, as the runtime's archiver does.
func archived(t *testing.T, dir string, evs ...cloudevents.Event) time.Time {
	t.Helper()
	main, err := bolt.Open(bolt.Config{Dir: dir}) // the runtime's store
	if err != nil {
		t.Fatal(err)
	}
	main.Close()
	st, err := bolt.Open(bolt.Config{Dir: filepath.Join(dir, ArchiveDir)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	arch, _ := streams.NewArchive(st, streams.DefaultConfig(), nil)
	start := time.Now().UTC().Add(-time.Minute - time.Duration(len(evs))*time.Second).Truncate(time.Second)
	var recs []streams.Record
	cfg := streams.DefaultConfig()
	for i, e := range evs {
		recs = append(recs, streams.Record{Stream: cfg.StreamFor(e.Type()).Name, ArchivedAt: start.Add(time.Duration(i) * time.Second), Seq: uint64(i), Event: e})
	}
	if err := arch.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// One corrupt record in the api stream.
	bad := streams.Record{Stream: "api", ArchivedAt: start.Add(500 * time.Millisecond), Seq: 99}
	if _, err := st.Put(context.Background(), store.Item{Key: bad.Key(), Value: []byte("{not json")}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	return start
}

func ce(id, typ, subject string) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("//t")
	e.SetType(typ)
	e.SetSubject(subject)
	e.SetExtension("correlationid", "corr-"+subject)
	_ = e.SetData(cloudevents.ApplicationJSON, map[string]any{"service": "checkout", "operation": "GET /", "status": "ok", "durationMs": 1})
	return e
}

func TestEventsQueryAndReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const req, saga = "dev.cogniforge.request.completed.v1", "dev.cogniforge.saga.started.v1"
	start := archived(t, dir, ce("e1", req, "a"), ce("e2", saga, "b"), ce("e3", req, "b"), ce("e4", req, "a"))
	at := func(s int) string { return start.Add(time.Duration(s) * time.Second).Format(time.RFC3339) }
	tests := []struct {
		name   string
		args   []string
		code   int
		ids    string // query: the NDJSON's ids in order
		stderr string
	}{
		{"all, oldest first", []string{"query", "--data-dir", dir}, 0, "e1 e2 e3 e4", "skipped 1 corrupt"},
		{"stream", []string{"query", "--data-dir", dir, "--stream", "api"}, 0, "e1 e3 e4", ""},
		{"type", []string{"query", "--data-dir", dir, "--type", saga}, 0, "e2", ""},
		{"subject", []string{"query", "--data-dir", dir, "--subject", "a"}, 0, "e1 e4", ""},
		{"correlation", []string{"query", "--data-dir", dir, "--correlation-id", "corr-b"}, 0, "e2 e3", ""},
		{"range", []string{"query", "--data-dir", dir, "--from", at(1), "--to", at(3)}, 0, "e2 e3", ""},
		{"unknown stream", []string{"query", "--data-dir", dir, "--stream", "x"}, 2, "", `unknown stream "x"`},
		{"unknown type", []string{"query", "--data-dir", dir, "--type", "dev.nope.v1"}, 2, "", "unknown event type"},
		{"inverted range", []string{"query", "--data-dir", dir, "--from", at(3), "--to", at(1)}, 2, "", "inverted time range"},
		{"bad time", []string{"query", "--data-dir", dir, "--from", "yesterday"}, 2, "", "--from"},
		{"no store", []string{"query", "--data-dir", filepath.Join(dir, "nope")}, 2, "", "no store"},
		{"replay needs a selection", []string{"replay", "--data-dir", dir}, 2, "", "--stream S or --type T"},
		{"replay to a missing function", []string{"replay", "--data-dir", dir, "--stream", "api", "--to-function", "nope"}, 2, "", "no such function"},
		{"replay inverted", []string{"replay", "--data-dir", dir, "--stream", "api", "--from", at(3), "--to", at(1)}, 2, "", "inverted"},
		{"help", []string{"query", "--help"}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runEvents(context.Background(), tt.args, nil, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errb.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q", errb.String(), tt.stderr)
			}
			if tt.args[0] != "query" || tt.code != 0 || tt.ids == "" {
				return
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var e cloudevents.Event
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("not a structured CloudEvent: %q: %v", line, err)
				}
				got = append(got, e.ID())
			}
			if strings.Join(got, " ") != tt.ids {
				t.Errorf("ids %v, want %s", got, tt.ids)
			}
		})
	}

	// A replay to one function waits in its queue, marked, in order.
	var out, errb bytes.Buffer
	if code := runEvents(context.Background(), []string{"replay", "--data-dir", dir, "--type", req, "--to-function", "slo-aggregator", "--id", "r-1"}, nil, &out, &errb); code != 0 {
		t.Fatalf("replay: %d %s", code, errb.String())
	}
	var rep streams.ReplayReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Selected != 3 || rep.Delivered != 3 || len(rep.Corrupt) != 1 {
		t.Fatalf("report %s (%v)", out.String(), err)
	}
	st, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items, err := st.Query(context.Background(), "runtime.queue#slo-aggregator", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		var m struct {
			Event cloudevents.Event `json:"event"`
		}
		if err := json.Unmarshal(it.Value, &m); err != nil {
			t.Fatal(err)
		}
		if m.Event.Extensions()["replayid"] != "r-1" {
			t.Errorf("%s not marked: %v", m.Event.ID(), m.Event.Extensions())
		}
		got = append(got, m.Event.ID())
	}
	if strings.Join(got, " ") != "e1 e3 e4" {
		t.Errorf("queued %v", got)
	}
}

func TestStreamsHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"events", "query", "--help"}, {"events", "replay", "-h"}, {"dlq", "--help"}, {"dlq", "list", "--help"}, {"dlq", "retry", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("%v: exit %d, want 0 (stderr %q)", args, code, stderr.String())
		}
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("%v printed no usage", args)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"dlq", "list"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--function is required") {
		t.Errorf("dlq list without --function: exit %d %s", code, stderr.String())
	}
}
