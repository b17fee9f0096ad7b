package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/wiring"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

func TestDetectPlatform(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want wiring.Platform
	}{
		{map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, wiring.PlatformLambda},
		{map[string]string{"FUNCTION_TARGET": "recorder"}, wiring.PlatformGoogle},
		{map[string]string{"K_SERVICE": "svc", "FUNCTION_SIGNATURE_TYPE": "http"}, wiring.PlatformGoogle},
		{map[string]string{"K_SERVICE": "svc"}, wiring.PlatformHTTP},
		{nil, wiring.PlatformHTTP},
	}
	for _, tc := range tests {
		if got := wiring.DetectPlatform(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %s want %s", tc.env, got, tc.want)
		}
	}
}

// freePort returns a port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// waitUp polls url until it answers or the deadline passes.
func waitUp(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a server we do not control: no event to wait on
	}
	t.Fatalf("%s did not come up", url)
}

func postEvent(t testing.TB, client *http.Client, url, id string) *http.Response {
	t.Helper()
	req, err := cehttp.NewHTTPRequestFromEvent(context.Background(), url, faastest.CompletedEvent(id, faastest.RequestCompleted{Service: "s", Operation: "op"}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestStartPlainHTTPShutsDownGracefully(t *testing.T) {
	port := freePort(t)
	t.Setenv("PORT", port)
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	t.Setenv("FUNCTION_TARGET", "")
	t.Setenv("K_SERVICE", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wiring.Start(ctx, faastest.Function(), faastest.Options()...) }()
	url := "http://127.0.0.1:" + port + "/"
	waitUp(t, url)
	resp := postEvent(t, http.DefaultClient, url, "p1")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Ce-Type") != faastest.RecordedType {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Start did not return after ctx ended")
	}
}

var (
	gcfOnce sync.Once
	gcfURL  string
)

// gcfServer starts the function once through Start in Functions Framework
// mode (the framework's registry is process-global) and returns its URL.
func gcfServer(t testing.TB) string {
	t.Helper()
	gcfOnce.Do(func() {
		port := freePort(t)
		t.Setenv("PORT", port)
		t.Setenv("FUNCTION_TARGET", "recorder")
		t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
		go func() { _ = wiring.Start(context.Background(), faastest.Function(), faastest.Options()...) }()
		gcfURL = "http://127.0.0.1:" + port + "/"
		waitUp(t, gcfURL)
	})
	return gcfURL
}

func TestStartFunctionsFramework(t *testing.T) {
	url := gcfServer(t)
	resp := postEvent(t, http.DefaultClient, url, "g1")
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Ce-Type") != faastest.RecordedType {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	// Errors keep their problem shape through the framework.
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"not":"an event"}`))
	req.Header.Set("Content-Type", "application/json")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	if p := faastest.ProblemOf(t, r2.Body); r2.StatusCode != 400 || p.Field != "specversion" {
		t.Fatalf("status %d problem %+v", r2.StatusCode, p)
	}
}

// fakeRuntime is enough of the Lambda Runtime API for aws-lambda-go's loop:
// it hands out queued payloads and collects the results.
type fakeRuntime struct {
	next    chan invocation
	results chan runtimeResult
	seq     atomic.Int64
}

type invocation struct {
	payload []byte
}

type runtimeResult struct {
	id      string
	kind    string // "response" or "error"
	body    []byte
	errType string
}

func newFakeRuntime(t testing.TB) (*fakeRuntime, string) {
	rt := &fakeRuntime{next: make(chan invocation), results: make(chan runtimeResult, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		inv := <-rt.next // blocks between tests: the loop waits like on Lambda
		id := "req-" + strconv.FormatInt(rt.seq.Add(1), 10)
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:recorder")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
		_, _ = w.Write(inv.payload)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		res := runtimeResult{id: r.PathValue("id"), kind: r.PathValue("kind"), body: b}
		if res.kind == "error" {
			var e struct {
				ErrorType string `json:"errorType"`
			}
			_ = json.Unmarshal(b, &e)
			res.errType = e.ErrorType
		}
		rt.results <- res
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Never closed: aws-lambda-go exits the process when its loop fails.
	go func() { _ = http.Serve(ln, mux) }()
	return rt, ln.Addr().String()
}

func (rt *fakeRuntime) invoke(t testing.TB, payload []byte) runtimeResult {
	t.Helper()
	select {
	case rt.next <- invocation{payload: payload}:
	case <-time.After(10 * time.Second):
		t.Fatal("the Lambda loop did not ask for the next invocation")
	}
	select {
	case res := <-rt.results:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no result from the Lambda loop")
	}
	return runtimeResult{}
}

type countingFlusher struct{ n atomic.Int64 }

func (f *countingFlusher) ForceFlush(context.Context) error { f.n.Add(1); return nil }

func TestStartLambda(t *testing.T) {
	rt, addr := newFakeRuntime(t)
	t.Setenv("AWS_LAMBDA_RUNTIME_API", addr)
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "recorder")
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	flusher := &countingFlusher{}
	go func() {
		_ = wiring.Start(context.Background(), faastest.Function(),
			append(faastest.Options(), adapter.WithTracerProvider(tp), adapter.WithFlusher(flusher))...)
	}()

	tests := []struct {
		name     string
		payload  []byte
		kind     string
		errType  string
		contains string
	}{
		{"sqs", sqsSample(t, 2, func(i int) string {
			op := "op"
			if i == 1 {
				op = "business"
			}
			return faastest.StructuredJSON(t, faastest.CompletedEvent("l"+strconv.Itoa(i), faastest.RequestCompleted{Service: "s", Operation: op}))
		}, nil), "response", "", `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`},
		{"task ok", []byte(`{"service":"s","operation":"op"}`), "response", "", `{"ok":true,"service":"s"}`},
		{"business error", []byte(`{"service":"s","operation":"business"}`), "error", "Saga.BusinessError", `order s refused`},
		{"panic", []byte(`{"service":"s","operation":"panic"}`), "error", faas.ErrPanic, `boom`},
		{"malformed", []byte(`{"service":`), "error", faas.ErrInvalidEvent, `malformed JSON`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := flusher.n.Load()
			res := rt.invoke(t, tc.payload)
			if res.kind != tc.kind || res.errType != tc.errType || !bytes.Contains(res.body, []byte(tc.contains)) {
				t.Fatalf("got %s errorType %q body %s", res.kind, res.errType, res.body)
			}
			if flusher.n.Load() != before+1 {
				t.Fatalf("flushed %d times in one invocation, want 1", flusher.n.Load()-before)
			}
		})
	}
	// One invocation span per invocation, event spans under it.
	var inv, events int
	for _, s := range spans.Ended() {
		switch {
		case s.Name() == "recorder":
			inv++
		case strings.HasPrefix(s.Name(), "process "):
			events++
			if !s.Parent().IsValid() {
				t.Errorf("event span %s has no parent", s.Name())
			}
		}
	}
	if inv != len(tests) || events < 4 {
		t.Fatalf("%d invocation spans, %d event spans", inv, events)
	}
}

func TestLambdaErrorKeepsName(t *testing.T) {
	err := lambda.Error(faas.Errorf("Saga.BusinessError", "no stock"))
	var e interface{ Error() string }
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "Saga.BusinessError") {
		t.Fatalf("%v", err)
	}
}
