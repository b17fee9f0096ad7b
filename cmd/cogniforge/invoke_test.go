package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func invoke(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), append([]string{"invoke"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestInvokeCloudEvent(t *testing.T) {
	code, out, errOut := invoke(t, "", "event-gateway", "--event", "../../events/examples/dev.cogniforge.request.completed.v1.json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	var reply map[string]any
	if err := json.Unmarshal([]byte(out), &reply); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if reply["type"] != "dev.cogniforge.gateway.accepted.v1" {
		t.Errorf("reply = %v", reply)
	}
	// What the gateway forwarded is shown, not dropped.
	if !strings.Contains(errOut, `published: {`) || !strings.Contains(errOut, "dev.cogniforge.request.completed.v1") {
		t.Errorf("published event not reported on stderr: %s", errOut)
	}
}

// An SQS batch with one good and one bad record: only the bad one is
// reported in batchItemFailures, so only it is retried and dead-lettered.
func TestInvokeSQSBatchReportsOnlyFailedRecords(t *testing.T) {
	good := `{"specversion":"1.0","id":"g","source":"//t","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","data":{"service":"s","operation":"o","status":"ok","durationMs":3}}`
	bad := `{"specversion":"1.0","id":"b","source":"//t","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","data":{"service":"s","status":"ok","durationMs":3}}`
	rec := func(id, body string) map[string]any {
		return map[string]any{"messageId": id, "receiptHandle": "rh", "body": body, "attributes": map[string]any{},
			"messageAttributes": map[string]any{}, "md5OfBody": "", "eventSource": "aws:sqs",
			"eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
	}
	payload, _ := json.Marshal(map[string]any{"Records": []any{rec("m-good", good), rec("m-bad", bad), rec("m-junk", "not json")}})
	code, out, errOut := invoke(t, string(payload), "event-gateway", "-")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if strings.Join(ids, ",") != "m-bad,m-junk" {
		t.Errorf("batchItemFailures = %v, want m-bad,m-junk", ids)
	}
}

func TestInvokeErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no function", nil, 2, "usage"},
		{"unknown function", []string{"nope", "-"}, 2, `no function "nope"`},
		{"two sources", []string{"event-gateway", "--event", "x", "-"}, 2, "exactly one"},
		{"no source", []string{"event-gateway"}, 2, "exactly one"},
		{"event not a CloudEvent", []string{"event-gateway", "--event", "NOTCE"}, 2, "not a structured CloudEvent"},
		{"invalid event", []string{"event-gateway", "--event", "INVALID"}, 1, "CogniForge.InvalidEvent"},
	}
	notCE := writeTemp(t, "x.json", `[1,2]`)
	invalid := writeTemp(t, "i.json", `{"specversion":"1.0","id":"b","source":"//t","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","data":{"durationMs":-3}}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				switch a {
				case "NOTCE":
					tt.args[i] = notCE
				case "INVALID":
					tt.args[i] = invalid
				}
			}
			code, out, errOut := invoke(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d (want %d), output %s%s, want it to mention %q", code, tt.wantCode, out, errOut, tt.want)
			}
		})
	}
}

// A data directory held by another process (a running `cogniforge run`) is
// a usage error of every command that takes --data-dir, exit 2 naming the
// held directory, never a failed execution or an exit 1.
func TestLockedDataDirIsExit2Everywhere(t *testing.T) {
	dir := t.TempDir()
	held, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	for name, args := range map[string][]string{
		"sfn run": {"sfn", "run", "--definition", "../../statemachines/order-fulfillment.asl.json",
			"--data-dir", dir, "--input", `{"orderId":"o-1"}`},
		"invoke":      {"invoke", "inventory", "--data-dir", dir, "--payload", "../../events/examples/dev.cogniforge.request.completed.v1.json"},
		"saga status": {"saga", "status", "o-1", "--data-dir", dir},
		"run":         {"run", "--addr", "127.0.0.1:0", "--data-dir", dir},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each waits out the lock timeout
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), args, nil, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "held by another process") {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 naming the held data directory", code, stderr.String(), stdout.String())
			}
		})
	}
}

// A read-only command given a data directory that holds no store says so
// (exit 2) and creates nothing there.
func TestSagaStatusCreatesNoStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mistyped")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"saga", "status", "o-1", "--data-dir", dir}, nil, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "mistyped") {
		t.Errorf("exit %d, stderr %q; want exit 2 saying the directory holds no store", code, stderr.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("saga status created %s (stat: %v)", dir, err)
	}
}
