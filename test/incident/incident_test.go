// Package incident_test drives incidents end to end through the real CLI
// and local runtime: an SLO page alert posted to event-gateway opens an
// incident, the incident-escalation state machine notifies the on-call
// person through a signed webhook (received and verified by the runtime's
// inbox), a second alert with the same dedup key attaches, and an ack
// stops the escalation before its next level.
package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func alert(id string) string {
	now := time.Now().UTC().Format(time.RFC3339)
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"cogniforge/slo-evaluator","type":"dev.cogniforge.slo.alert.firing.v1","time":%q,
"datacontenttype":"application/json","correlationid":%q,"data":{"slo":"checkout-availability","service":"checkout","severity":"page",
"state":"firing","rule":"1h/5m","windows":["1h","5m"],"burnRate":{"long":16.7,"short":200},"threshold":14.4,"target":0.999,
"budgetRemaining":0.9,"since":%q,"dedupKey":"slo/checkout-availability/page"}}`, id, now, id, now)
}

func TestAlertToWebhookAndAck(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := "http://" + addr
	cfg := t.TempDir()
	write(t, filepath.Join(cfg, "oncall", "schedules.yaml"), `schedules:
  - name: primary
    timeZone: UTC
    layers:
      - {name: all, start: "2026-01-05T00:00", length: 1w, participants: [alice]}
`)
	write(t, filepath.Join(cfg, "oncall", "policies.yaml"), `policies:
  - name: all
    default: true
    levels:
      - {targets: [{schedule: primary}], channels: [webhook], delay: 4s}
      - {targets: [{user: bob}], channels: [webhook], delay: 1s}
`)
	write(t, filepath.Join(cfg, "oncall", "channels.yaml"), fmt.Sprintf(`channels:
  - {name: webhook, type: webhook, url: "%s/hooks/incidents", secretEnv: TEST_HOOK_SECRET}
`, base))
	dataDir := t.TempDir()
	cmd := exec.Command(cli, "run", "--addr", addr, "--data-dir", dataDir, "--config", cfg, "--statemachines", filepath.Join("..", "..", "statemachines"))
	cmd.Env = append(os.Environ(), "TEST_HOOK_SECRET=s3cret", "COGNIFORGE_WEBHOOK_SECRET=s3cret")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	// Every call to the gateway and the incident API is checked against
	// their specs (api/*.yaml).
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	t.Cleanup(func() { apis.Report(t, "incident-manager", "event-gateway") })
	get := func(path string, v any) bool {
		req, _ := http.NewRequest("GET", base+path, nil)
		if tok, err := os.ReadFile(filepath.Join(dataDir, "api.token")); err == nil {
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		}
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && json.Unmarshal(b, v) == nil
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for !cond() {
			select {
			case <-done:
				t.Fatalf("cogniforge run exited while waiting until %s:\n%s", what, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until("the runtime answers", func() bool { var v any; return get("/functions", &v) })
	post := func(body string) {
		resp, err := hc.Post(base+"/functions/event-gateway", "application/cloudevents+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway: %s", resp.Status)
		}
	}
	post(alert("a-1"))
	type hooks struct {
		Deliveries []struct {
			Key  string `json:"key"`
			Body struct {
				Action     string `json:"action"`
				Target     string `json:"target"`
				IncidentID string `json:"incidentId"`
				Severity   string `json:"severity"`
			} `json:"body"`
		} `json:"deliveries"`
	}
	var h hooks
	until("alice is paged through the signed webhook", func() bool { return get("/hooks", &h) && len(h.Deliveries) >= 1 })
	d := h.Deliveries[0]
	if d.Body.Target != "alice" || d.Body.Severity != "SEV2" || d.Key == "" {
		t.Errorf("first delivery %+v, want alice, SEV2, an idempotency key", d)
	}
	id := d.Body.IncidentID
	// The incident API refuses a caller without the runtime's token.
	resp, err := hc.Get(base + "/functions/incident-manager/incidents")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("incident API without a token: %s, want 401", resp.Status)
	}
	post(alert("a-2")) // same dedup key: attaches
	var list struct {
		Incidents []struct {
			ID     string `json:"id"`
			Alerts int    `json:"alerts"`
		} `json:"incidents"`
	}
	until("the second alert attaches", func() bool {
		return get("/functions/incident-manager/incidents", &list) && len(list.Incidents) == 1 && list.Incidents[0].Alerts == 2
	})
	out, err := exec.Command(cli, "incident", "ack", id, "--by", "alice", "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("incident ack: %v\n%s", err, out)
	}
	// The escalation's next step finds the incident acknowledged and ends
	// the execution: bob is never paged.
	client := sfn.NewFromConfig(testenv.AWSConfig(t, base))
	arn := "arn:aws:states:us-east-1:123456789012:execution:incident-escalation:" + id
	var status types.ExecutionStatus
	until("the escalation ends", func() bool {
		out, err := client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err == nil {
			status = out.Status
		}
		return err == nil && out.Status != types.ExecutionStatusRunning
	})
	if status != types.ExecutionStatusSucceeded {
		t.Errorf("escalation ended %s", status)
	}
	// The channel that paged alice hears of the ack; bob was never paged.
	actions := func() map[string]int {
		get("/hooks", &h)
		n := map[string]int{}
		for _, d := range h.Deliveries {
			n[d.Body.Action+":"+d.Body.Target]++
		}
		return n
	}
	until("the webhook hears of the ack", func() bool { return actions()["acknowledge:"] == 1 })
	if n := actions(); n["trigger:alice"] != 1 || n["trigger:bob"] != 0 {
		t.Errorf("deliveries after the ack: %v, want alice paged once and bob never", n)
	}
	// An ack of a resolved incident is refused and changes nothing.
	if out, err := exec.Command(cli, "incident", "resolve", id, "--by", "alice", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("resolve: %v\n%s", err, out)
	}
	until("the webhook hears of the resolution", func() bool { return actions()["resolve:"] == 1 })
	c := exec.Command(cli, "incident", "ack", id, "--by", "bob", "--data-dir", dataDir)
	out, err = c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "Incident.InvalidTransition") {
		t.Errorf("ack of a resolved incident: %v %s; want exit 1 naming Incident.InvalidTransition", err, out)
	}
	// The rest of the incident API, over HTTP, as its spec says.
	tok, err := os.ReadFile(filepath.Join(dataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/incidents/" + id, "", 200},
		{"GET", "/incidents?state=resolved&severity=SEV2", "", 200},
		{"GET", "/incidents/metrics", "", 200},
		{"POST", "/incidents/" + id + "/notes", `{"by":"alice","text":"the deploy of 10:02 broke checkout"}`, 200},
		{"PUT", "/incidents/" + id + "/review", `{"by":"alice","review":{"summary":"a bad deploy","contributingFactors":["no canary"],"actionItems":[{"title":"canary checkout","owner":"bob","due":"2027-01-31"}]}}`, 200},
		{"GET", "/incidents/" + id + "/review.md", "", 200},
		{"POST", "/incidents/" + id + "/ack", `{"by":"bob"}`, 422},
		{"POST", "/incidents/" + id + "/resolve", `{}`, 422},
		{"GET", "/incidents/inc-unknown", "", 422},
		{"POST", "/incidents", `{"id":"api-1","title":"disk full on db-2","dedupKey":"db-2/disk","service":"db","severity":"SEV3","links":[{"title":"runbook","url":"https://runbooks.example/disk"}]}`, 200},
	} {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, base+"/functions/incident-manager"+c.path, body)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %s %s, want %d", c.method, c.path, resp.Status, b, c.want)
		}
	}
}
