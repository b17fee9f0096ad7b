package otelsetup_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSetupReadsOTLPVariablesThroughGetenv: the exporter's variables come
// from Config.Getenv, like the sampler's, not from the process environment.
func TestSetupReadsOTLPVariablesThroughGetenv(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	var mu sync.Mutex
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{
		ServiceName: "svc",
		Syncer:      true,
		Getenv: envOf(map[string]string{
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/custom/path",
			"OTEL_EXPORTER_OTLP_HEADERS":         "authorization=Bearer%20t0ken",
			"OTEL_EXPORTER_OTLP_PROTOCOL":        "http/json",
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if tel.Exporter != "otlphttp" {
		t.Fatalf("exporter %q", tel.Exporter)
	}
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "s")
	span.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.URL.Path != "/custom/path" || r.Header.Get("Authorization") != "Bearer t0ken" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s %v", r.URL.Path, r.Header)
	}
}

func TestSetupRefusesBadOTLPVariables(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		unsupported bool
		naming      string
	}{
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"traces grpc", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, true, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{"zstd", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, true, "OTEL_EXPORTER_OTLP_COMPRESSION"},
		{"timeout", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, false, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"headers", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "=x"}, false, "OTEL_EXPORTER_OTLP_HEADERS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1"
			_, err := otelsetup.Setup(context.Background(), otelsetup.Config{ServiceName: "svc", Getenv: envOf(tc.env)})
			if err == nil || !strings.Contains(err.Error(), tc.naming) {
				t.Fatalf("err %v, want one naming %s", err, tc.naming)
			}
			if errors.Is(err, otelsetup.ErrUnsupportedExporter) != tc.unsupported {
				t.Fatalf("err %v: ErrUnsupportedExporter %v, want %v", err, !tc.unsupported, tc.unsupported)
			}
		})
	}
}
