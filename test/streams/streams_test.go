// Package streams_test runs issue 15's archive, query, replay and dead
// letters through the real CLI and local runtime: events posted to
// event-gateway are archived, `events query` prints them as NDJSON oldest
// first (while the runtime runs and after it stopped), a replay of a time
// range re-delivers exactly that range, twice, and the idempotent
// slo-aggregator counts nothing twice.
package streams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runEnv(t, nil, args...)
}

func runEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.RunEnv(t, cli, env, args...)
}

// ids returns the ids of NDJSON CloudEvents, failing on a line that is not
// one.
func ids(t *testing.T, ndjson string) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(ndjson), "\n") {
		if line == "" {
			continue
		}
		var e cloudevents.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a structured CloudEvent: %q: %v", line, err)
		}
		if e.Type() != "dev.cogniforge.request.completed.v1" {
			t.Errorf("event %s has type %s", e.ID(), e.Type())
		}
		out = append(out, e.ID())
	}
	return strings.Join(out, " ")
}

func sloTotal(t *testing.T, dataDir string) int64 {
	out, errOut, code := run(t, "slo", "status", "--json", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("slo status: %d %s", code, errOut)
	}
	var v struct {
		SLOs []struct {
			SLO   string `json:"slo"`
			Total int64  `json:"total"`
		} `json:"slos"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	for _, s := range v.SLOs {
		if s.SLO == "checkout-availability" {
			return s.Total
		}
	}
	t.Fatalf("no checkout-availability in %s", out)
	return 0
}

func TestArchiveQueryReplay(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	rt := testenv.StartRuntime(t, cli, "--config", filepath.Join(repo, "config"), "--statemachines", "")
	dataDir, addr := rt.DataDir, rt.Addr
	// The gateway's answers are checked against its spec (api/*.yaml).
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	defer apis.Report(t, "event-gateway")
	post := func(id string) time.Time {
		req, _ := http.NewRequest("POST", "http://"+addr+"/functions/event-gateway",
			strings.NewReader(`{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "//checkout")
		req.Header.Set("ce-type", "dev.cogniforge.request.completed.v1")
		req.Header.Set("content-type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway answered %s to %s", resp.Status, id)
		}
		return time.Now()
	}
	post("r1")
	post("r2")
	t1 := time.Now() // after r2 was accepted, before r3 was
	post("r3")
	post("r4")
	post("r5")
	t2 := time.Now()
	post("r6")
	// The range [t1, t2) holds exactly r3, r4 and r5.
	rt.Until(t, "the aggregator counted the six events", func() bool { return sloTotal(t, dataDir) == 6 })

	rt.Until(t, "the archive counts six events", func() bool {
		resp, err := http.Get("http://" + addr + "/streams/stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct{ Archived, WriteFailed, Overflow int }
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Archived == 6 && st.WriteFailed+st.Overflow == 0
	})
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	out, errOut, code := run(t, "events", "query", "--data-dir", dataDir)
	if code != 0 || ids(t, out) != "r1 r2 r3 r4 r5 r6" {
		t.Fatalf("query while running: exit %d, %q, %s", code, ids(t, out), errOut)
	}
	out, _, code = run(t, "events", "query", "--data-dir", dataDir, "--type", "dev.cogniforge.request.completed.v1", "--from", rfc(t1), "--to", rfc(t2))
	if code != 0 || ids(t, out) != "r3 r4 r5" {
		t.Fatalf("query of a range: exit %d, %q", code, ids(t, out))
	}

	for i, id := range []string{"replay-a", "replay-b"} {
		out, errOut, code := run(t, "events", "replay", "--data-dir", dataDir, "--stream", "api", "--from", rfc(t1), "--to", rfc(t2),
			"--to-function", "slo-aggregator", "--id", id)
		var rep struct {
			Selected, Delivered, Failed int
		}
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Selected != 3 || rep.Delivered != 3 {
			t.Fatalf("replay %d: exit %d %s %s", i, code, out, errOut)
		}
	}
	rt.Until(t, "the replays were delivered", func() bool {
		resp, err := http.Get("http://" + addr + "/queues")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v struct {
			Queues []struct {
				Function  string `json:"function"`
				Pending   int    `json:"pending"`
				InFlight  int64  `json:"inFlight"`
				Delivered int64  `json:"delivered"`
			} `json:"queues"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		for _, q := range v.Queues {
			if q.Function == "slo-aggregator" {
				return q.Delivered == 12 && q.Pending == 0 && q.InFlight == 0
			}
		}
		return false
	})
	if n := sloTotal(t, dataDir); n != 6 {
		t.Errorf("after two replays the SLO counts %d events, want 6: the idempotent aggregator must count nothing twice", n)
	}

	// Bad input: exit 2 naming the problem.
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "query", "--stream", "nope"}, `unknown stream "nope"`},
		{[]string{"events", "query", "--type", "dev.cogniforge.nope.v1"}, "unknown event type"},
		{[]string{"events", "replay", "--stream", "api", "--from", rfc(t2), "--to", rfc(t1)}, "inverted time range"},
		{[]string{"events", "replay", "--stream", "api", "--to-function", "nope"}, "no such function"},
		{[]string{"dlq", "list", "--function", "nope"}, "no such function"},
	} {
		_, errOut, code := run(t, append(bad.args, "--data-dir", dataDir)...)
		if code != 2 || !strings.Contains(errOut, bad.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", bad.args, code, errOut, bad.want)
		}
	}
	out, errOut, code = run(t, "dlq", "list", "--function", "slo-aggregator", "--json", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, `"deadLetters":[]`) {
		t.Errorf("dlq list: exit %d %s %s", code, out, errOut)
	}

	// Stopped: the archive was drained to the data directory and the CLI
	// reads it there.
	rt.Stop(t)
	out, errOut, code = run(t, "events", "query", "--data-dir", dataDir)
	if code != 0 || ids(t, out) != "r1 r2 r3 r4 r5 r6" {
		t.Errorf("query after stop: exit %d, %q, %s", code, ids(t, out), errOut)
	}
	// Six archived: replays are not history.
	if !strings.Contains(rt.Logs(), `"archived":6,`) {
		t.Errorf("the runtime's stop log has no archive stats:\n%s", rt.Logs())
	}
}

// TestDLQOnSQS: `cogniforge dlq --aws` against moto: list shows the dead
// letters with their receive count, redrive moves the events back to the
// function's queue (same body, same event id) and leaves the poison one.
func TestDLQOnSQS(t *testing.T) {
	endpoint := testenv.StartMoto(t)
	env := []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	client := sqs.NewFromConfig(testenv.AWSConfig(t, endpoint))
	ctx := context.Background()
	src, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cf-slo-aggregator")})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cf-slo-aggregator-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{
		`{"specversion":"1.0","id":"d1","source":"//t","type":"dev.cogniforge.request.completed.v1"}`,
		`garbage`,
	} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dl.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runEnv(t, env, "dlq", "list", "--aws", "--prefix", "cf", "--function", "slo-aggregator", "--json")
	if code != 0 || !strings.Contains(out, `"eventId":"d1"`) || !strings.Contains(out, `"poison":true`) {
		t.Fatalf("dlq list --aws: exit %d %s %s", code, out, errOut)
	}
	out, errOut, code = runEnv(t, env, "dlq", "redrive", "--aws", "--prefix", "cf", "--function", "slo-aggregator")
	if code != 0 || !strings.Contains(errOut, "stays (poison)") {
		t.Fatalf("dlq redrive --aws: exit %d %s %s", code, out, errOut)
	}
	got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 1 || !strings.Contains(aws.ToString(got.Messages[0].Body), `"id":"d1"`) {
		t.Fatalf("the function's queue holds %v (%v)", got, err)
	}
	_, errOut, code = runEnv(t, env, "dlq", "list", "--aws", "--prefix", "cf", "--function", "slo-evaluator")
	if code != 2 || !strings.Contains(errOut, "no SQS queue") {
		t.Errorf("a function without a queue: exit %d %s", code, errOut)
	}
}
