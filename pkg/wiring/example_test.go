package wiring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// With nothing in the environment (a laptop, a test) FromEnv gives the
// embedded ports: an in-memory store, no AWS configuration, and a bus that
// refuses to publish rather than dropping events silently.
func ExampleFromEnv() {
	empty := func(string) string { return "" }
	p, closePorts, err := wiring.FromEnv(context.Background(), empty, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closePorts()
	fmt.Printf("store: %T\n", p.Store)
	fmt.Println("AWS configured:", p.AWS != nil)
	fmt.Println("catalog loaded:", p.Catalog != nil)
	_, err = p.Bus.Publish(context.Background(), nil)
	fmt.Println("bus refuses:", err != nil)
	// Output:
	// store: *memory.Store
	// AWS configured: false
	// catalog loaded: true
	// bus refuses: true
}

// DetectPlatform reads the variables each platform sets for its functions.
func ExampleDetectPlatform() {
	for _, env := range []map[string]string{
		{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"},
		{"FUNCTION_TARGET": "audit"},
		{"K_SERVICE": "audit", "FUNCTION_SIGNATURE_TYPE": "http"},
		{"K_SERVICE": "audit"}, // plain Knative / Cloud Run service
		{},
	} {
		fmt.Println(wiring.DetectPlatform(func(k string) string { return env[k] }))
	}
	// Output:
	// aws-lambda
	// google-functions-framework
	// google-functions-framework
	// cloudevents-http
	// cloudevents-http
}
