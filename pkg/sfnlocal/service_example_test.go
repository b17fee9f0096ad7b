package sfnlocal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// ExampleService serves the Step Functions API and calls it the way the
// aws CLI does: a POST with the operation in X-Amz-Target.
func ExampleService() {
	svc, err := sfnlocal.NewService(sfnlocal.ServiceConfig{
		Store:  memory.New(memory.Config{}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()

	call := func(op string, in any) map[string]any {
		body, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, strings.NewReader(string(body)))
		req.Header.Set("X-Amz-Target", sfnlocal.TargetPrefix+op)
		req.Header.Set("Content-Type", sfnlocal.ContentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	created := call("CreateStateMachine", map[string]any{
		"name": "greeter", "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/greeter",
		"definition": `{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hello, {}', $.name)"},"End":true}}}`,
	})
	fmt.Println(created["stateMachineArn"])
	run := call("StartSyncExecution", map[string]any{"stateMachineArn": created["stateMachineArn"], "input": `{"name":"Ada"}`})
	fmt.Println(run["status"], run["output"])
	missing := call("DescribeStateMachine", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:nope"})
	fmt.Println(missing["__type"])
	// Output:
	// arn:aws:states:us-east-1:123456789012:stateMachine:greeter
	// SUCCEEDED {"greeting":"hello, Ada"}
	// com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist
}
