package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

const (
	role     = "arn:aws:iam::123456789012:role/test"
	passDef  = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.r","End":true}}}`
	pass2Def = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":2},"ResultPath":"$.r","End":true}}}`
	failDef  = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Order.Rejected","Cause":"out of stock"}}}`
	// callbackDef waits for SendTaskSuccess/Failure on the token it sends
	// to a queue.
	callbackDef = `{"StartAt":"Approve","States":{"Approve":{"Type":"Task",
	  "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	  "Parameters":{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/approvals","MessageBody":{"token.$":"$$.Task.Token","order.$":"$.order"}},
	  "HeartbeatSeconds":3600,"ResultPath":"$.approval","End":true}}}`
	chargeDef = `{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
	  "Parameters":{"FunctionName":"payments","Payload.$":"$"},
	  "ResultSelector":{"charged.$":"$.Payload.charged"},"End":true}}}`
)

// tokenInvoker hands out the task tokens of callback tasks and fails the
// test if any other task reaches it.
type tokenInvoker struct {
	tokens chan string
	calls  atomic.Int64
}

func newTokenInvoker() *tokenInvoker {
	return &tokenInvoker{tokens: make(chan string, 16)}
}

func (i *tokenInvoker) Invoke(_ context.Context, req asl.TaskRequest) (any, error) {
	i.calls.Add(1)
	if req.TaskToken == "" {
		return nil, asl.NewError("Test.Unexpected", "task "+req.StateName+" reached the invoker")
	}
	i.tokens <- req.TaskToken
	return nil, nil
}

func (i *tokenInvoker) token(t *testing.T) string {
	t.Helper()
	select {
	case tok := <-i.tokens:
		return tok
	case <-time.After(5 * time.Second):
		t.Fatal("no task token arrived")
		return ""
	}
}

type harness struct {
	svc    *Service
	client *sfn.Client
	srv    *httptest.Server
	inv    *tokenInvoker
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHarness serves a Service on an httptest.Server and returns an SDK
// client for it. edit may change the config before the service is built.
func newHarness(t testing.TB, st store.Store, edit func(*ServiceConfig)) *harness {
	t.Helper()
	inv := newTokenInvoker()
	cfg := ServiceConfig{Invoker: inv, Store: st, Clock: asl.NewFastClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), Logger: discard()}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return &harness{svc: svc, client: newClient(srv), srv: srv, inv: inv}
}

// newClient points an sfn client at srv. StartSyncExecution would send
// its request to "sync-" + host: the client turns that prefix off, as
// users of the local runtime have to.
func newClient(srv *httptest.Server) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

func (h *harness) create(t testing.TB, name, def string, typ types.StateMachineType) string {
	t.Helper()
	out, err := h.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role), Type: typ,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return *out.StateMachineArn
}

func (h *harness) start(t *testing.T, machine, name, input string) string {
	t.Helper()
	out, err := h.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution %s: %v", name, err)
	}
	return *out.ExecutionArn
}

// waitDone polls DescribeExecution until the execution has ended.
func waitDone(t *testing.T, c *sfn.Client, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING", arn)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// wantAPIError checks err is the SDK's typed error T.
func wantAPIError[T error](t *testing.T, err error) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
}

func historyTypes(t *testing.T, c *sfn.Client, arn string) []types.HistoryEventType {
	t.Helper()
	out, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	got := make([]types.HistoryEventType, len(out.Events))
	for i, e := range out.Events {
		got[i] = e.Type
	}
	return got
}

