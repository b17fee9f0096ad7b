package wiring_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

type poolConfig struct {
	Size    int           `config:"pool/size,required"`
	Timeout time.Duration `config:"timeout"`
}

func validatePool(c poolConfig) error {
	if c.Size < 1 {
		return errors.New("pool/size must be positive")
	}
	return nil
}

func TestEnvironment(t *testing.T) {
	for in, want := range map[string]string{"": "dev", "dev": "dev", "staging": "staging", "prod": "prod"} {
		got, err := wiring.Environment(func(string) string { return in })
		if err != nil || got != want {
			t.Errorf("Environment(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := wiring.Environment(func(string) string { return "qa" }); !errors.Is(err, config.ErrUnknownEnv) {
		t.Fatalf("qa: %v", err)
	}
}

func TestFunctionConfigReadsOncePerTTL(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	ps := config.NewEmbedded(st, nil)
	for k, v := range map[string]string{"/cogniforge/prod/orders/pool/size": "8", "/cogniforge/prod/orders/timeout": "2s", "/cogniforge/prod/payment/pool/size": "99"} {
		if _, err := ps.Put(ctx, k, v, false); err != nil {
			t.Fatal(err)
		}
	}
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	env := func(k string) string { return map[string]string{wiring.EnvEnvironment: "prod"}[k] }
	l, err := wiring.FunctionConfig(wiring.Ports{Store: st, Now: clk.Now}, env, "orders", validatePool, config.LoaderConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	reads := func() int {
		recs, _ := audit.List(ctx, st, audit.Filter{Secret: "/cogniforge/prod/orders/"})
		return len(recs)
	}
	for round := 1; round <= 3; round++ {
		for i := 0; i < 10; i++ {
			c, err := l.Get(ctx)
			if err != nil || c != (poolConfig{Size: 8, Timeout: 2 * time.Second}) {
				t.Fatalf("get: %+v %v", c, err)
			}
		}
		if n := reads(); n != round {
			t.Fatalf("round %d: %d store reads, want %d", round, n, round)
		}
		clk.Advance(time.Minute)
	}
	// A bad new version keeps the running value.
	if _, err := ps.Put(ctx, "/cogniforge/prod/orders/pool/size", "0", false); err != nil {
		t.Fatal(err)
	}
	if c, err := l.Get(ctx); err != nil || c.Size != 8 || l.Err() == nil {
		t.Fatalf("after a bad version: %+v %v (Err %v)", c, err, l.Err())
	}
	if _, err := wiring.FunctionConfig(wiring.Ports{Store: st}, func(string) string { return "qa" }, "orders", validatePool, config.LoaderConfig{}); !errors.Is(err, config.ErrUnknownEnv) {
		t.Fatalf("unknown env: %v", err)
	}
}

// BenchmarkFunctionConfigCached is a function's configuration read served
// from the cache through the whole wiring (scoped, audited store below the
// Loader): the issue's budget is under 1 µs.
func BenchmarkFunctionConfigCached(b *testing.B) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	ps := config.NewEmbedded(st, nil)
	if _, err := ps.Put(ctx, "/cogniforge/prod/orders/pool/size", "8", false); err != nil {
		b.Fatal(err)
	}
	env := func(k string) string { return map[string]string{wiring.EnvEnvironment: "prod"}[k] }
	l, err := wiring.FunctionConfig(wiring.Ports{Store: st}, env, "orders", validatePool, config.LoaderConfig{TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.Get(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Get(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// A function reads its own parameters, typed and validated, from
// /cogniforge/$COGNIFORGE_ENV/<function>/ (here the embedded store; SSM
// Parameter Store on AWS ports); reads within a minute come from the cache.
func ExampleFunctionConfig() {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	_, _ = config.NewEmbedded(st, nil).Put(ctx, "/cogniforge/staging/orders/pool/size", "4", false)
	env := func(k string) string { return map[string]string{wiring.EnvEnvironment: "staging"}[k] }

	l, err := wiring.FunctionConfig(wiring.Ports{Store: st}, env, "orders", validatePool, config.LoaderConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := l.Get(ctx)
	fmt.Println(c.Size, c.Timeout, err)

	_, err = wiring.FunctionConfig(wiring.Ports{Store: st}, func(string) string { return "qa" }, "orders", validatePool, config.LoaderConfig{})
	fmt.Println(err)
	// Output:
	// 4 0s <nil>
	// COGNIFORGE_ENV: config: unknown environment "qa": want one of dev, staging, prod
}
