package awstrace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cogniforge/cogniforge/pkg/telemetry/awstrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestInstrumentAWS points a DynamoDB client at a local endpoint and checks
// that the call gets a client span and carries the W3C traceparent.
func TestInstrumentAWS(t *testing.T) {
	var mu sync.Mutex
	var traceparent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparent = r.Header.Get("Traceparent")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	client, spans, tp := instrumentedDynamo(t, srv)

	ctx, parent := tp.Tracer("t").Start(context.Background(), "handler")
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("breakers"),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "payments"}},
	}); err != nil {
		t.Fatal(err)
	}
	parent.End()

	var call sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "DynamoDB.GetItem" {
			call = s
		}
	}
	if call == nil {
		t.Fatalf("no DynamoDB.GetItem span in %d spans", len(spans.Ended()))
	}
	if call.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Fatal("SDK span is not a child of the handler span")
	}
	mu.Lock()
	defer mu.Unlock()
	if traceparent == "" || traceparent[3:35] != parent.SpanContext().TraceID().String() {
		t.Fatalf("traceparent header %q", traceparent)
	}
}

// TestInstrumentAWSFailedCall checks that a call AWS refuses ends its span
// as an error carrying the HTTP status and the request ID.
func TestInstrumentAWSFailedCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "req-42")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no table"}`))
	}))
	client, spans, _ := instrumentedDynamo(t, srv)
	_, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	if err == nil {
		t.Fatal("no error from a 400 answer")
	}
	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != "DynamoDB.DescribeTable" {
		t.Fatalf("want one DynamoDB.DescribeTable span, got %d", len(ended))
	}
	s := ended[0]
	if s.Status().Code != codes.Error || s.SpanKind() != trace.SpanKindClient {
		t.Fatalf("status %v kind %v", s.Status(), s.SpanKind())
	}
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		attrs[kv.Key] = kv.Value
	}
	if attrs["aws.request_id"].AsString() != "req-42" || attrs["http.response.status_code"].AsInt64() != 400 ||
		attrs["cloud.region"].AsString() != "eu-west-1" || attrs["rpc.method"].AsString() != "DynamoDB/DescribeTable" {
		t.Fatalf("attributes %v", s.Attributes())
	}
}

// instrumentedDynamo is a DynamoDB client for srv, instrumented with a
// tracer provider whose spans the recorder keeps; srv closes with the test.
func instrumentedDynamo(t *testing.T, srv *httptest.Server) (*dynamodb.Client, *tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	t.Helper()
	t.Cleanup(srv.Close)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	cfg := aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	awstrace.InstrumentAWS(&cfg, tp)
	return dynamodb.NewFromConfig(cfg), spans, tp
}