func TestStateMachineLifecycle(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	arn := h.create(t, "orders", passDef, "")
	if arn != "arn:aws:states:us-east-1:123456789012:stateMachine:orders" {
		t.Fatalf("arn = %s", arn)
	}
	// Same name and definition: the same machine, even with another role.
	again, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(passDef), RoleArn: aws.String(role + "2")})
	if err != nil || *again.StateMachineArn != arn {
		t.Fatalf("idempotent create = %v, %v", again, err)
	}
	_, err = h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(pass2Def), RoleArn: aws.String(role)})
	wantAPIError[*types.StateMachineAlreadyExists](t, err)

	refused := []struct{ name, def string }{
		{"not-json", `{"StartAt":`},
		{"unknown-target", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Nowhere"}}}`},
		{"unreachable", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true},"Orphan":{"Type":"Succeed"}}}`},
		{"empty", ``},
	}
	for _, tc := range refused {
		_, err := h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(tc.name), Definition: aws.String(tc.def), RoleArn: aws.String(role)})
		var e *types.InvalidDefinition
		if !errors.As(err, &e) {
			t.Errorf("%s: error = %v, want InvalidDefinition", tc.name, err)
		} else if tc.name == "unreachable" && !strings.Contains(e.ErrorMessage(), "Orphan") {
			t.Errorf("unreachable: message %q does not name the state", e.ErrorMessage())
		}
	}
	_, err = h.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad name"), Definition: aws.String(passDef), RoleArn: aws.String(role)})
	wantAPIError[*types.InvalidName](t, err)

	d, err := h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Definition != passDef || *d.Name != "orders" || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive || *d.RoleArn != role || d.CreationDate.Year() != 2026 {
		t.Fatalf("describe = %+v", d)
	}

	h.create(t, "payments", passDef, types.StateMachineTypeExpress)
	page1, err := h.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1})
	if err != nil || len(page1.StateMachines) != 1 || page1.NextToken == nil {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, err := h.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1, NextToken: page1.NextToken})
	if err != nil || len(page2.StateMachines) != 1 || page2.NextToken != nil || *page2.StateMachines[0].Name != "payments" || page2.StateMachines[0].Type != types.StateMachineTypeExpress {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
	_, err = h.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("garbage")})
	wantAPIError[*types.InvalidToken](t, err)

	up, err := h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(pass2Def)})
	if err != nil || up.UpdateDate == nil || up.RevisionId == nil {
		t.Fatalf("update = %+v, %v", up, err)
	}
	d, _ = h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if *d.Definition != pass2Def || *d.RevisionId != *up.RevisionId {
		t.Fatalf("after update = %s, %s", *d.Definition, *d.RevisionId)
	}
	_, err = h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{}`)})
	wantAPIError[*types.InvalidDefinition](t, err)
	_, err = h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.MissingRequiredParameter](t, err)

	vers, err := h.client.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(vers.StateMachineVersions) != 0 {
		t.Fatalf("versions = %+v, %v", vers, err)
	}

	if _, err := h.client.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}, {Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" || *tags.Tags[0].Value != "core" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = h.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn + "-gone")})
	wantAPIError[*types.ResourceNotFound](t, err)

	if _, err := h.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	if _, err := h.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("deleting a deleted machine: %v", err)
	}
	_, err = h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:x")})
	wantAPIError[*types.InvalidArn](t, err)
}

func TestValidateStateMachineDefinition(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	cases := []struct {
		name, def  string
		result     types.ValidateStateMachineDefinitionResultCode
		code, path string
	}{
		{"valid", passDef, types.ValidateStateMachineDefinitionResultCodeOk, "", ""},
		{"invalid json", `{"StartAt"`, types.ValidateStateMachineDefinitionResultCodeFail, "INVALID_JSON_DESCRIPTION", ""},
		{"bad field", `{"StartAt":"P","States":{"P":{"Type":"Pass","Foo":1,"End":true}}}`, types.ValidateStateMachineDefinitionResultCodeFail, "SCHEMA_VALIDATION_FAILED", "States.P"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.client.ValidateStateMachineDefinition(context.Background(), &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tc.def)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tc.result {
				t.Fatalf("result = %s, want %s (%+v)", out.Result, tc.result, out.Diagnostics)
			}
			if tc.code == "" {
				if len(out.Diagnostics) != 0 {
					t.Fatalf("diagnostics = %+v", out.Diagnostics)
				}
				return
			}
			d := out.Diagnostics[0]
			if *d.Code != tc.code || d.Severity != types.ValidateStateMachineDefinitionSeverityError || aws.ToString(d.Location) != tc.path || *d.Message == "" {
				t.Fatalf("diagnostic = code %s severity %s location %s message %s", *d.Code, d.Severity, aws.ToString(d.Location), *d.Message)
			}
		})
	}
}

