package otlphttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otlphttp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    otlphttp.Config
		wantErr string
	}{
		{"nothing", nil, otlphttp.Config{}, ""},
		{"base endpoint gets the traces path", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, otlphttp.Config{Endpoint: "http://collector:4318/v1/traces"}, ""},
		{"base endpoint with a path and a slash", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://gw.example.com/otlp/"}, otlphttp.Config{Endpoint: "https://gw.example.com/otlp/v1/traces"}, ""},
		{"traces endpoint used as is", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:9999/custom"}, otlphttp.Config{Endpoint: "http://b:9999/custom"}, ""},
		{"headers percent-decoded", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b%3Dc, x-tenant = acme ,"}, otlphttp.Config{Headers: map[string]string{"api-key": "a b=c", "x-tenant": "acme"}}, ""},
		{"traces headers win", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2"}, otlphttp.Config{Headers: map[string]string{"b": "2"}}, ""},
		{"timeout ms", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"}, otlphttp.Config{Timeout: 2500 * time.Millisecond}, ""},
		{"traces timeout wins", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "100"}, otlphttp.Config{Timeout: 100 * time.Millisecond}, ""},
		{"gzip", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}, otlphttp.Config{Gzip: true}, ""},
		{"json", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, otlphttp.Config{Protocol: otlphttp.ProtocolJSON}, ""},
		{"grpc refused", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, otlphttp.Config{}, `OTEL_EXPORTER_OTLP_PROTOCOL="grpc"`},
		{"zstd refused", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, otlphttp.Config{}, `OTEL_EXPORTER_OTLP_COMPRESSION="zstd"`},
		{"bad timeout", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "10s"}, otlphttp.Config{}, `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="10s"`},
		{"bad header", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, otlphttp.Config{}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"bad header escape", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "k=%zz"}, otlphttp.Config{}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"header value with a newline", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "k=a%0Ab"}, otlphttp.Config{}, "control character"},
		{"huge timeout", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "9223372036854775"}, otlphttp.Config{}, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"endpoint without scheme", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"}, otlphttp.Config{}, "not an http(s)://host URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := otlphttp.ConfigFromEnv(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Endpoint != tc.want.Endpoint || got.Timeout != tc.want.Timeout || got.Gzip != tc.want.Gzip || got.Protocol != tc.want.Protocol || len(got.Headers) != len(tc.want.Headers) {
				t.Fatalf("got %+v want %+v", got, tc.want)
			}
			for k, v := range tc.want.Headers {
				if got.Headers[k] != v {
					t.Fatalf("header %s=%q want %q", k, got.Headers[k], v)
				}
			}
		})
	}
	if _, err := otlphttp.ConfigFromEnv(env(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})); !errors.Is(err, otlphttp.ErrUnsupported) {
		t.Fatalf("grpc: %v, want ErrUnsupported", err)
	}
}

// collector answers each request with the next status of its script
// (200 once the script is used up) and keeps what it received.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	script   []scripted
	requests []*http.Request
	bodies   [][]byte
}

type scripted struct {
	status     int
	retryAfter string
}

func newCollector(t *testing.T, script ...scripted) *collector {
	t.Helper()
	c := &collector{script: script}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.requests = append(c.requests, r)
		c.bodies = append(c.bodies, body)
		next := scripted{status: http.StatusOK}
		if len(c.script) > 0 {
			next, c.script = c.script[0], c.script[1:]
		}
		c.mu.Unlock()
		if next.retryAfter != "" {
			w.Header().Set("Retry-After", next.retryAfter)
		}
		w.WriteHeader(next.status)
		_, _ = w.Write([]byte("scripted answer"))
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.requests)
}

func oneSpan() []sdktrace.ReadOnlySpan {
	return []sdktrace.ReadOnlySpan{fullSpan().Snapshot()}
}

func TestExportRetries(t *testing.T) {
	tests := []struct {
		name         string
		script       []scripted
		timeout      time.Duration
		wantErr      string
		wantRequests int
	}{
		{"ok", nil, 0, "", 1},
		{"503 then ok", []scripted{{status: 503}}, 0, "", 2},
		{"429, 502, 504 then ok", []scripted{{status: 429}, {status: 502}, {status: 504}}, 0, "", 4},
		{"Retry-After 0 then ok", []scripted{{status: 503, retryAfter: "0"}}, 0, "", 2},
		{"400 is permanent", []scripted{{status: 400}}, 0, "HTTP 400: scripted answer", 1},
		{"500 is permanent", []scripted{{status: 500}}, 0, "HTTP 500", 1},
		// A Retry-After beyond the timeout ends the export at once, with
		// the server's answer, rather than waiting for nothing.
		{"Retry-After past the timeout", []scripted{{status: 429, retryAfter: "3600"}}, time.Second, "HTTP 429", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t, tc.script...)
			exp, err := otlphttp.New(otlphttp.Config{Endpoint: c.URL + "/v1/traces", Timeout: tc.timeout, InitialBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = exp.ExportSpans(context.Background(), oneSpan())
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if n := c.count(); n != tc.wantRequests {
				t.Fatalf("%d requests, want %d", n, tc.wantRequests)
			}
		})
	}
}

