package otlphttp_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otlphttp"
)

// The exporter is configured by the standard OTLP variables (otelsetup.Setup
// does this); the result goes to a span processor.
func ExampleConfigFromEnv() {
	vars := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
		"OTEL_EXPORTER_OTLP_HEADERS":  "x-tenant=acme",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
	}
	cfg, err := otlphttp.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	exp, err := otlphttp.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(exp.Endpoint(), exp.Protocol(), cfg.Headers["x-tenant"])
	// Output: http://collector:4318/v1/traces http/json acme
}