func TestExecutionRecordedWithHistory(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	machine := h.create(t, "orders", passDef, "")
	arn := h.start(t, machine, "first", `{"order":1}`)
	if arn != "arn:aws:states:us-east-1:123456789012:execution:orders:first" {
		t.Fatalf("arn = %s", arn)
	}
	d := waitDone(t, h.client, arn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"order":1,"r":{"ok":true}}` || *d.Input != `{"order":1}` || d.StopDate == nil || d.StartDate == nil || *d.StateMachineArn != machine || *d.Name != "first" {
		t.Fatalf("describe = %+v", d)
	}

	want := []types.HistoryEventType{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if got := historyTypes(t, h.client, arn); !equalTypes(got, want) {
		t.Fatalf("history = %v, want %v", got, want)
	}
	rev, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 3})
	if err != nil || len(rev.Events) != 3 || rev.Events[0].Type != "ExecutionSucceeded" || rev.NextToken == nil {
		t.Fatalf("reverse page = %+v, %v", rev, err)
	}
	if det := rev.Events[0].ExecutionSucceededEventDetails; det == nil || *det.Output != *d.Output || rev.Events[0].Timestamp == nil || rev.Events[0].Id != 4 || rev.Events[0].PreviousEventId != 3 {
		t.Fatalf("succeeded event = %+v", rev.Events[0])
	}
	rest, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 3, NextToken: rev.NextToken})
	if err != nil || len(rest.Events) != 1 || rest.Events[0].Type != "ExecutionStarted" || rest.NextToken != nil {
		t.Fatalf("last page = %+v, %v", rest, err)
	}
	if det := rest.Events[0].ExecutionStartedEventDetails; det == nil || *det.Input != `{"order":1}` || *det.RoleArn != role {
		t.Fatalf("started event = %+v", rest.Events[0])
	}
	noData, err := h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false)})
	if err != nil || noData.Events[0].ExecutionStartedEventDetails.Input != nil {
		t.Fatalf("without execution data = %+v, %v", noData.Events[0].ExecutionStartedEventDetails, err)
	}

	// A finished execution's name is taken, whatever the input.
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("first"), Input: aws.String(`{"order":1}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(`{"order":`)})
	wantAPIError[*types.InvalidExecutionInput](t, err)
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "x")})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("a/b")})
	wantAPIError[*types.InvalidName](t, err)
	_, err = h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn + "x")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = h.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String("not-an-arn")})
	wantAPIError[*types.InvalidArn](t, err)

	// The execution keeps the definition it ran, after the machine changed.
	if _, err := h.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(machine), Definition: aws.String(pass2Def)}); err != nil {
		t.Fatal(err)
	}
	fe, err := h.client.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || *fe.Definition != passDef || *fe.StateMachineArn != machine || *fe.Name != "orders" || fe.UpdateDate == nil {
		t.Fatalf("for execution = %+v, %v", fe, err)
	}
	second := h.start(t, machine, "second", `{}`)
	if d := waitDone(t, h.client, second); *d.Output != `{"r":{"ok":2}}` {
		t.Fatalf("second output = %s", *d.Output)
	}
}

func containsType(list []types.HistoryEventType, want types.HistoryEventType) bool {
	for _, t := range list {
		if t == want {
			return true
		}
	}
	return false
}

