// Package otelsetup builds a function's OpenTelemetry tracing once at cold
// start: a TracerProvider whose exporter (OTLP over HTTP) and sampler (the
// standard ones plus a per-instance rate limiter, see
// telemetry.SamplerFromEnv) are chosen by the standard OTEL_* environment
// variables, and whose span attributes are masked (telemetry.MaskingProcessor).
// It is apart from pkg/telemetry because the OTLP exporter links gRPC: the
// middleware and the adapters propagate context and log without it; only a
// function's wiring exports.
//
// Setup is meant to run once per process (a Lambda cold start); nothing is
// registered globally, callers pass the returned TracerProvider to whoever
// needs it. Telemetry is safe for concurrent use.
package otelsetup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config configures Setup.
type Config struct {
	// ServiceName is the service.name resource attribute. Required.
	ServiceName string
	// ServiceVersion is the service.version resource attribute; empty omits it.
	ServiceVersion string
	// Getenv reads the OTEL_* variables. Nil means os.Getenv.
	Getenv func(string) string
	// Exporter, when set, is used instead of the one the environment
	// chooses (tests use tracetest.NewInMemoryExporter).
	Exporter sdktrace.SpanExporter
	// Sampler overrides the sampler. Nil means the one the
	// OTEL_TRACES_SAMPLER/OTEL_TRACES_SAMPLER_ARG variables name (see
	// SamplerFromEnv), else parentbased_always_on.
	Sampler sdktrace.Sampler
	// Now is the clock of the rate-limited samplers. Nil means time.Now.
	Now func() time.Time
	// Syncer exports each span when it ends instead of batching. Useful for
	// tests; on Lambda batching plus ForceFlush per invocation is cheaper.
	Syncer bool
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ServiceName) == "" {
		errs = append(errs, errors.New("telemetry: Config.ServiceName is required"))
	}
	return errors.Join(errs...)
}

// Telemetry owns the TracerProvider of a process.
type Telemetry struct {
	provider *sdktrace.TracerProvider
	// Exporter names the exporter in use: "none", "otlphttp" or "custom".
	Exporter string
}

// ErrUnsupportedExporter is returned when OTEL_TRACES_EXPORTER or
// OTEL_EXPORTER_OTLP_PROTOCOL asks for something this build cannot do.
var ErrUnsupportedExporter = errors.New("telemetry: unsupported exporter")

// Setup builds the TracerProvider. The exporter is chosen like the OTel SDK
// specification says, restricted to what a Lambda needs:
//
//   - OTEL_TRACES_EXPORTER=none: no exporter (spans are still created so
//     trace ids reach logs and downstream events).
//   - OTEL_TRACES_EXPORTER=otlp, or unset with OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set: OTLP over HTTP/protobuf; the
//     exporter itself reads the other OTEL_EXPORTER_OTLP_* variables
//     (headers, timeout, compression, insecure).
//   - unset and no endpoint: no exporter.
//   - anything else, or OTEL_EXPORTER_OTLP_PROTOCOL=grpc: ErrUnsupportedExporter.
//
// The sampler is Config.Sampler, else the one OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG name (SamplerFromEnv); a value it does not know is
// an error wrapping ErrBadSampler, not a silent fallback.
//
// Span attributes are masked (see Mask) before any exporter sees them.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	sampler := cfg.Sampler
	if sampler == nil {
		var err error
		if sampler, err = telemetry.SamplerFromEnv(getenv, cfg.Now); err != nil {
			return nil, err
		}
	}
	exp, name, err := chooseExporter(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.ServiceVersion))
	}
	// OTEL_RESOURCE_ATTRIBUTES adds attributes (deployment.environment,
	// cloud.region...); the configured service name wins over the variables.
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil && (res == nil || !errors.Is(err, resource.ErrPartialResource)) {
		// A malformed OTEL_RESOURCE_ATTRIBUTES only loses those attributes.
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	// Always set: the SDK would otherwise read the variables again from the
	// process environment, ignoring Config.Getenv, and fall back on errors.
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler)}
	if exp != nil {
		var proc sdktrace.SpanProcessor
		if cfg.Syncer {
			proc = sdktrace.NewSimpleSpanProcessor(exp)
		} else {
			proc = sdktrace.NewBatchSpanProcessor(exp)
		}
		opts = append(opts, sdktrace.WithSpanProcessor(telemetry.MaskingProcessor(proc)))
	}
	return &Telemetry{provider: sdktrace.NewTracerProvider(opts...), Exporter: name}, nil
}

func chooseExporter(ctx context.Context, cfg Config, getenv func(string) string) (sdktrace.SpanExporter, string, error) {
	if cfg.Exporter != nil {
		return cfg.Exporter, "custom", nil
	}
	kind := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	switch {
	case kind == "none", kind == "" && !endpoint:
		return nil, "none", nil
	case kind == "otlp", kind == "":
	default:
		return nil, "", fmt.Errorf("%w: OTEL_TRACES_EXPORTER=%q (supported: otlp, none)", ErrUnsupportedExporter, kind)
	}
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return nil, "", fmt.Errorf("%w: OTLP protocol %q (supported: http/protobuf)", ErrUnsupportedExporter, proto)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("telemetry: otlp/http exporter: %w", err)
	}
	return exp, "otlphttp", nil
}

// TracerProvider returns the provider to hand to middleware and clients.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.provider }

// ForceFlush exports every ended span. The Lambda adapter calls it at the end
// of every invocation (through otellambda's WithFlusher), because a frozen
// execution environment exports nothing.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	if err := t.provider.ForceFlush(ctx); err != nil {
		return fmt.Errorf("telemetry: flush: %w", err)
	}
	return nil
}

// Shutdown flushes and stops the provider; spans started afterwards are dropped.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}
