package resilience_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	fake := clock.NewFake(time.Unix(0, 0))
	reg, err := resilience.NewRegistry(resilience.RegistryConfig{Function: "orders", Store: memory.New(memory.Config{}), Clock: fake,
		Meter: mp.Meter("test"), Downstreams: map[string]resilience.Downstream{"inventory-db": {Kind: resilience.KindDatabase, Idempotent: true,
			Retry: resilience.RetryPolicy{MaxAttempts: 2}, Breaker: resilience.BreakerSettings{FailureThreshold: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Policy("inventory-db")
	ctx := context.Background()
	_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { return 1, nil })
	_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { return 0, errDown }) // 2 failed attempts: opens
	_, _ = resilience.Do(ctx, p, func(context.Context) (int, error) { return 1, nil })     // refused

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					name := m.Name
					if r, ok := dp.Attributes.Value(attribute.Key("reason")); ok {
						name += "/" + r.AsString()
					}
					got[name] += dp.Value
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					got[m.Name] = dp.Value
				}
			}
		}
	}
	want := map[string]int64{
		resilience.MetricCalls: 3, resilience.MetricFailures: 2, resilience.MetricRetries: 1,
		resilience.MetricRejections + "/circuit": 1, resilience.MetricBreakerState: 2, resilience.MetricBulkheadUse: 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}