func equalTypes(a, b []types.HistoryEventType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListExecutions(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	ok := h.create(t, "ok", passDef, "")
	waitDone(t, h.client, h.start(t, ok, "e1", `{}`))
	h.svc.clock.(*asl.FastClock).Advance(time.Second)
	waitDone(t, h.client, h.start(t, ok, "e2", `{}`))
	h.svc.clock.(*asl.FastClock).Advance(time.Second)
	cb := h.create(t, "cb", callbackDef, "")
	h.create(t, "fails", failDef, "")
	running := h.start(t, cb, "waiting", `{"order":7}`)
	h.inv.token(t)

	all, err := h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(ok)})
	if err != nil || len(all.Executions) != 2 || *all.Executions[0].Name != "e2" || *all.Executions[1].Name != "e1" {
		t.Fatalf("newest first = %+v, %v", all, err)
	}
	if all.Executions[0].Status != types.ExecutionStatusSucceeded || all.Executions[0].StopDate == nil {
		t.Fatalf("item = %+v", all.Executions[0])
	}
	page, err := h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(ok), MaxResults: 1})
	if err != nil || len(page.Executions) != 1 || page.NextToken == nil {
		t.Fatalf("page = %+v, %v", page, err)
	}
	page, err = h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(ok), MaxResults: 1, NextToken: page.NextToken})
	if err != nil || len(page.Executions) != 1 || *page.Executions[0].Name != "e1" || page.NextToken != nil {
		t.Fatalf("page 2 = %+v, %v", page, err)
	}
	for status, want := range map[types.ExecutionStatus]int{types.ExecutionStatusRunning: 1, types.ExecutionStatusSucceeded: 0} {
		out, err := h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(cb), StatusFilter: status})
		if err != nil || len(out.Executions) != want {
			t.Fatalf("%s: %+v, %v", status, out, err)
		}
		if want == 1 && *out.Executions[0].ExecutionArn != running {
			t.Fatalf("running = %s", *out.Executions[0].ExecutionArn)
		}
	}
	_, err = h.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(ok + "-none")})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
}

