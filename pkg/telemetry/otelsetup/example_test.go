package otelsetup_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"
)

// A function's main sets telemetry up once at cold start and hands the
// provider and the flusher to wiring.Start:
//
//	wiring.Start(ctx, fn, adapter.WithTracerProvider(tel.TracerProvider()), adapter.WithFlusher(tel))
func ExampleSetup() {
	tel, err := otelsetup.Setup(context.Background(), otelsetup.Config{
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
