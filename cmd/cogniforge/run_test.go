package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// syncBuffer is a bytes.Buffer safe for the runtime's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`"url":"(http://[^"]+)"`)

// startRun runs `cogniforge run` in-process on a free port and returns its
// URL; the runtime is stopped (as by SIGTERM) at cleanup and must exit 0.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, append([]string{"run", "--addr", "127.0.0.1:0", "--statemachines", "../../statemachines"}, args...), nil, io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("cogniforge run exited %d after stop; stderr:\n%s", code, stderr)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("cogniforge run did not stop within 15s of its context ending")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("cogniforge run exited %d; stderr:\n%s", code, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("cogniforge run did not start; stderr:\n%s", stderr)
	return ""
}

func TestRunServesFunctionsAndStepFunctions(t *testing.T) {
	url := startRun(t, "--data-dir", t.TempDir())

	resp, err := http.Get(url + "/functions")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Functions []struct {
			Name     string `json:"name"`
			Triggers []struct {
				Kind string `json:"kind"`
			} `json:"triggers"`
		} `json:"functions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	names := map[string]bool{}
	for _, f := range list.Functions {
		names[f.Name] = len(f.Triggers) > 0
	}
	if !names["event-gateway"] {
		t.Fatalf("GET /functions = %+v, want event-gateway with its triggers", list)
	}

	// A valid event through the front door: 200 with the receipt event.
	req, _ := http.NewRequest(http.MethodPost, url+"/functions/event-gateway",
		strings.NewReader(`{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`))
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "e-1", "ce-source": "//checkout",
		"ce-type": "dev.cogniforge.request.completed.v1", "content-type": "application/json"} {
		req.Header.Set(k, v)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ce-type") != "dev.cogniforge.gateway.accepted.v1" {
		t.Errorf("valid event: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// An invalid one: 400 naming the field.
	req, _ = http.NewRequest(http.MethodPost, url+"/functions/event-gateway",
		strings.NewReader(`{"service":"checkout","operation":"x","status":"ok","durationMs":-1}`))
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "e-2", "ce-source": "//checkout",
		"ce-type": "dev.cogniforge.request.completed.v1", "content-type": "application/json"} {
		req.Header.Set(k, v)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "data.durationMs") {
		t.Errorf("invalid event: %d %s", resp.StatusCode, body)
	}

	// The Step Functions API at "/", with statemachines/ loaded: the
	// gateway machine runs its Task on the real function.
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx := context.Background()
	machines, err := client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arn string
	for _, m := range machines.StateMachines {
		if aws.ToString(m.Name) == "publish-event" {
			arn = aws.ToString(m.StateMachineArn)
		}
	}
	if arn == "" {
		t.Fatalf("publish-event not loaded from statemachines/: %+v", machines.StateMachines)
	}
	start, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &arn,
		Input: aws.String(`{"specversion":"1.0","id":"e-3","source":"//t","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","data":{"service":"s","operation":"o","status":"ok","durationMs":1}}`)})
	if err != nil {
		t.Fatal(err)
	}
	var out *sfn.DescribeExecutionOutput
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if out, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		if out.Status != sfntypes.ExecutionStatusRunning {
			break
		}
	}
	if out.Status != sfntypes.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.Output), "dev.cogniforge.gateway.accepted.v1") {
		t.Errorf("execution = %s output %s error %s cause %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"run", "--nope"}, nil, io.Discard, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if code := dispatch(context.Background(), []string{"run", "--addr", "256.0.0.1:99999", "--statemachines", ""}, nil, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "listen") {
		t.Errorf("bad address: exit %d, stderr %s", code, stderr.String())
	}
}

// TestRunStopsWhenQueuesCannotRecover: a data dir whose queue holds an
// unreadable message makes `run` fail and exit, rather than serve HTTP with
// no queue workers behind it.
func TestRunStopsWhenQueuesCannotRecover(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(context.Background(), store.Item{Key: store.Key{Partition: "runtime.queue#event-gateway", Sort: "broken"},
		Value: []byte("not a message")}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stderr := &syncBuffer{}
	code := dispatch(ctx, []string{"run", "--addr", "127.0.0.1:0", "--statemachines", "", "--data-dir", dir}, nil, io.Discard, stderr)
	if ctx.Err() != nil {
		t.Fatalf("run kept going with a broken queue; stderr:\n%s", stderr)
	}
	if code != 1 || !strings.Contains(stderr.String(), "recover queue event-gateway") {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
}