func TestCallbackCompletedBySendTaskSuccess(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	machine := h.create(t, "approval", callbackDef, "")
	arn := h.start(t, machine, "order-7", `{"order":7}`)
	tok := h.inv.token(t)

	// While it runs, the same name and input is the same execution; another
	// input is a clash.
	same := h.start(t, machine, "order-7", `{"order":7}`)
	if same != arn {
		t.Fatalf("idempotent start = %s, want %s", same, arn)
	}
	_, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("order-7"), Input: aws.String(`{"order":8}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)
	if d, _ := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}); d.Status != types.ExecutionStatusRunning || d.StopDate != nil || d.Output != nil {
		t.Fatalf("running describe = %+v", d)
	}
	if got := historyTypes(t, h.client, arn); !containsType(got, "TaskStarted") || containsType(got, "TaskSucceeded") {
		t.Fatalf("history while waiting = %v", got)
	}

	if _, err := h.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"approved":`)})
	wantAPIError[*types.InvalidOutput](t, err)
	if _, err := h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, h.client, arn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"order":7,"approval":{"approved":true}}` { // AWS order: input keys, then ResultPath's
		t.Fatalf("describe = %s %s", d.Status, aws.ToString(d.Output))
	}
	// The engine decides the events in between (TaskSubmitted, say); the
	// service must return them all, in order.
	got := historyTypes(t, h.client, arn)
	if len(got) < 6 || !equalTypes(got[:4], []types.HistoryEventType{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"}) ||
		!equalTypes(got[len(got)-3:], []types.HistoryEventType{"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}) {
		t.Fatalf("history = %v", got)
	}

	_, err = h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskDoesNotExist](t, err)
	_, err = h.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
	wantAPIError[*types.TaskDoesNotExist](t, err)
	_, err = h.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("AAAA")})
	wantAPIError[*types.InvalidToken](t, err)

	// SendTaskFailure fails the task with the caller's error and cause.
	failed := h.start(t, machine, "order-8", `{"order":8}`)
	if _, err := h.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(h.inv.token(t)), Error: aws.String("Order.Declined"), Cause: aws.String("manager said no")}); err != nil {
		t.Fatal(err)
	}
	d = waitDone(t, h.client, failed)
	if d.Status != types.ExecutionStatusFailed || *d.Error != "Order.Declined" || *d.Cause != "manager said no" || d.Output != nil {
		t.Fatalf("failed describe = %+v", d)
	}
}

func TestStopExecution(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	machine := h.create(t, "approval", callbackDef, "")
	arn := h.start(t, machine, "stop-me", `{"order":1}`)
	tok := h.inv.token(t)
	out, err := h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Ops.Cancelled"), Cause: aws.String("customer cancelled")})
	if err != nil || out.StopDate == nil {
		t.Fatalf("stop = %+v, %v", out, err)
	}
	d, err := h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || d.Status != types.ExecutionStatusAborted || *d.Error != "Ops.Cancelled" || *d.Cause != "customer cancelled" || !d.StopDate.Equal(*out.StopDate) {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	got := historyTypes(t, h.client, arn)
	if got[len(got)-1] != "ExecutionAborted" {
		t.Fatalf("history = %v", got)
	}
	_, err = h.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskDoesNotExist](t, err)
	// Stopping again changes nothing.
	again, err := h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || !again.StopDate.Equal(*out.StopDate) {
		t.Fatalf("second stop = %+v, %v", again, err)
	}
	_, err = h.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn + "x")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
}

func TestStartSyncExecution(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	express := h.create(t, "quick", passDef, types.StateMachineTypeExpress)
	out, err := h.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(express), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded || *out.Output != `{"a":1,"r":{"ok":true}}` || out.StartDate == nil || out.StopDate == nil || *out.StateMachineArn != express || !out.InputDetails.Included || out.BillingDetails == nil {
		t.Fatalf("sync = %+v", out)
	}
	// Not recorded, as express executions on AWS.
	_, err = h.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)

	failing := h.create(t, "quick-fail", failDef, types.StateMachineTypeExpress)
	out, err = h.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(failing)})
	if err != nil || out.Status != types.SyncExecutionStatusFailed || *out.Error != "Order.Rejected" || *out.Cause != "out of stock" || out.Output != nil {
		t.Fatalf("sync failure = %+v, %v", out, err)
	}
	standard := h.create(t, "slow", passDef, "")
	_, err = h.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(standard)})
	wantAPIError[*types.StateMachineTypeNotSupported](t, err)
}

const mockConfig = `{
  "StateMachines": {"checkout": {"TestCases": {
    "HappyPath": {"Charge": "Charged"},
    "CardDeclined": {"Charge": "Declined"}}}},
  "MockedResponses": {
    "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": 42}}}},
    "Declined": {"0": {"Throw": {"Error": "Payment.Declined", "Cause": "card expired"}}}}
}`

func TestMockConfigTestCase(t *testing.T) {
	mc, err := asl.ParseMockConfig([]byte(mockConfig))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, memory.New(memory.Config{}), func(c *ServiceConfig) { c.MockConfig = mc })
	ctx := context.Background()
	machine := h.create(t, "checkout", chargeDef, "")
	happy := h.start(t, machine+"#HappyPath", "happy", `{"cart":3}`)
	if happy != "arn:aws:states:us-east-1:123456789012:execution:checkout:happy" {
		t.Fatalf("arn = %s", happy)
	}
	if d := waitDone(t, h.client, happy); d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"charged":42}` || *d.StateMachineArn != machine {
		t.Fatalf("happy = %s %s", d.Status, aws.ToString(d.Output))
	}
	declined := h.start(t, machine+"#CardDeclined", "declined", `{}`)
	if d := waitDone(t, h.client, declined); d.Status != types.ExecutionStatusFailed || *d.Error != "Payment.Declined" || *d.Cause != "card expired" {
		t.Fatalf("declined = %+v", d)
	}
	if n := h.inv.calls.Load(); n != 0 {
		t.Fatalf("a mocked task called the invoker %d times", n)
	}
	_, err = h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#NoSuchCase")})
	wantAPIError[*types.ValidationException](t, err)
}

