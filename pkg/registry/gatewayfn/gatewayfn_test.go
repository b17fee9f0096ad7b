package gatewayfn_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/registry/gatewayfn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// downBus fails every publish, counting the gateway's and the breaker's.
type downBus struct{ calls, breakerEvents atomic.Int64 }

func (b *downBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	if evs[0].Type() == events.TypeBreakerOpened {
		b.breakerEvents.Add(1)
	} else {
		b.calls.Add(1)
	}
	return nil, errors.New("eventbridge: connection refused")
}

func config(files ...wiring.ConfigFile) wiring.ConfigSource {
	return func(_ context.Context, kind string) ([]wiring.ConfigFile, error) {
		if kind != resilience.ConfigKind {
			return nil, nil
		}
		return files, nil
	}
}

func ports(t *testing.T, bus *downBus, cfg wiring.ConfigSource) wiring.Ports {
	t.Helper()
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return wiring.Ports{Store: memory.New(memory.Config{}), Bus: bus, Catalog: catalog, Config: cfg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestPutEventsGoesThroughTheEventBusPolicy(t *testing.T) {
	bus := &downBus{}
	// No retries and a breaker that opens after 3 failures, from the
	// configuration file.
	fn, err := gatewayfn.Build(ports(t, bus, config(wiring.ConfigFile{Name: "config/resilience/event-gateway.yaml",
		Data: []byte("downstreams:\n  event-bus:\n    retry: {maxAttempts: 1}\n    breaker: {failureThreshold: 3}\n")})))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var last error
	for i := range 5 {
		ev, _ := events.New(ctx, events.TypeRequestCompleted, "https://shop.example.com",
			events.RequestCompleted{Service: "payments", Operation: "Charge", Status: events.StatusOK, DurationMs: 1}, events.ID("evt-"+string(rune('a'+i))))
		_, last = fn.Handler(ctx, ev)
	}
	var fe *faas.Error
	if bus.breakerEvents.Load() != 1 {
		t.Errorf("%d breaker.opened events tried, want 1", bus.breakerEvents.Load())
	}
	if bus.calls.Load() != 3 || !errors.As(last, &fe) || fe.Name != gateway.ErrPublishFailed || !fe.Retryable || !errors.Is(last, resilience.ErrCircuitOpen) {
		t.Errorf("%d publishes reached the bus, last error %v; want 3 and a retryable %s caused by the open breaker", bus.calls.Load(), last, gateway.ErrPublishFailed)
	}
}

func TestBadResilienceConfigurationStopsTheBuild(t *testing.T) {
	_, err := gatewayfn.Build(ports(t, &downBus{}, config(wiring.ConfigFile{Name: "config/resilience/event-gateway.yaml",
		Data: []byte("downstreams:\n  event-bus:\n    breaker: {failureRate: 2}\n  payments: {kind: external}\n")})))
	for _, want := range []string{"downstreams.event-bus.breaker.failureRate", "downstreams.payments: unknown downstream"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	t.Setenv(resilience.EnvConfig, `{"downstreams":{"event-bus":{"bulkhead":{"maxConcurrent":-1}}}}`)
	if _, err := gatewayfn.Build(ports(t, &downBus{}, nil)); err == nil || !strings.Contains(err.Error(), "downstreams.event-bus.bulkhead.maxConcurrent") {
		t.Errorf("environment: %v", err)
	}
}
