// Package otlphttp is an OTLP/HTTP trace exporter: an
// sdktrace.SpanExporter that POSTs ExportTraceServiceRequest messages to a
// collector, encoded as protobuf (http/protobuf, the OTLP default) or as
// OTLP JSON (http/json).
//
// It exists instead of go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp
// because that one links gRPC, the protobuf runtime and grpc-gateway (about
// 140 packages, 11 MB of a function binary and a tenth of its cold-start
// CPU) to speak HTTP. The few messages an exporter writes are encoded by
// hand here; the tests decode them with the official generated types.
//
// An Exporter is safe for concurrent use. It holds no buffer: batching is
// the span processor's job, so ForceFlush has nothing to do.
package otlphttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Protocols an Exporter speaks (the values of OTEL_EXPORTER_OTLP_PROTOCOL).
const (
	ProtocolProtobuf = "http/protobuf"
	ProtocolJSON     = "http/json"
)

// Defaults of the OTLP specification for an HTTP exporter.
const (
	DefaultEndpoint = "http://localhost:4318/v1/traces"
	DefaultTimeout  = 10 * time.Second
	tracesPath      = "/v1/traces"
)

// ErrUnsupported is returned for a protocol or compression this exporter
// does not speak (grpc, zstd...).
var ErrUnsupported = errors.New("otlphttp: unsupported")

// ErrShutdown is returned by ExportSpans after Shutdown.
var ErrShutdown = errors.New("otlphttp: exporter is shut down")

// Config configures an Exporter. The zero value, but for Endpoint, is the
// OTLP default: protobuf, no compression, a 10 s timeout.
type Config struct {
	// Endpoint is the full URL spans are POSTed to, path included
	// (http://collector:4318/v1/traces). Empty means DefaultEndpoint.
	Endpoint string
	// Protocol is ProtocolProtobuf (the default when empty) or ProtocolJSON.
	Protocol string
	// Headers are sent with every request (authentication, tenant).
	Headers map[string]string
	// Gzip compresses request bodies.
	Gzip bool
	// Timeout bounds one ExportSpans call, retries included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// InitialBackoff is the first wait before a retry, growing
	// exponentially (to at most 5 s) with jitter; a Retry-After header
	// replaces it. Zero means 500 ms.
	InitialBackoff time.Duration
	// Client sends the requests. Nil means a client of its own.
	Client *http.Client
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("otlphttp: endpoint %q: %w", c.Endpoint, err))
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			errs = append(errs, fmt.Errorf("otlphttp: endpoint %q is not an http(s)://host URL", c.Endpoint))
		}
	}
	if c.Protocol != "" && c.Protocol != ProtocolProtobuf && c.Protocol != ProtocolJSON {
		errs = append(errs, fmt.Errorf("%w: OTLP protocol %q (supported: %s, %s)", ErrUnsupported, c.Protocol, ProtocolProtobuf, ProtocolJSON))
	}
	for k, v := range c.Headers {
		if !validHeaderName(k) {
			errs = append(errs, fmt.Errorf("otlphttp: header name %q is not an HTTP token", k))
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			errs = append(errs, fmt.Errorf("otlphttp: header %s has a control character in its value", k))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("otlphttp: negative timeout %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// validHeaderName: an HTTP token (RFC 9110). net/http refuses anything
// else at every request, which would look like a retryable failure.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// Exporter sends spans to an OTLP/HTTP endpoint.
type Exporter struct {
	cfg    Config
	client *http.Client

	mu       sync.RWMutex
	shutdown bool
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// New returns an Exporter for cfg.
func New(cfg Config) (*Exporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Protocol == "" {
		cfg.Protocol = ProtocolProtobuf
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = 500 * time.Millisecond
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Exporter{cfg: cfg, client: client}, nil
}

// Endpoint returns the URL spans are sent to.
func (e *Exporter) Endpoint() string { return e.cfg.Endpoint }

// Protocol returns ProtocolProtobuf or ProtocolJSON.
func (e *Exporter) Protocol() string { return e.cfg.Protocol }

// ExportSpans sends spans in one request, retrying what the OTLP
// specification calls retryable (429, 502, 503, 504 and transport errors)
// with exponential backoff, or after the Retry-After the server asks for,
// until Config.Timeout or ctx ends. Other statuses fail at once.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.RLock()
	down := e.shutdown
	e.mu.RUnlock()
	if down {
		return ErrShutdown
	}
	if len(spans) == 0 {
		return nil
	}
	body, contentType := e.encode(spans)
	if e.cfg.Gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err != nil {
			return fmt.Errorf("otlphttp: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("otlphttp: gzip: %w", err)
		}
		body = buf.Bytes()
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = e.cfg.InitialBackoff
	bo.MaxInterval = 5 * time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		return struct{}{}, e.send(ctx, body, contentType)
	}, backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(e.cfg.Timeout))
	if err != nil {
		return fmt.Errorf("otlphttp: export %d spans to %s: %w", len(spans), e.cfg.Endpoint, err)
	}
	return nil
}

func (e *Exporter) encode(spans []sdktrace.ReadOnlySpan) ([]byte, string) {
	if e.cfg.Protocol == ProtocolJSON {
		return MarshalJSON(spans), "application/json"
	}
	return MarshalProto(spans), "application/x-protobuf"
}

// send makes one attempt. A nil error is a 2xx; a retryable failure is a
// plain error (or a RetryAfterError); anything else is permanent.
func (e *Exporter) send(ctx context.Context, body []byte, contentType string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(err)
	}
	for k, v := range e.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", contentType)
	if e.cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return backoff.Permanent(err)
		}
		return err // connection refused, reset: the collector may be starting
	}
	// Read a little of the body: it names the problem (a Status message),
	// and draining lets the connection be reused.
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// A partial success (rejected spans) is reported in the body; the
		// spans are not retryable, so there is nothing to do but succeed.
		return nil
	}
	failure := fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(printable(msg)))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return retryLater{after: &backoff.RetryAfterError{Duration: d}, failure: failure}
		}
		return failure
	}
	return backoff.Permanent(failure)
}

// retryLater is a retryable failure with the server's Retry-After: backoff
// finds the delay in it, and the error still says what the server answered.
type retryLater struct {
	after   *backoff.RetryAfterError
	failure error
}

func (e retryLater) Error() string {
	return fmt.Sprintf("%v (Retry-After %s)", e.failure, e.after.Duration)
}

func (e retryLater) Unwrap() []error { return []error{e.after, e.failure} }

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// printable keeps an error body readable: a protobuf Status is binary.
func printable(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r < 0x20 || r == 0xFFFD {
			return -1
		}
		return r
	}, b)
}

// Shutdown stops the exporter: later ExportSpans calls return ErrShutdown.
// Idle connections are closed; an export under way finishes.
func (e *Exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.shutdown = true
	e.mu.Unlock()
	e.client.CloseIdleConnections()
	return ctx.Err()
}

// ForceFlush returns at once: an Exporter holds no spans between calls.
func (e *Exporter) ForceFlush(ctx context.Context) error { return ctx.Err() }