func TestMockConfigMissing(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	machine := h.create(t, "checkout", chargeDef, "")
	_, err := h.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine + "#HappyPath")})
	wantAPIError[*types.ValidationException](t, err)
}

func openBolt(t testing.TB, dir string) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestExecutionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openBolt(t, dir)
	h := newHarness(t, st, nil)
	done := h.create(t, "orders", passDef, "")
	waiting := h.create(t, "approval", callbackDef, "")
	finished := h.start(t, done, "finished", `{"n":1}`)
	before := waitDone(t, h.client, finished)
	interrupted := h.start(t, waiting, "interrupted", `{"order":9}`)
	h.inv.token(t)
	// The history is written as it grows, asynchronously: wait until it
	// shows the task started before the process goes away.
	deadline := time.Now().Add(5 * time.Second)
	for {
		last, err := lastEventID(ctx, st, "approval", "interrupted")
		if err != nil {
			t.Fatal(err)
		}
		if last >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history of the waiting execution not written: %d events", last)
		}
		time.Sleep(2 * time.Millisecond)
	}

	startDate := startedAt(t, h.client, interrupted)
	// The process goes away with an execution waiting for its callback.
	h.srv.Close()
	if err := h.svc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := openBolt(t, dir)
	t.Cleanup(func() { st2.Close() })
	h2 := newHarness(t, st2, nil)
	d, err := h2.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(finished)})
	if err != nil || d.Status != types.ExecutionStatusSucceeded || *d.Output != *before.Output || !d.StopDate.Equal(*before.StopDate) || *d.Input != `{"n":1}` {
		t.Fatalf("finished after restart = %+v, %v", d, err)
	}
	want := []types.HistoryEventType{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if got := historyTypes(t, h2.client, finished); !equalTypes(got, want) {
		t.Fatalf("history after restart = %v", got)
	}
	// The interrupted execution resumed: its callback task was sent again,
	// with a new token, and completes the same execution.
	d, err = h2.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(interrupted)})
	if err != nil || d.Status != types.ExecutionStatusRunning || !d.StartDate.Equal(*startDate) {
		t.Fatalf("interrupted after restart = %+v, %v", d, err)
	}
	tok := h2.inv.token(t)
	if _, err := h2.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatal(err)
	}
	d = waitDone(t, h2.client, interrupted)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"order":9,"approval":{"ok":true}}` {
		t.Fatalf("resumed execution ended %+v", d)
	}
	want = []types.HistoryEventType{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
		"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if got := historyTypes(t, h2.client, interrupted); !equalTypes(got, want) {
		t.Fatalf("resumed history = %v, want %v", got, want)
	}
	hist, err := h2.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(interrupted)})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range hist.Events {
		if e.Id != int64(i+1) || (i > 0 && e.PreviousEventId >= e.Id) {
			t.Fatalf("event %d: id %d previous %d", i, e.Id, e.PreviousEventId)
		}
	}
	list, err := h2.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(waiting), StatusFilter: types.ExecutionStatusSucceeded})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list after restart = %+v, %v", list, err)
	}
	if _, err := h2.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(done)}); err != nil {
		t.Fatalf("machine after restart: %v", err)
	}
	_, err = h2.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(done), Name: aws.String("finished"), Input: aws.String(`{"n":1}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)
	// A third start finds nothing left to resume.
	h2.svc.Close()
	if _, err := NewService(ServiceConfig{Store: st2, Logger: discard()}); err != nil {
		t.Fatal(err)
	}
	if items, _ := st2.Query(ctx, partRunning, "", 0); len(items) != 0 {
		t.Fatalf("running index after the resumed execution ended = %d items", len(items))
	}
}

