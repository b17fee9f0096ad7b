package telemetry_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"

	"github.com/aws/aws-lambda-go/lambdacontext"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes every
// ExportTraceServiceRequest POSTed to /v1/traces, as a collector would.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
	headers  []http.Header
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP receiver: %s %s (%s)", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
			http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var msg collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			t.Errorf("OTLP receiver: decode: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.requests = append(r.requests, &msg)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// receivedSpan is a span as the receiver decoded it, with its resource.
type receivedSpan struct {
	span     *tracev1.Span
	resource map[string]string
}

func (r *otlpReceiver) spans() map[string]receivedSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]receivedSpan{}
	for _, req := range r.requests {
		for _, rs := range req.GetResourceSpans() {
			res := attrMap(rs.GetResource().GetAttributes())
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out[s.GetName()] = receivedSpan{span: s, resource: res}
				}
			}
		}
	}
	return out
}

func attrMap(kvs []*commonv1.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return m
}

// TestOTLPExportOfAnInvocation runs a function invocation through the Lambda
// adapter with telemetry configured only by OTEL_* variables, and checks
// what an OTLP receiver gets: the invocation span and the event span under
// it, in the trace of the caller's traceparent, with their attributes, the
// resource, the configured headers, and nothing at all when the sampler
// says so.
func TestOTLPExportOfAnInvocation(t *testing.T) {
	const (
		eventType  = "dev.cogniforge.request.completed.v1"
		callerTID  = "0af7651916cd43dd8448eb211c80319c"
		callerSpan = "b7ad6b7169203331"
	)
	payload := []byte(`{"orderId":"o-1","traceparent":"00-` + callerTID + `-` + callerSpan + `-01","correlationId":"saga-3"}`)
	tests := []struct {
		name      string
		sampler   string
		wantSpans bool
	}{
		{"default sampler", "", true},
		{"parent-based rate limited", telemetry.SamplerParentBasedRateLimited, true},
		{"always off", telemetry.SamplerAlwaysOff, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recv := startOTLPReceiver(t)
			t.Setenv("OTEL_TRACES_EXPORTER", "")
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
			t.Setenv("OTEL_TRACES_SAMPLER", tc.sampler)
			t.Setenv("OTEL_TRACES_SAMPLER_ARG", "")
			tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{ServiceName: "orders", ServiceVersion: "1.2.3"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			if tel.Exporter != "otlphttp" {
				t.Fatalf("exporter %q", tel.Exporter)
			}
			fn := faas.Function{
				Name:          "orders",
				TaskEventType: eventType,
				Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
					return nil, nil
				},
			}
			// WithFlusher: the adapter flushes at the end of the invocation,
			// as a Lambda must before it is frozen; no Shutdown needed.
			h := lambda.NewHandler(fn, adapter.WithTracerProvider(tel.TracerProvider()), adapter.WithFlusher(tel))
			lc := &lambdacontext.LambdaContext{AwsRequestID: "req-1", InvokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:orders"}
			if _, err := h.Invoke(lambdacontext.NewContext(context.Background(), lc), payload); err != nil {
				t.Fatal(err)
			}
			got := recv.spans()
			if !tc.wantSpans {
				if len(got) != 0 {
					t.Fatalf("sampler %s exported %d spans", tc.sampler, len(got))
				}
				return
			}
			process, ok := got["process "+eventType]
			if !ok {
				t.Fatalf("no event span among %d received: %v", len(got), names(got))
			}
			var invocation receivedSpan
			for name, s := range got {
				if name != "process "+eventType {
					invocation = s
				}
			}
			if len(got) != 2 || invocation.span == nil {
				t.Fatalf("received %v, want the invocation span and the event span", names(got))
			}
			hexID := func(b []byte) string { return hex.EncodeToString(b) }
			if hexID(invocation.span.GetTraceId()) != callerTID || hexID(invocation.span.GetParentSpanId()) != callerSpan {
				t.Fatalf("invocation span in trace %x under %x, want the caller's %s/%s",
					invocation.span.GetTraceId(), invocation.span.GetParentSpanId(), callerTID, callerSpan)
			}
			if hexID(process.span.GetTraceId()) != callerTID || hexID(process.span.GetParentSpanId()) != hexID(invocation.span.GetSpanId()) {
				t.Fatalf("event span parent %x, want the invocation span %x", process.span.GetParentSpanId(), invocation.span.GetSpanId())
			}
			if process.span.GetKind() != tracev1.Span_SPAN_KIND_CONSUMER {
				t.Errorf("event span kind %v", process.span.GetKind())
			}
			attrs := attrMap(process.span.GetAttributes())
			for k, want := range map[string]string{
				string(middleware.AttrEventType): eventType, string(middleware.AttrCorrelationID): "saga-3", string(middleware.AttrEventSource): attrs[string(middleware.AttrEventSource)],
			} {
				if attrs[k] != want || want == "" {
					t.Errorf("event span %s=%q, want %q (all: %v)", k, attrs[k], want, attrs)
				}
			}
			for k, want := range map[string]string{"service.name": "orders", "service.version": "1.2.3", "deployment.environment": "test"} {
				if process.resource[k] != want {
					t.Errorf("resource %s=%q, want %q", k, process.resource[k], want)
				}
			}
			recv.mu.Lock()
			defer recv.mu.Unlock()
			if recv.headers[0].Get("X-Tenant") != "acme" {
				t.Errorf("OTEL_EXPORTER_OTLP_HEADERS not sent: %v", recv.headers[0])
			}
		})
	}
}

func names(m map[string]receivedSpan) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	return out
}
