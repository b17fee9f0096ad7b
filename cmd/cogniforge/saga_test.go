package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func TestSagaCommand(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join("..", "..", "statemachines", "order-fulfillment.saga.yaml")
	checkedIn, err := os.ReadFile(filepath.Join("..", "..", "statemachines", "order-fulfillment.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.saga.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsteps: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A store with one saga step in it, for status.
	data := filepath.Join(dir, "data")
	st, err := bolt.Open(bolt.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := saga.NewBarrier(saga.BarrierConfig{Store: st})
	if _, err := b.Compensate(context.Background(), saga.ID{SagaID: "o-9", Saga: "s", Step: "payment"}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // exact when set
		contains []string
	}{
		{"generate to stdout", []string{"generate", spec}, 0, string(checkedIn), nil},
		{"generate to a file", []string{"generate", spec, "-o", filepath.Join(dir, "out.json")}, 0, "", nil},
		{"flags first", []string{"generate", "-o", filepath.Join(dir, "out2.json"), spec}, 0, "", nil},
		{"invalid spec", []string{"generate", bad}, 1, "", []string{"no steps"}},
		{"missing spec", []string{"generate"}, 2, "", []string{"exactly one SPEC"}},
		{"status", []string{"status", "o-9", "--data-dir", data}, 0, "", []string{`"state": "blocked"`, `"null": true`}},
		// A compensation began and the store has no saga record: the
		// overall state says compensations are under way.
		{"status shows the overall state", []string{"status", "o-9", "--json", "--data-dir", data}, 0, "", []string{`"state": "compensating"`}},
		{"drain an empty outbox", []string{"drain", "--data-dir", data}, 0, "", []string{`"published":0`, `"pending":0`}},
		{"drain with an argument", []string{"drain", "x", "--data-dir", data}, 2, "", []string{"unexpected arguments"}},
		{"status of an unknown saga", []string{"status", "nope", "--data-dir", data}, 1, "", []string{`"steps": []`}},
		{"status without id", []string{"status"}, 2, "", []string{"saga ID"}},
		{"unknown subcommand", []string{"undo"}, 2, "", []string{"unknown subcommand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), append([]string{"saga"}, tt.args...), nil, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tt.code, stdout.String(), stderr.String())
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout differs from the checked-in definition")
			}
			for _, c := range tt.contains {
				if !strings.Contains(stdout.String()+stderr.String(), c) {
					t.Errorf("output lacks %q: %s%s", c, stdout.String(), stderr.String())
				}
			}
		})
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil || !bytes.Equal(out, checkedIn) || !json.Valid(out) {
		t.Errorf("-o wrote %d bytes (%v), want the checked-in definition", len(out), err)
	}
}

// W3C baggage the caller puts in a saga's input reaches every event the saga
// publishes, step events and saga-level events alike, as the trace context
// does.
func TestSagaCarriesBaggage(t *testing.T) {
	input := `{"orderId":"o-bag","customerId":"c-1","items":[{"sku":"sku-1","quantity":1}],` +
		`"payment":{"token":"tok_ok"},"shipping":{"address":{"country":"DE"}},"baggage":"tenant=acme"}`
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"sfn", "run", "--definition", filepath.Join("..", "..", "statemachines", "order-fulfillment.asl.json"),
		"--input", input}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stdout.String(), stderr.String())
	}
	published := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		body, ok := strings.CutPrefix(line, "published: ")
		if !ok {
			continue
		}
		published++
		var ev struct {
			ID      string `json:"id"`
			Baggage string `json:"baggage"`
		}
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("published event %s: %v", body, err)
		}
		if ev.Baggage != "tenant=acme" {
			t.Errorf("event %s has baggage %q, want tenant=acme", ev.ID, ev.Baggage)
		}
	}
	if published < 6 {
		t.Errorf("%d events published, want the saga's six (started, four steps, completed)", published)
	}
}