// startedAt returns the start date DescribeExecution shows.
func startedAt(t *testing.T, c *sfn.Client, arn string) *time.Time {
	t.Helper()
	d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return d.StartDate
}

func TestLoadDir(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("hello.asl.json", passDef)
	write("checkout.asl.json", chargeDef)
	write("notes.json", `{}`)
	if err := h.svc.LoadDir(ctx, dir); err != nil {
		t.Fatal(err)
	}
	list, err := h.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 2 || *list.StateMachines[0].Name != "checkout" || *list.StateMachines[1].Name != "hello" {
		t.Fatalf("machines = %+v, %v", list, err)
	}
	write("hello.asl.json", pass2Def)
	write("broken.asl.json", `{"StartAt":"Nope","States":{}}`)
	err = h.svc.LoadDir(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "broken.asl.json") {
		t.Fatalf("LoadDir error = %v, want one naming broken.asl.json", err)
	}
	d, err := h.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(h.svc.machineARN("hello"))})
	if err != nil || *d.Definition != pass2Def || !strings.HasPrefix(*d.RoleArn, "arn:aws:iam::123456789012:role/") {
		t.Fatalf("hello after reload = %+v, %v", d, err)
	}
}

func TestLoadDirProjectMachines(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	if err := h.svc.LoadDir(context.Background(), "../../statemachines"); err != nil {
		t.Fatalf("the project's state machines must load: %v", err)
	}
	out, err := h.client.ListStateMachines(context.Background(), &sfn.ListStateMachinesInput{})
	if err != nil || len(out.StateMachines) == 0 {
		t.Fatalf("machines = %+v, %v", out, err)
	}
}

