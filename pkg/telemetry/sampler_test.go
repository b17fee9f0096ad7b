package telemetry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSamplerFromEnv(t *testing.T) {
	tests := []struct {
		sampler, arg string
		wantDesc     string
	}{
		{"", "", "ParentBased{root:AlwaysOnSampler"},
		{"always_on", "", "AlwaysOnSampler"},
		{"ALWAYS_OFF", "", "AlwaysOffSampler"},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"parentbased_always_on", "", "ParentBased{root:AlwaysOnSampler"},
		{"parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler"},
		{"parentbased_traceidratio", "0.5", "ParentBased{root:TraceIDRatioBased{0.5}"},
		{"cogniforge_ratelimited", "20", "ParentBased{root:RateLimited{20/s},remoteParentSampled:RateLimited{20/s}"},
		{"cogniforge_ratelimited", "", "ParentBased{root:RateLimited{1/s}"},
		{"parentbased_cogniforge_ratelimited", "0.5", "ParentBased{root:RateLimited{0.5/s},remoteParentSampled:AlwaysOnSampler"},
	}
	for _, tc := range tests {
		t.Run(tc.sampler+"="+tc.arg, func(t *testing.T) {
			s, err := telemetry.SamplerFromEnv(envOf(map[string]string{"OTEL_TRACES_SAMPLER": tc.sampler, "OTEL_TRACES_SAMPLER_ARG": tc.arg}), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s.Description(), tc.wantDesc) {
				t.Fatalf("sampler %s, want prefix %s", s.Description(), tc.wantDesc)
			}
		})
	}
}

func TestSamplerFromEnvRejectsBadValues(t *testing.T) {
	tests := []struct {
		sampler, arg, wantInErr string
	}{
		{"always", "", `OTEL_TRACES_SAMPLER="always"`},
		{"xray", "", `OTEL_TRACES_SAMPLER="xray"`},
		{"traceidratio", "1.5", `OTEL_TRACES_SAMPLER_ARG="1.5"`},
		{"parentbased_traceidratio", "half", `OTEL_TRACES_SAMPLER_ARG="half"`},
		{"traceidratio", "NaN", `OTEL_TRACES_SAMPLER_ARG="NaN"`},
		{"cogniforge_ratelimited", "0", `OTEL_TRACES_SAMPLER_ARG="0"`},
		{"parentbased_cogniforge_ratelimited", "-3", `OTEL_TRACES_SAMPLER_ARG="-3"`},
		{"cogniforge_ratelimited", "+Inf", `OTEL_TRACES_SAMPLER_ARG="+Inf"`},
	}
	for _, tc := range tests {
		t.Run(tc.sampler+"="+tc.arg, func(t *testing.T) {
			env := map[string]string{"OTEL_TRACES_SAMPLER": tc.sampler, "OTEL_TRACES_SAMPLER_ARG": tc.arg}
			_, err := telemetry.SamplerFromEnv(envOf(env), nil)
			if !errors.Is(err, telemetry.ErrBadSampler) || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("err %v, want ErrBadSampler naming %s", err, tc.wantInErr)
			}
			// Setup refuses to start rather than sample differently than asked.
			if _, err := otelsetup.Setup(context.Background(), otelsetup.Config{ServiceName: "svc", Getenv: envOf(env)}); !errors.Is(err, telemetry.ErrBadSampler) {
				t.Fatalf("Setup err %v, want ErrBadSampler", err)
			}
		})
	}
}

func TestRateLimitedSamplerRefillsWithTime(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := telemetry.RateLimitedSampler(2, clk.Now)
	sample := func() bool {
		return s.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), Name: "x"}).Decision == sdktrace.RecordAndSample
	}
	steps := []struct {
		advance time.Duration
		calls   int
		want    int
	}{
		{0, 5, 2},                      // a full bucket holds one second's worth
		{0, 3, 0},                      // empty until time passes
		{250 * time.Millisecond, 3, 0}, // half a token
		{250 * time.Millisecond, 3, 1}, // a whole one
		{10 * time.Second, 10, 2},      // refills up to the burst only
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		got := 0
		for range st.calls {
			if sample() {
				got++
			}
		}
		if got != st.want {
			t.Fatalf("step %d: %d of %d sampled, want %d", i, got, st.calls, st.want)
		}
	}
}

// TestRateLimitedSetupLimitsTraces checks the samplers as Setup builds them:
// traces, not spans, are limited, and the parent-based form follows a
// remote parent's decision.
func TestRateLimitedSetupLimitsTraces(t *testing.T) {
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	tests := []struct {
		sampler          string
		wantRemoteTraces int
	}{
		{telemetry.SamplerRateLimited, 1},            // remote parents take tokens too
		{telemetry.SamplerParentBasedRateLimited, 5}, // the caller decided
	}
	for _, tc := range tests {
		t.Run(tc.sampler, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1e9, 0))
			exp := tracetest.NewInMemoryExporter()
			tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{
				ServiceName: "svc", Exporter: exp, Syncer: true, Now: clk.Now,
				Getenv: envOf(map[string]string{"OTEL_TRACES_SAMPLER": tc.sampler, "OTEL_TRACES_SAMPLER_ARG": "1"}),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			tr := tel.TracerProvider().Tracer("t")
			// Three root traces of two spans each: only the first is recorded, whole.
			for range 3 {
				ctx, root := tr.Start(context.Background(), "root")
				_, child := tr.Start(ctx, "child")
				child.End()
				root.End()
			}
			if got := len(exp.GetSpans()); got != 2 {
				t.Fatalf("%d spans recorded from 3 local traces, want 2 (one whole trace)", got)
			}
			clk.Advance(time.Second)
			exp.Reset()
			for range 5 {
				_, span := tr.Start(trace.ContextWithRemoteSpanContext(context.Background(), remote), "remote")
				span.End()
			}
			if got := len(exp.GetSpans()); got != tc.wantRemoteTraces {
				t.Fatalf("%d of 5 spans under a sampled remote parent recorded, want %d", got, tc.wantRemoteTraces)
			}
		})
	}
}
