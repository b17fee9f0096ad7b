package sfnproxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
	"github.com/cogniforge/cogniforge/test/sfnproxy"
	"github.com/cogniforge/cogniforge/test/testenv"
)

const helloASL = `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"Next":"B"},"B":{"Type":"Succeed"}}}`

// brokenASL names a state that does not exist.
const brokenASL = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`

// TestAgainstMoto drives the proxy with the real SDK client, as the Terraform
// provider does: the two intercepted operations decode into the SDK's types,
// and everything else reaches moto unchanged.
func TestAgainstMoto(t *testing.T) {
	proxy := sfnproxy.Start(t, testenv.StartMoto(t))
	cfg := testenv.AWSConfig(t, proxy)
	client := sfn.NewFromConfig(cfg)
	ctx := context.Background()

	t.Run("validate ok", func(t *testing.T) {
		out, err := client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
			Definition: aws.String(helloASL),
		})
		if err != nil {
			t.Fatalf("ValidateStateMachineDefinition: %v", err)
		}
		if out.Result != sfntypes.ValidateStateMachineDefinitionResultCodeOk || len(out.Diagnostics) != 0 {
			t.Fatalf("result %q, diagnostics %+v; want OK and none", out.Result, out.Diagnostics)
		}
	})

	t.Run("validate fail names the field", func(t *testing.T) {
		out, err := client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
			Definition: aws.String(brokenASL),
			Type:       sfntypes.StateMachineTypeStandard,
		})
		if err != nil {
			t.Fatalf("ValidateStateMachineDefinition: %v", err)
		}
		if out.Result != sfntypes.ValidateStateMachineDefinitionResultCodeFail || len(out.Diagnostics) == 0 {
			t.Fatalf("result %q, diagnostics %+v; want FAIL with diagnostics", out.Result, out.Diagnostics)
		}
		d := out.Diagnostics[0]
		if d.Severity != sfntypes.ValidateStateMachineDefinitionSeverityError ||
			aws.ToString(d.Code) != sfnproxy.CodeSchemaValidation ||
			!strings.Contains(aws.ToString(d.Location), "States.A") ||
			!strings.Contains(aws.ToString(d.Message), "Nowhere") {
			t.Fatalf("diagnostic %+v: want ERROR %s at States.A naming Nowhere", d, sfnproxy.CodeSchemaValidation)
		}
	})

	t.Run("list versions is empty", func(t *testing.T) {
		out, err := client.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{
			StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:any"),
		})
		if err != nil {
			t.Fatalf("ListStateMachineVersions: %v", err)
		}
		if out.StateMachineVersions == nil || len(out.StateMachineVersions) != 0 {
			t.Fatalf("versions %+v, want an empty list", out.StateMachineVersions)
		}
	})

	t.Run("forwards step functions", func(t *testing.T) {
		created, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String("through-proxy"),
			Definition: aws.String(helloASL),
			RoleArn:    aws.String("arn:aws:iam::123456789012:role/sfn"),
		})
		if err != nil {
			t.Fatalf("CreateStateMachine through the proxy: %v", err)
		}
		got, err := client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
		if err != nil {
			t.Fatalf("DescribeStateMachine: %v", err)
		}
		if aws.ToString(got.Definition) != helloASL {
			t.Fatalf("definition %q came back, want %q", aws.ToString(got.Definition), helloASL)
		}
		// moto's own error for an unknown machine comes back as it is.
		_, err = client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{
			StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:missing"),
		})
		var notFound *sfntypes.StateMachineDoesNotExist
		if !errors.As(err, &notFound) {
			t.Fatalf("DescribeStateMachine(missing) = %v, want StateMachineDoesNotExist from moto", err)
		}
	})

	t.Run("forwards other services", func(t *testing.T) {
		q := sqs.NewFromConfig(cfg)
		created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("through-proxy")})
		if err != nil {
			t.Fatalf("CreateQueue through the proxy: %v", err)
		}
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl})
		if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello" {
			t.Fatalf("ReceiveMessage = %+v, %v; want the message sent", got, err)
		}
	})

	t.Run("bad request is a ValidationException", func(t *testing.T) {
		_, err := client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{})
		// The SDK refuses a missing definition itself; send a raw bad body instead.
		if err == nil {
			t.Fatal("SDK accepted a request without a definition")
		}
		req, _ := http.NewRequest(http.MethodPost, proxy, strings.NewReader("{not json"))
		req.Header.Set("X-Amz-Target", sfnproxy.TargetValidate)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusBadRequest || body["__type"] != "ValidationException" {
			t.Fatalf("status %d body %v, want 400 ValidationException", resp.StatusCode, body)
		}
	})
}

// TestStub shows an extra stubbed operation is answered, not forwarded.
func TestStub(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request %s reached the upstream", r.Header.Get("X-Amz-Target"))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	h := sfnproxy.New(u, sfnproxy.WithStub("AWSStepFunctions.ListStateMachineAliases", `{"stateMachineAliases":[]}`))
	for _, target := range []string{"AWSStepFunctions.ListStateMachineAliases", sfnproxy.TargetListVersions} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) ||
			rec.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
			t.Errorf("%s: status %d body %q", target, rec.Code, rec.Body)
		}
	}
}

func TestValidate(t *testing.T) {
	three := func([]byte) []validate.Diagnostic {
		return []validate.Diagnostic{{Path: "States.A", Message: "a"}, {Path: "States.B", Message: "b"}, {Path: "States.C", Message: "c"}}
	}
	tests := []struct {
		name      string
		req       sfnproxy.ValidateRequest
		v         sfnproxy.Validator
		result    string
		codes     []string
		truncated bool
	}{
		{name: "valid", req: sfnproxy.ValidateRequest{Definition: helloASL}, v: validate.Definition, result: "OK"},
		{name: "dangling next", req: sfnproxy.ValidateRequest{Definition: brokenASL}, v: validate.Definition, result: "FAIL", codes: []string{sfnproxy.CodeSchemaValidation}},
		{name: "not json", req: sfnproxy.ValidateRequest{Definition: `{"StartAt":`}, v: validate.Definition, result: "FAIL", codes: []string{sfnproxy.CodeInvalidJSON}},
		{name: "empty", req: sfnproxy.ValidateRequest{Definition: "  "}, v: validate.Definition, result: "FAIL", codes: []string{sfnproxy.CodeMissing}},
		{name: "truncated", req: sfnproxy.ValidateRequest{Definition: "x", MaxResults: 2}, v: three, result: "FAIL",
			codes: []string{sfnproxy.CodeSchemaValidation, sfnproxy.CodeSchemaValidation}, truncated: true},
		{name: "under max", req: sfnproxy.ValidateRequest{Definition: "x", MaxResults: 5}, v: three, result: "FAIL",
			codes: []string{sfnproxy.CodeSchemaValidation, sfnproxy.CodeSchemaValidation, sfnproxy.CodeSchemaValidation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfnproxy.Validate(tt.req, tt.v)
			var codes []string
			for _, d := range got.Diagnostics {
				if d.Severity != "ERROR" || d.Message == "" {
					t.Errorf("diagnostic %+v: want severity ERROR and a message", d)
				}
				codes = append(codes, d.Code)
			}
			if got.Result != tt.result || strings.Join(codes, ",") != strings.Join(tt.codes, ",") || got.Truncated != tt.truncated {
				t.Fatalf("got %s %v truncated=%v, want %s %v truncated=%v (%+v)", got.Result, codes, got.Truncated, tt.result, tt.codes, tt.truncated, got.Diagnostics)
			}
			// AWS always sends the list, empty or not.
			raw, _ := json.Marshal(got)
			if !bytes.Contains(raw, []byte(`"diagnostics":[`)) {
				t.Fatalf("encoded %s lacks a diagnostics list", raw)
			}
		})
	}
}

// FuzzServeValidate feeds arbitrary request bodies: the proxy answers every
// one with a JSON body, 200 for a decodable request and 400 otherwise, and
// never panics.
func FuzzServeValidate(f *testing.F) {
	for _, seed := range []string{
		`{"definition":` + quote(helloASL) + `}`,
		`{"definition":` + quote(brokenASL) + `,"type":"EXPRESS","maxResults":1}`,
		`{"definition":"{\"StartAt\":"}`,
		`{"definition":""}`,
		`{not json`,
		`[]`,
		`{"definition":42}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	h := sfnproxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", sfnproxy.TargetValidate)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("reply %q is not JSON", rec.Body)
		}
		if rec.Code == http.StatusOK {
			var resp sfnproxy.ValidateResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || (resp.Result != "OK" && resp.Result != "FAIL") {
				t.Fatalf("reply %q: %v", rec.Body, err)
			}
			if (resp.Result == "OK") != (len(resp.Diagnostics) == 0) {
				t.Fatalf("result %s with %d diagnostics", resp.Result, len(resp.Diagnostics))
			}
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