// TestWireFormat checks the raw protocol: error shape, content type and
// dates as epoch numbers, which the SDK tests above only see decoded.
func TestWireFormat(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	call := func(target, body string) (int, map[string]any, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", ContentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, m, resp.Header
	}
	code, m, hdr := call("AWSStepFunctions.DescribeStateMachine", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:none"}`)
	if code != 400 || m["__type"] != "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist" || m["message"] == "" || hdr.Get("Content-Type") != ContentType {
		t.Fatalf("error = %d %v %v", code, m, hdr)
	}
	code, m, _ = call("AWSStepFunctions.CreateStateMachine", `{"name":"w","definition":`+strconvQuote(passDef)+`,"roleArn":"`+role+`"}`)
	if _, isNum := m["creationDate"].(float64); code != 200 || !isNum {
		t.Fatalf("create = %d %v", code, m)
	}
	code, m, _ = call("AWSStepFunctions.Frobnicate", `{}`)
	if code != 400 || m["__type"] != "com.amazonaws.swf.service.v2.model#UnknownOperationException" {
		t.Fatalf("unknown op = %d %v", code, m)
	}
	code, m, _ = call("AWSStepFunctions.StartExecution", `[1,2]`)
	if code != 400 || m["__type"] != "com.amazonaws.swf.service.v2.model#SerializationException" {
		t.Fatalf("bad body = %d %v", code, m)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestServiceConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  ServiceConfig
		want string
	}{
		{"no store", ServiceConfig{}, "Store is required"},
		{"bad region", ServiceConfig{Store: memory.New(memory.Config{}), Region: "a:b"}, "Region"},
		{"ok", ServiceConfig{Store: memory.New(memory.Config{})}, ""},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestFailOverWithoutHistory: a process that died right after recording a
// start left no history; the fail-over writes one of two events.
func TestFailOverWithoutHistory(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	h := newHarness(t, st, nil)
	h.create(t, "orders", passDef, "")
	rec := executionRecord{ARN: h.svc.executionARN("orders", "lost"), Name: "lost", MachineName: "orders", MachineARN: h.svc.machineARN("orders"),
		Input: `{"a":1}`, RoleARN: role, Status: string(asl.StatusRunning), StartDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := h.svc.persistStart(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// An index entry whose record was never written is dropped.
	if _, err := st.Put(ctx, store.Item{Key: store.Key{Partition: partRunning, Sort: h.svc.executionARN("orders", "ghost")}, Value: []byte("orders")}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, st, nil)
	d, err := h2.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(rec.ARN)})
	if err != nil || d.Status != types.ExecutionStatusFailed || *d.Error != asl.ErrRuntime {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	hist, err := h2.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(rec.ARN)})
	if err != nil || len(hist.Events) != 2 || *hist.Events[0].ExecutionStartedEventDetails.Input != `{"a":1}` || hist.Events[1].PreviousEventId != 1 {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	_, err = h2.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(h.svc.executionARN("orders", "ghost"))})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	if items, _ := st.Query(ctx, partRunning, "", 0); len(items) != 0 {
		t.Fatalf("running index = %d items", len(items))
	}
}

// TestConcurrentStartsWithOneName: requests racing to start one name get
// one execution: the same ARN for the same input, a clash for another.
func TestConcurrentStartsWithOneName(t *testing.T) {
	h := newHarness(t, memory.New(memory.Config{}), nil)
	machine := h.create(t, "approval", callbackDef, "")
	const n = 8
	type answer struct {
		arn string
		err error
	}
	answers := make(chan answer, n)
	for i := range n {
		input := `{"order":1}`
		if i == n-1 {
			input = `{"order":2}`
		}
		go func() {
			out, err := h.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("once"), Input: aws.String(input)})
			if err != nil {
				answers <- answer{err: err}
				return
			}
			answers <- answer{arn: *out.ExecutionArn}
		}()
	}
	var ok, clashes int
	for range n {
		a := <-answers
		var clash *types.ExecutionAlreadyExists
		switch {
		case a.err == nil && a.arn == h.svc.executionARN("approval", "once"):
			ok++
		case errors.As(a.err, &clash):
			clashes++
		default:
			t.Fatalf("answer = %+v", a)
		}
	}
	// Either an {"order":1} request won and the others with that input
	// joined it, or the {"order":2} one won and all others clashed.
	if (ok != n-1 || clashes != 1) && (ok != 1 || clashes != n-1) {
		t.Fatalf("%d started/joined, %d clashes", ok, clashes)
	}
	h.inv.token(t)
	select {
	case tok := <-h.inv.tokens:
		t.Fatalf("a second execution started (token %s)", tok)
	default:
	}
}

// endFailingStore refuses the first failures unconditional writes of
// execution records: the writes that record an execution's end.
type endFailingStore struct {
	store.Store
	failures atomic.Int32
}

func (s *endFailingStore) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if strings.HasPrefix(it.Key.Partition, partExecPrefix) && cond == (store.Condition{}) && s.failures.Add(-1) >= 0 {
		return store.Item{}, errors.New("store unavailable")
	}
	return s.Store.Put(ctx, it, cond)
}

// TestExecutionEndRecordedAfterStoreFailure: an execution whose end could
// not be stored at first is stored once the store recovers, so a restart
// finds it SUCCEEDED rather than failing it over as interrupted.
func TestExecutionEndRecordedAfterStoreFailure(t *testing.T) {
	st := &endFailingStore{Store: memory.New(memory.Config{})}
	st.failures.Store(3)
	h := newHarness(t, st, nil)
	arn := h.start(t, h.create(t, "orders", passDef, ""), "e1", `{"n":1}`)
	waitDone(t, h.client, arn)
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, err := h.svc.getExecution(context.Background(), arn)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status == "SUCCEEDED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored status %s after the store recovered", rec.Status)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if items, _ := st.Query(context.Background(), partRunning, "", 0); len(items) != 0 {
		t.Fatalf("running index still holds %d items", len(items))
	}
}
