package sfnapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// approvalDef sends its task token to a queue and waits for the callback.
const approvalDef = `{"StartAt":"Approve","States":{"Approve":{"Type":"Task",
  "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
  "Parameters":{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
    "MessageBody":{"token.$":"$$.Task.Token","order.$":"$.order"}},
  "ResultPath":"$.approval","End":true}}}`

// cli runs "aws stepfunctions ..." against endpoint with test credentials
// and no shared configuration, returning stdout, stderr and the exit code.
type cli struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
}

func newCLI(t *testing.T, endpoint string) *cli {
	bin := testenv.RequireTool(t, "aws", `pip install awscli (or install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)`)
	dir := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		// StartSyncExecution would go to sync-127.0.0.1, which does not resolve.
		"AWS_DISABLE_HOST_PREFIX_INJECTION=true",
	}
	return &cli{t: t, bin: bin, endpoint: endpoint, env: env}
}

func (c *cli) run(args ...string) (map[string]any, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"stepfunctions"}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--output", "json")
	cmd := exec.CommandContext(ctx, c.bin, full...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	var out map[string]any
	if code == 0 && strings.TrimSpace(stdout.String()) != "" {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			c.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
	return out, stderr.String(), code
}

// must runs a call that has to succeed.
func (c *cli) must(args ...string) map[string]any {
	c.t.Helper()
	out, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws stepfunctions %s: exit %d: %s", args[0], code, stderr)
	}
	return out
}

// tokens hands out the task tokens of callback tasks.
type tokens chan string

func (ch tokens) Invoke(_ context.Context, req asl.TaskRequest) (any, error) {
	if req.TaskToken == "" {
		return nil, asl.NewError("Test.Unexpected", req.StateName)
	}
	ch <- req.TaskToken
	return nil, nil
}

func TestCallbackFlowThroughAWSCLI(t *testing.T) {
	toks := make(tokens, 4)
	svc, err := sfnlocal.NewService(sfnlocal.ServiceConfig{
		Invoker: toks, Store: memory.New(memory.Config{}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	aws := newCLI(t, srv.URL)

	created := aws.must("create-state-machine", "--name", "approval", "--definition", approvalDef,
		"--role-arn", "arn:aws:iam::123456789012:role/approval")
	machine, _ := created["stateMachineArn"].(string)
	if machine != "arn:aws:states:us-east-1:123456789012:stateMachine:approval" {
		t.Fatalf("create-state-machine = %v", created)
	}
	started := aws.must("start-execution", "--state-machine-arn", machine, "--name", "order-7", "--input", `{"order":7}`)
	execARN, _ := started["executionArn"].(string)
	if _, isNum := started["startDate"]; execARN == "" || !isNum {
		t.Fatalf("start-execution = %v", started)
	}
	var tok string
	select {
	case tok = <-toks:
	case <-time.After(10 * time.Second):
		t.Fatal("the execution never reached its callback task")
	}
	aws.must("send-task-success", "--task-token", tok, "--task-output", `{"approved":true}`)

	// The callback completes the execution asynchronously; the CLI call
	// itself takes long enough that one retry is nearly always enough.
	var desc map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		desc = aws.must("describe-execution", "--execution-arn", execARN)
		if desc["status"] != "RUNNING" || time.Now().After(deadline) {
			break
		}
	}
	if desc["status"] != "SUCCEEDED" || desc["output"] != `{"order":7,"approval":{"approved":true}}` || desc["input"] != `{"order":7}` {
		t.Fatalf("describe-execution = %v", desc)
	}
	hist := aws.must("get-execution-history", "--execution-arn", execARN, "--reverse-order")
	events, _ := hist["events"].([]any)
	if len(events) < 7 {
		t.Fatalf("get-execution-history = %v", hist)
	}
	last, _ := events[0].(map[string]any)
	if last["type"] != "ExecutionSucceeded" || last["executionSucceededEventDetails"] == nil {
		t.Fatalf("newest event = %v", last)
	}

	// Errors reach botocore as typed error codes.
	_, stderr, code := aws.run("describe-execution", "--execution-arn", execARN+"-missing")
	if code == 0 || !strings.Contains(stderr, "ExecutionDoesNotExist") {
		t.Fatalf("missing execution: exit %d, stderr %q", code, stderr)
	}

	// An express machine answers synchronously.
	express := aws.must("create-state-machine", "--name", "greeter", "--type", "EXPRESS", "--role-arn", "arn:aws:iam::123456789012:role/greeter",
		"--definition", `{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hello, {}', $.name)"},"End":true}}}`)
	sync := aws.must("start-sync-execution", "--state-machine-arn", express["stateMachineArn"].(string), "--input", `{"name":"Ada"}`)
	if sync["status"] != "SUCCEEDED" || sync["output"] != `{"greeting":"hello, Ada"}` {
		t.Fatalf("start-sync-execution = %v", sync)
	}
}
