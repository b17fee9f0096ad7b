package wiring

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestChaosFromEnv(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	doc := `{"faults":[{"id":"a","function":"f","fault":"error","expiresAt":"` + exp + `"}]}`
	dir := t.TempDir()
	cases := []struct {
		name    string
		env     map[string]string
		source  bool
		injects bool
		ttl     time.Duration
	}{
		{"nothing named", map[string]string{}, false, false, time.Second},
		{"off", map[string]string{EnvChaos: "off", EnvChaosFaults: doc}, false, false, 0},
		{"inline", map[string]string{EnvChaosFaults: doc, EnvChaosTTL: "5s"}, true, true, 5 * time.Second},
		{"corrupt inline", map[string]string{EnvChaosFaults: `{"faults": [`}, true, false, time.Second},
		{"bad ttl keeps default", map[string]string{EnvChaosFaults: doc, EnvChaosTTL: "soon"}, true, true, time.Second},
		{"data dir", map[string]string{EnvDataDir: dir}, true, false, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Ports{Logger: logger, Chaos: chaosFromEnv(func(k string) string { return tc.env[k] }, nil, logger)}
			if (p.Chaos.Source != nil) != tc.source || (tc.source && p.Chaos.TTL != tc.ttl) {
				t.Fatalf("ports %+v", p.Chaos)
			}
			fn := Instrument(p, faas.Function{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }})
			ev := cloudevents.New()
			ev.SetID("1")
			ev.SetSource("//t")
			ev.SetType("t")
			_, err := fn.Handler(context.Background(), ev)
			if (err != nil) != tc.injects {
				t.Fatalf("injected %v, want %v", err, tc.injects)
			}
		})
	}
	if _, ok := chaosFromEnv(func(k string) string { return map[string]string{EnvDataDir: dir}[k] }, nil, logger).Store.(chaosfile.Store); !ok {
		t.Fatal("a data directory's store is not the chaos file")
	}
}

// A breaker fault forces pkg/resilience's shared breaker open in the
// function's store, where every instance's calls read it.
func TestInstrumentForcesTheSharedBreaker(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	doc, err := chaos.ParseDocument([]byte(`{"faults":[{"id":"b","function":"f","fault":"breaker","breaker":"event-bus","rate":1,"expiresAt":"` + exp + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New(memory.Config{})
	p := Ports{Store: st, Logger: slog.New(slog.DiscardHandler), Chaos: ChaosPorts{Source: chaos.Static(doc), TTL: time.Second}}
	fn := Instrument(p, faas.Function{Name: "f", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }})
	ev := cloudevents.New()
	ev.SetID("1")
	ev.SetSource("s")
	ev.SetType("t.v1")
	_, _ = fn.Handler(context.Background(), ev)
	status, err := (&resilience.Admin{Store: st}).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range status.Breakers {
		if b.Name == "event-bus" && b.Forced == resilience.ForceOpen {
			return
		}
	}
	t.Fatalf("breakers after a breaker fault: %+v, want event-bus forced open", status.Breakers)
}
