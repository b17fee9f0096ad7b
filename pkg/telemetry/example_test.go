package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// A function's main sets telemetry up once at cold start and hands the
// provider and the flusher to wiring.Start:
//
//	wiring.Start(ctx, fn, adapter.WithTracerProvider(tel.TracerProvider()), adapter.WithFlusher(tel))
func ExampleSetup() {
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{
		ServiceName: "slo-evaluator",
		Getenv:      func(string) string { return "" }, // no OTEL_* variables set
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())
	fmt.Println("exporter:", tel.Exporter)
	// Output: exporter: none
}

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
