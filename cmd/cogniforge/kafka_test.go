package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaPublishThenConsume publishes a catalog event through the CLI,
// adds a record that is not a CloudEvent, and feeds the topic to
// slo-aggregator: the event is handled, the plain record ends in the
// dead-letter topic after its attempts, and consume stops when idle.
func TestKafkaPublishThenConsume(t *testing.T) {
	broker, err := kfake.NewCluster(kfake.SeedTopics(1, "ev", "ev-dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	brokers := strings.Join(broker.ListenAddrs(), ",")
	t.Setenv("COGNIFORGE_CONFIG_DIR", "../../config") // slo-aggregator counts for the example SLOs
	// The catalog's example, stamped now: slo-aggregator refuses events
	// older than its windows.
	b, err := os.ReadFile("../../events/examples/dev.cogniforge.request.completed.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	ev["time"] = now
	ev["data"].(map[string]any)["timestamp"] = now
	b, _ = json.Marshal(ev)
	file := writeTemp(t, "ev.json", string(b))
	code, out, errOut := run(t, "kafka", "publish", "--brokers", brokers, "--topic", "ev", file)
	if code != 0 || !strings.Contains(out, "published") {
		t.Fatalf("publish: exit %d\n%s\n%s", code, out, errOut)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.ListenAddrs()...), kgo.ConsumeTopics("ev-dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "ev", Value: []byte("plain")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "kafka", "consume", "--brokers", brokers, "--topic", "ev", "--function", "slo-aggregator",
		"--max-attempts", "2", "--retry-delay", "10ms", "--idle", "2s")
	if code != 0 {
		t.Fatalf("consume: exit %d\n%s\n%s", code, out, errOut)
	}
	var sum map[string]int
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["invocations"] < 2 || sum["invocationsWithFailures"] < 1 {
		t.Fatalf("consume summary %q (%v): want the batch and its retry", out, err)
	}
	var recs []*kgo.Record
	for len(recs) < 1 && ctx.Err() == nil {
		pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		recs = append(recs, cl.PollFetches(pctx).Records()...)
		pcancel()
	}
	if len(recs) != 1 || string(recs[0].Value) != "plain" {
		var vals []string
		for _, r := range recs {
			vals = append(vals, string(r.Value))
		}
		t.Fatalf("dead letters = %q, want the plain record\n%s", vals, errOut)
	}
}

func TestKafkaBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"kafka", "publish", "--topic", "x", "f.json"},
		{"kafka", "publish", "--brokers", "127.0.0.1:1"},
		{"kafka", "consume", "--brokers", "127.0.0.1:1"},
		{"kafka", "consume", "--brokers", "127.0.0.1:1", "--function", "nope"},
		{"kafka", "consume", "--brokers", "127.0.0.1:1", "--function", "slo-aggregator", "--max-attempts", "0"},
		{"kafka", "frobnicate"},
	} {
		if code, _, errOut := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a reason", args, code, errOut)
		}
	}
	if code, out, _ := run(t, "kafka", "--help"); code != 0 || !strings.Contains(out, "consume") {
		t.Errorf("--help: exit %d", code)
	}
}
