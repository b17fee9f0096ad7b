package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func ExampleNewLogger() {
	var buf bytes.Buffer
	logger := telemetry.NewLogger(&buf, "payments", slog.LevelInfo)
	ctx := telemetry.WithIDs(context.Background(), "evt-1", "saga-42")
	logger.InfoContext(ctx, "refund issued",
		slog.String("apiKey", "sk_live_123"),
		slog.String("customer", "jane@example.com"),
		slog.Int("cents", 1250))

	var rec map[string]any
	_ = json.Unmarshal(buf.Bytes(), &rec)
	for _, k := range []string{"function", "event_id", "correlation_id", "apiKey", "customer", "cents"} {
		fmt.Printf("%s=%v\n", k, rec[k])
	}
	// Output:
	// function=payments
	// event_id=evt-1
	// correlation_id=saga-42
	// apiKey=***
	// customer=***
	// cents=1250
}

// A function that should record at most 5 traces a second per instance, but
// keep every trace its caller decided to sample, is deployed with
// OTEL_TRACES_SAMPLER=parentbased_cogniforge_ratelimited and
// OTEL_TRACES_SAMPLER_ARG=5; Setup reads them (here through Config.Getenv).
func ExampleSamplerFromEnv() {
	env := map[string]string{
		"OTEL_TRACES_SAMPLER":     telemetry.SamplerParentBasedRateLimited,
		"OTEL_TRACES_SAMPLER_ARG": "5",
	}
	s, err := telemetry.SamplerFromEnv(func(k string) string { return env[k] }, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.SplitN(s.Description(), ",", 2)[0])

	env["OTEL_TRACES_SAMPLER"] = "sometimes"
	_, err = telemetry.SamplerFromEnv(func(k string) string { return env[k] }, nil)
	fmt.Println(errors.Is(err, telemetry.ErrBadSampler))
	// Output:
	// ParentBased{root:RateLimited{5/s}
	// true
}
