package resilience_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/resilience"
)

// FuzzConfig: any file either parses and resolves to settings every
// policy accepts, or is refused with an error; nothing panics.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"downstreams:\n  event-bus:\n    breaker: {failureRate: 1.5}\n",
		"bulkheads:\n  llm: {maxConcurrent: 10, maxQueued: 100, queueTimeout: 60s}\n",
		`{"downstreams":{"event-bus":{"kind":"external","retry":{"maxAttempts":5,"baseDelay":"10ms"}}}}`,
		"downstreams:\n  event-bus:\n    bulkhead: {maxConcurrent: many}\n",
		"downstreams: [1, 2]\n",
	} {
		f.Add([]byte(seed))
	}
	declared := map[string]resilience.Downstream{"event-bus": {Kind: resilience.KindExternal, Idempotent: true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := resilience.ParseConfig("fuzz.yaml", data)
		if err != nil {
			return
		}
		ds, table, err := resilience.Resolve(declared, cfg)
		if err != nil {
			return
		}
		if _, err := resilience.NewRegistry(resilience.RegistryConfig{Downstreams: ds, Bulkheads: table}); err != nil {
			t.Fatalf("resolved settings refused by the registry: %v", err)
		}
	})
}
