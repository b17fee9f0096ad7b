package resilience

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metric names, each with a downstream attribute (rejections also a
// reason: bulkhead or circuit).
const (
	MetricCalls        = "resilience.calls"
	MetricFailures     = "resilience.failures"
	MetricRejections   = "resilience.rejections"
	MetricRetries      = "resilience.retries"
	MetricBreakerState = "resilience.breaker.state" // 0 closed, 1 half-open, 2 open, as this instance last read it
	MetricBulkheadUse  = "resilience.bulkhead.in_use"
	MetricBulkheadWait = "resilience.bulkhead.queued"
)

type instruments struct {
	calls, failures, rejections, retries metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var in instruments
	var err error
	if in.calls, err = m.Int64Counter(MetricCalls, metric.WithDescription("Calls made through a policy, retries not counted.")); err != nil {
		return in, err
	}
	if in.failures, err = m.Int64Counter(MetricFailures, metric.WithDescription("Attempts that failed.")); err != nil {
		return in, err
	}
	if in.rejections, err = m.Int64Counter(MetricRejections, metric.WithDescription("Calls refused by a full bulkhead or an open breaker.")); err != nil {
		return in, err
	}
	if in.retries, err = m.Int64Counter(MetricRetries, metric.WithDescription("Attempts after the first.")); err != nil {
		return in, err
	}
	return in, nil
}

// policyMetrics holds one downstream's instruments with its attributes
// built once, so recording allocates nothing.
type policyMetrics struct {
	in                            instruments
	opts, bulkheadOpts, breakOpts []metric.AddOption
}

func newPolicyMetrics(in instruments, name string) *policyMetrics {
	ds := attribute.String("downstream", name)
	return &policyMetrics{
		in:           in,
		opts:         []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(ds))},
		bulkheadOpts: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(ds, attribute.String("reason", "bulkhead")))},
		breakOpts:    []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(ds, attribute.String("reason", "circuit")))},
	}
}

func noopInstruments() instruments {
	in, _ := newInstruments(noop.NewMeterProvider().Meter("")) // the noop meter never fails
	return in
}

// observe registers the gauges of the registry's breakers and bulkheads.
func (r *Registry) observe(m metric.Meter) error {
	state, err := m.Int64ObservableGauge(MetricBreakerState, metric.WithDescription("Breaker state as this instance last read it: 0 closed, 1 half-open, 2 open."))
	if err != nil {
		return err
	}
	inUse, err := m.Int64ObservableGauge(MetricBulkheadUse, metric.WithDescription("Calls running in the bulkhead."))
	if err != nil {
		return err
	}
	queued, err := m.Int64ObservableGauge(MetricBulkheadWait, metric.WithDescription("Calls waiting for a bulkhead slot."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, p := range r.policies {
			set := metric.WithAttributeSet(attribute.NewSet(attribute.String("downstream", p.name)))
			if p.breaker != nil {
				o.ObserveInt64(state, stateValue(p.breaker.cachedState()), set)
			}
			if p.bulkhead != nil {
				st := p.bulkhead.Status()
				o.ObserveInt64(inUse, int64(st.InUse), set)
				o.ObserveInt64(queued, int64(st.Queued), set)
			}
		}
		return nil
	}, state, inUse, queued)
	return err
}

func stateValue(s State) int64 {
	switch s {
	case HalfOpen:
		return 1
	case Open:
		return 2
	}
	return 0
}
