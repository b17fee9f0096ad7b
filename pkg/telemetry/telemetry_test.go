package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func TestSetupChoosesExporter(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr error
	}{
		{"unset", nil, "none", nil},
		{"none", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, "none", nil},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, "otlphttp", nil},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1/v1/traces"}, "otlphttp", nil},
		{"otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, "otlphttp", nil},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "", otelsetup.ErrUnsupportedExporter},
		{"zipkin", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "", otelsetup.ErrUnsupportedExporter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
				t.Setenv(k, tc.env[k])
			}
			tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{ServiceName: "svc"})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			if tel.Exporter != tc.want {
				t.Fatalf("exporter %q want %q", tel.Exporter, tc.want)
			}
		})
	}
	if _, err := otelsetup.Setup(context.Background(), otelsetup.Config{}); err == nil {
		t.Fatal("empty ServiceName accepted")
	}
}

func TestSetupExportsOTLPAndMasks(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{ServiceName: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "charge-card")
	span.SetAttributes(attribute.String("db.password", "hunter2"), attribute.String("customer", "jane@example.com"), attribute.String("order", "o-1"))
	span.End()
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := bytes.Join(bodies, nil)
	mu.Unlock()
	if !bytes.Contains(all, []byte("charge-card")) || !bytes.Contains(all, []byte("o-1")) {
		t.Fatalf("span not exported (%d requests)", len(bodies))
	}
	if bytes.Contains(all, []byte("hunter2")) || bytes.Contains(all, []byte("jane@example.com")) || !bytes.Contains(all, []byte(telemetry.Masked)) {
		t.Fatal("secret reached the exporter")
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSensitive(t *testing.T) {
	keys := map[string]bool{
		"password": true, "db_password": true, "apiKey": true, "X-Api-Key": true, "Authorization": true,
		"SecretString": true, "client_secret": true, "accessToken": true, "sessionId": true, "ssn": true,
		"cardNumber": true, "email": true, "secretId": false, "SecretArn": false, "tokenType": false,
		"service": false, "operation": false, "durationMs": false, "trace_id": false,
	}
	for k, want := range keys {
		if got := telemetry.SensitiveKey(k); got != want {
			t.Errorf("SensitiveKey(%q) = %v", k, got)
		}
	}
	values := map[string]bool{
		"jane.doe+x@example.co.uk": true, "mail me at a@b.io please": true, "4111 1111 1111 1111": true,
		"4111-1111-1111-1111": true, "card 4111111111111111.": true, "123-45-6789": true,
		"4111111111111112": false, "1ab23456-cde7-8912-34fg-h56i78j9k12l": false,
		"12345678-1234-1234-1234-123456789012": false, "user@localhost": false, "2026-01-02T03:04:05Z": false,
		"arn:aws:secretsmanager:us-east-1:111122223333:secret:id-ABCD1E": false, "": false,
	}
	for v, want := range values {
		if got := telemetry.SensitiveValue(v); got != want {
			t.Errorf("SensitiveValue(%q) = %v", v, got)
		}
	}
}

func TestLoggerStampsAndMasks(t *testing.T) {
	var buf bytes.Buffer
	logger := telemetry.NewLogger(&buf, "payments", nil)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "s")
	defer span.End()
	ctx = telemetry.WithIDs(ctx, "ev-1", "corr-1")
	ctx = telemetry.WithEventID(ctx, "ev-2")
	logger.InfoContext(ctx, "charged",
		slog.String("password", "hunter2"),
		slog.String("note", "receipt to jane@example.com"),
		slog.Any("request", map[string]any{"Authorization": "Bearer x", "amount": 3, "nested": map[string]any{"card": "4111111111111111"}}),
		slog.Group("user", slog.String("apiKey", "k"), slog.String("name", "Jane")),
	)
	logger.DebugContext(ctx, "hidden")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	sc := span.SpanContext()
	if rec["function"] != "payments" || rec["event_id"] != "ev-2" || rec["correlation_id"] != "corr-1" ||
		rec["trace_id"] != sc.TraceID().String() || rec["span_id"] != sc.SpanID().String() {
		t.Fatalf("ids missing: %v", rec)
	}
	out := buf.String()
	for _, leak := range []string{"hunter2", "jane@example.com", "Bearer x", "4111111111111111", `"k"`} {
		if strings.Contains(out, leak) {
			t.Errorf("%q leaked: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"name":"Jane"`) || !strings.Contains(out, `"amount":3`) {
		t.Fatalf("harmless values masked: %s", out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("debug record written at Info level: %s", out)
	}
}

func TestPropagation(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	ctx, span := tp.Tracer("t").Start(context.Background(), "producer")
	defer span.End()
	sc := span.SpanContext()

	t.Run("cloudevent", func(t *testing.T) {
		ev := cloudevents.NewEvent()
		telemetry.InjectEvent(ctx, &ev)
		got := trace.SpanContextFromContext(telemetry.ExtractEvent(context.Background(), ev))
		if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsRemote() {
			t.Fatalf("%v", got)
		}
		empty := cloudevents.NewEvent()
		telemetry.InjectEvent(context.Background(), &empty)
		if len(empty.Extensions()) != 0 {
			t.Fatal("injected without a span")
		}
	})
	t.Run("sqs attribute", func(t *testing.T) {
		attrs := map[string]string{}
		telemetry.InjectSQS(ctx, attrs)
		got := trace.SpanContextFromContext(telemetry.ExtractSQS(context.Background(), attrs, nil))
		if got.TraceID() != sc.TraceID() {
			t.Fatalf("%v", attrs)
		}
	})
	t.Run("sqs AWSTraceHeader", func(t *testing.T) {
		sys := map[string]string{"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}
		got := trace.SpanContextFromContext(telemetry.ExtractSQS(context.Background(), nil, sys))
		if got.TraceID().String() != "5759e988bd862e3fe1be46a994272793" || got.SpanID().String() != "53995c3f42cd8ad8" || !got.IsSampled() {
			t.Fatalf("%v", got)
		}
		for _, bad := range []string{"", "Root=1-5759e988-bd862e3fe1be46a994272793", "Root=2-x-y;Parent=53995c3f42cd8ad8", "Root=1-5759e988-zz862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"} {
			if tp := telemetry.XRayToTraceparent(bad); tp != "" {
				t.Errorf("%q -> %q", bad, tp)
			}
		}
	})
	t.Run("step functions payload", func(t *testing.T) {
		out, err := telemetry.InjectPayload(ctx, []byte(`{"orderId":"o-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte(`"orderId":"o-1"`)) {
			t.Fatalf("%s", out)
		}
		got := trace.SpanContextFromContext(telemetry.ExtractPayload(context.Background(), out))
		if got.TraceID() != sc.TraceID() {
			t.Fatalf("%s", out)
		}
		if same, _ := telemetry.InjectPayload(ctx, []byte(`[1,2]`)); string(same) != `[1,2]` {
			t.Fatalf("array changed: %s", same)
		}
		if got := telemetry.ExtractPayload(context.Background(), []byte(`{"traceparent":5`)); trace.SpanContextFromContext(got).IsValid() {
			t.Fatal("malformed payload gave a parent")
		}
	})
}

func TestMaskingProcessorLeavesCleanSpansAlone(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(telemetry.MaskingProcessor(rec)))
	_, s := tp.Tracer("t").Start(context.Background(), "clean", trace.WithAttributes(attribute.String("service", "checkout")))
	s.End()
	_, s2 := tp.Tracer("t").Start(context.Background(), "dirty", trace.WithAttributes(attribute.String("token", "abc"), attribute.StringSlice("to", []string{"x@example.org"})))
	s2.End()
	_, s3 := tp.Tracer("t").Start(context.Background(), "failed")
	s3.RecordError(errors.New("no account for jane@example.com"))
	s3.SetStatus(codes.Error, "no account for jane@example.com")
	s3.End()
	ended := rec.Ended()
	if ev := ended[2].Events(); len(ev) != 1 || strings.Contains(fmt.Sprint(ev[0].Attributes), "jane@") || ended[2].Status().Description != telemetry.Masked {
		t.Fatalf("error event/status not masked: %v %v", ev, ended[2].Status())
	}
	if ended[0].Attributes()[0].Value.AsString() != "checkout" {
		t.Fatal("clean span changed")
	}
	for _, kv := range ended[1].Attributes() {
		if kv.Value.AsString() != telemetry.Masked {
			t.Fatalf("%v not masked", kv)
		}
	}
}
