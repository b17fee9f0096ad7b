package chaos_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

func TestMonkey(t *testing.T) {
	limits := chaos.Limits{Functions: []string{"payment", "shipping", "order"}}
	cfg, err := chaos.ParseMonkeyConfig("m.yaml", []byte("enabled: true\nfunctions: [payment, shipping]\nfor: 2m\nfaults: [{fault: latency, latency: 100ms, rate: 0.5}, {fault: error, rate: 0.1}]\n"), limits)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	m := &chaos.Monkey{Service: &chaos.Service{Manager: &chaos.Manager{Store: &chaos.MemoryStore{}, Limits: limits, Now: func() time.Time { return now }}},
		Config: cfg, Rand: rand.New(rand.NewPCG(3, 4))}
	seen := map[string]bool{}
	for range 40 {
		f, err := m.Strike(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !f.ExpiresAt.Equal(now.Add(2*time.Minute)) || f.Experiment != chaos.MonkeyName {
			t.Fatalf("%+v", f)
		}
		seen[f.Function+"/"+string(f.Kind)] = true
		if _, err := m.Strike(context.Background()); !errors.Is(err, chaos.ErrMonkeyIdle) {
			t.Fatal("two monkey faults at once")
		}
		now = now.Add(2 * time.Minute)
	}
	if len(seen) != 4 {
		t.Fatalf("picked only %v", seen)
	}
	for _, bad := range []string{"enabled: true\n", "enabled: true\nfunctions: [ghost]\n", "functions: [payment]\nfor: 2h\n", "functions: [payment]\nfaults: [{fault: error, rate: 3}]\n", "colour: red\n"} {
		if _, err := chaos.ParseMonkeyConfig("m.yaml", []byte(bad), limits); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
