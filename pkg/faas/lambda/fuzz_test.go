package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// fuzzFunction never fails on its own, so any panic or unnamed error comes
// from payload detection and decoding.
func fuzzFunction() faas.Function {
	return faas.Function{
		Name:          "fuzz",
		TaskEventType: faastest.TaskType,
		Routes:        []faas.Route{{Method: "POST", Path: "/r", EventType: faastest.TaskType}},
		Handler: func(_ context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			reply := ev.Clone()
			reply.SetID("r-" + ev.ID())
			return &reply, nil
		},
	}
}

func FuzzInvoke(f *testing.F) {
	for _, name := range []string{
		"sqs-event.json", "lambda-urls-request.json", "apigw-v2-request-no-authorizer.json",
		"apigw-v2-request-iam.json", "apigw-v2-request-jwt-authorizer.json", "apigw-v2-request-lambda-authorizer.json",
		"secretsmanager-secret-rotation-event.json", "ecr-image-push-event.json", "codepipeline-execution-state-change-event.json",
		"sns-event.json", "kinesis-event.json",
	} {
		f.Add(faastest.LambdaTestdata(f, name))
	}
	ev := faastest.CompletedEvent("f1", faastest.RequestCompleted{Service: "s", Operation: "op"})
	ce := faastest.StructuredJSON(f, ev)
	f.Add([]byte(ce))
	f.Add(sqsSample(f, 2, func(int) string { return ce }, nil))
	f.Add([]byte(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2015-10-08T16:53:06Z","resources":["r"],"detail":{}}`))
	f.Add([]byte(`{"detail-type":"x","source":"s","detail":` + ce + `}`))
	f.Add([]byte(`{"scheduleArn":"a","scheduledTime":"2026-03-01T10:00:00Z","attemptNumber":3}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"m","body":"x","messageAttributes":{"ce_specversion":{"stringValue":"1.0"},"ce_time":{"stringValue":"bad"}}}]}`))
	f.Add([]byte(`{"requestContext":{"http":{"method":"POST"}},"rawPath":"%zz","body":"","isBase64Encoded":true}`))
	f.Add([]byte(`{"a":1,"traceparent":"00-x"}`))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`"text"`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))
	inv := lambda.NewInvoker(fuzzFunction(), adapter.WithLogger(faastest.QuietLogger()))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := inv.Invoke(context.Background(), payload)
		if err != nil {
			var fe *faas.Error
			if !errors.As(err, &fe) || fe.Name == "" {
				t.Fatalf("unnamed error %T %v", err, err)
			}
			if fe.Name == faas.ErrPanic {
				t.Fatalf("decoding panicked: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %q", out)
		}
	})
}

func FuzzHTTPHandler(f *testing.F) {
	ce := faastest.StructuredJSON(f, faastest.CompletedEvent("h1", faastest.RequestCompleted{Service: "s"}))
	f.Add(cehttp.ContentTypeStructured, "", []byte(ce))
	f.Add(cehttp.ContentTypeBatch, "", []byte("["+ce+","+ce+"]"))
	f.Add("application/json", "1.0", []byte(`{"a":1}`))
	f.Add("application/json", "", []byte(`{"a":1}`))
	f.Add(cehttp.ContentTypeStructured, "", []byte(`{"specversion":"1.0","data_base64":"!!"}`))
	f.Add(cehttp.ContentTypeBatch, "", []byte(`[{"specversion":"0.1"}]`))
	h := cehttp.NewHandler(fuzzFunction(), adapter.WithLogger(faastest.QuietLogger()))
	f.Fuzz(func(t *testing.T, contentType, specVersion string, body []byte) {
		for _, path := range []string{"/", "/r"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", contentType)
			if specVersion != "" {
				req.Header.Set("Ce-Specversion", specVersion)
				req.Header.Set("Ce-Id", "1")
				req.Header.Set("Ce-Source", "/s")
				req.Header.Set("Ce-Type", faastest.TaskType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				var p faas.Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.ErrorType == "" || p.Status != rec.Code {
					t.Fatalf("%s: bad problem %s (%v)", path, rec.Body, err)
				}
			}
		}
	})
}

// TestFuzzSeedsFromTestdata makes sure every aws-lambda-go sample decodes
// without a panic, not only the ones listed as seeds.
func TestEveryLambdaSampleIsHandledSafely(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(faastest.LambdaEventsDir(t), "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("%d samples, %v", len(files), err)
	}
	inv := lambda.NewInvoker(fuzzFunction(), adapter.WithLogger(faastest.QuietLogger()))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out, err := inv.Invoke(context.Background(), b)
		if faas.ErrorName(err) == faas.ErrPanic || err == nil && !json.Valid(out) {
			t.Errorf("%s: %v %q", filepath.Base(file), err, out)
		}
	}
}
