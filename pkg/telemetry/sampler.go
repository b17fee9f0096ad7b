package telemetry

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
)

// Values of OTEL_TRACES_SAMPLER that Setup accepts. The first six are the
// OpenTelemetry standard ones; the last two are CogniForge's rate limiter.
const (
	SamplerAlwaysOn                = "always_on"
	SamplerAlwaysOff               = "always_off"
	SamplerTraceIDRatio            = "traceidratio"
	SamplerParentBasedAlwaysOn     = "parentbased_always_on"
	SamplerParentBasedAlwaysOff    = "parentbased_always_off"
	SamplerParentBasedTraceIDRatio = "parentbased_traceidratio"
	// SamplerRateLimited records at most OTEL_TRACES_SAMPLER_ARG traces per
	// second per instance (default DefaultTracesPerSecond), whatever the
	// caller decided: every trace that starts here or arrives from another
	// process takes a token; spans under a local parent follow the parent,
	// so a recorded trace is never cut in pieces.
	SamplerRateLimited = "cogniforge_ratelimited"
	// SamplerParentBasedRateLimited honours the sampled flag of a remote
	// parent and rate-limits only the traces that start in this instance.
	SamplerParentBasedRateLimited = "parentbased_cogniforge_ratelimited"
)

// DefaultTracesPerSecond is the rate of the rate-limited samplers when
// OTEL_TRACES_SAMPLER_ARG is unset: one trace a second, like the reservoir
// of X-Ray's default sampling rule.
const DefaultTracesPerSecond = 1.0

// ErrBadSampler is returned (wrapped, with the variable and value named) when
// OTEL_TRACES_SAMPLER or OTEL_TRACES_SAMPLER_ARG is not usable. Setup fails
// rather than falling back: a misspelt sampler silently recording everything
// (or nothing) is found only when the bill or the missing traces arrive.
var ErrBadSampler = errors.New("telemetry: bad sampler configuration")

// SamplerFromEnv returns the sampler named by OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG as read by getenv (nil means none is set, and
// then the result is parentbased_always_on, the OpenTelemetry default).
// Names are case-insensitive. The ratio samplers take a number in [0, 1]
// (default 1); the rate-limited ones a positive number of traces per second
// (default DefaultTracesPerSecond). now is the rate limiter's clock; nil
// means time.Now.
func SamplerFromEnv(getenv func(string) string, now func() time.Time) (sdktrace.Sampler, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	switch name {
	case "", SamplerParentBasedAlwaysOn:
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case SamplerAlwaysOn:
		return sdktrace.AlwaysSample(), nil
	case SamplerAlwaysOff:
		return sdktrace.NeverSample(), nil
	case SamplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case SamplerTraceIDRatio, SamplerParentBasedTraceIDRatio:
		ratio := 1.0
		if arg != "" {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
				return nil, fmt.Errorf("%w: OTEL_TRACES_SAMPLER_ARG=%q for %s must be a ratio between 0 and 1", ErrBadSampler, arg, name)
			}
			ratio = v
		}
		if name == SamplerTraceIDRatio {
			return sdktrace.TraceIDRatioBased(ratio), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	case SamplerRateLimited, SamplerParentBasedRateLimited:
		perSecond := DefaultTracesPerSecond
		if arg != "" {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
				return nil, fmt.Errorf("%w: OTEL_TRACES_SAMPLER_ARG=%q for %s must be a positive number of traces per second", ErrBadSampler, arg, name)
			}
			perSecond = v
		}
		limited := RateLimitedSampler(perSecond, now)
		if name == SamplerParentBasedRateLimited {
			return sdktrace.ParentBased(limited), nil
		}
		// Remote parents are rate-limited too; local parents are followed.
		return sdktrace.ParentBased(limited, sdktrace.WithRemoteParentSampled(limited), sdktrace.WithRemoteParentNotSampled(limited)), nil
	}
	return nil, fmt.Errorf("%w: OTEL_TRACES_SAMPLER=%q is not one of %s", ErrBadSampler, name, strings.Join([]string{
		SamplerAlwaysOn, SamplerAlwaysOff, SamplerTraceIDRatio, SamplerParentBasedAlwaysOn, SamplerParentBasedAlwaysOff,
		SamplerParentBasedTraceIDRatio, SamplerRateLimited, SamplerParentBasedRateLimited,
	}, ", "))
}

// RateLimitedSampler samples at most perSecond of the spans it is asked
// about per second, with a token bucket holding one second's worth (at
// least one token) so a quiet instance can record a short burst. Every
// ShouldSample call spends a token when one is left, so use it as the root
// (and remote parent) sampler of sdktrace.ParentBased to limit traces
// rather than spans, as SamplerFromEnv does. now is the bucket's clock (nil
// means time.Now); tests pass a fake one. Safe for concurrent use.
func RateLimitedSampler(perSecond float64, now func() time.Time) sdktrace.Sampler {
	if now == nil {
		now = time.Now
	}
	burst := max(1, int(math.Ceil(perSecond)))
	return &rateLimited{
		limiter: rate.NewLimiter(rate.Limit(perSecond), burst),
		now:     now,
		desc:    fmt.Sprintf("RateLimited{%g/s}", perSecond),
	}
}

type rateLimited struct {
	limiter *rate.Limiter
	now     func() time.Time
	desc    string
}

func (s *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	res := sdktrace.SamplingResult{
		Decision:   sdktrace.Drop,
		Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
	}
	if s.limiter.AllowN(s.now(), 1) {
		res.Decision = sdktrace.RecordAndSample
	}
	return res
}

func (s *rateLimited) Description() string { return s.desc }