func TestExportRequest(t *testing.T) {
	tests := []struct {
		name        string
		cfg         otlphttp.Config
		contentType string
	}{
		{"protobuf", otlphttp.Config{Headers: map[string]string{"X-Tenant": "acme"}}, "application/x-protobuf"},
		{"protobuf gzip", otlphttp.Config{Gzip: true}, "application/x-protobuf"},
		{"json", otlphttp.Config{Protocol: otlphttp.ProtocolJSON}, "application/json"},
		{"json gzip", otlphttp.Config{Protocol: otlphttp.ProtocolJSON, Gzip: true}, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t)
			tc.cfg.Endpoint = c.URL + "/v1/traces"
			exp, err := otlphttp.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := exp.ExportSpans(context.Background(), oneSpan()); err != nil {
				t.Fatal(err)
			}
			req, body := c.requests[0], c.bodies[0]
			if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("%s %s %s", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
			}
			for k, v := range tc.cfg.Headers {
				if req.Header.Get(k) != v {
					t.Errorf("header %s=%q", k, req.Header.Get(k))
				}
			}
			if tc.cfg.Gzip {
				if req.Header.Get("Content-Encoding") != "gzip" {
					t.Fatal("no Content-Encoding: gzip")
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			var name string
			if tc.cfg.Protocol == otlphttp.ProtocolJSON {
				name = decodeJSON(t, body).GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0].GetName()
			} else {
				name = decodeProto(t, body).GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0].GetName()
			}
			if name != "charge card" {
				t.Fatalf("span %q", name)
			}
		})
	}
}

// TestShutdown: the SpanExporter contract. After Shutdown nothing is sent
// and ExportSpans fails; ForceFlush has nothing to hold; an export with no
// spans sends nothing.
func TestShutdown(t *testing.T) {
	c := newCollector(t)
	exp, err := otlphttp.New(otlphttp.Config{Endpoint: c.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), nil); err != nil || c.count() != 0 {
		t.Fatalf("empty export: %v, %d requests", err, c.count())
	}
	if err := exp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), oneSpan()); !errors.Is(err, otlphttp.ErrShutdown) {
		t.Fatalf("export after shutdown: %v", err)
	}
	if c.count() != 0 {
		t.Fatalf("%d requests after shutdown", c.count())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := exp.ForceFlush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ForceFlush on a cancelled context: %v", err)
	}
}

// TestExportHonoursContext: a cancelled caller stops the retries.
func TestExportHonoursContext(t *testing.T) {
	c := newCollector(t, scripted{status: 503}, scripted{status: 503}, scripted{status: 503})
	exp, err := otlphttp.New(otlphttp.Config{Endpoint: c.URL, InitialBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := exp.ExportSpans(ctx, oneSpan()); err == nil {
		t.Fatal("export on a cancelled context succeeded")
	}
	if c.count() > 1 {
		t.Fatalf("%d requests on a cancelled context", c.count())
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []otlphttp.Config{
		{Endpoint: "ftp://x/v1/traces"},
		{Endpoint: "http://"},
		{Protocol: "grpc"},
		{Timeout: -time.Second},
		{Headers: map[string]string{"bad name": "v"}},
		{Headers: map[string]string{"k": "line\nbreak"}},
	} {
		if _, err := otlphttp.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestSpansViaSDK(t *testing.T) {
	// The exporter behind a real batch processor: the way otelsetup uses it.
	c := newCollector(t)
	exp, err := otlphttp.New(otlphttp.Config{Endpoint: c.URL})
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "via sdk")
	span.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.count() != 1 || decodeProto(t, c.bodies[0]).GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0].GetName() != "via sdk" {
		t.Fatalf("%d requests", c.count())
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Wed, 02 Dec 2026 13:00:30 GMT", 30 * time.Second, true},
		{"Wed, 02 Dec 2026 12:00:00 GMT", 0, true}, // in the past: now
	}
	for _, tc := range tests {
		got, ok := otlphttp.RetryAfter(tc.header, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %s %v, want %s %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

// TestExportUnreachable: a refused connection is retried (the collector may
// be starting) until the timeout, then reported.
func TestExportUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	exp, err := otlphttp.New(otlphttp.Config{Endpoint: url, Timeout: 100 * time.Millisecond, InitialBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), oneSpan()); err == nil || !strings.Contains(err.Error(), url) {
		t.Fatalf("export to a closed port: %v", err)
	}
}

// FuzzConfigFromEnv: whatever the variables say, ConfigFromEnv returns a
// usable configuration or an error, never a panic or a nameless header.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("http://c:4318", "a=b,c=%20d", "1000", "gzip", "http/protobuf")
	f.Add("", "=", "-1", "zstd", "grpc")
	f.Add("c:4318", "k=%zz", "9999999999999999999", "", "http/json")
	f.Fuzz(func(t *testing.T, endpoint, headers, timeout, compression, protocol string) {
		cfg, err := otlphttp.ConfigFromEnv(env(map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_HEADERS": headers,
			"OTEL_EXPORTER_OTLP_TIMEOUT": timeout, "OTEL_EXPORTER_OTLP_COMPRESSION": compression,
			"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
		}))
		if err != nil {
			return
		}
		for k := range cfg.Headers {
			if k == "" {
				t.Fatalf("empty header name from %q", headers)
			}
		}
		if _, err := otlphttp.New(cfg); err != nil {
			t.Fatalf("ConfigFromEnv accepted what New refuses: %v", err)
		}
	})
}
