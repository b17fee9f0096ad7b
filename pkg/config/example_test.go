package config_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func Example() {
	ctx := context.Background()
	ps := config.NewEmbedded(memory.New(memory.Config{}), nil)

	type Settings struct {
		Timeout time.Duration `config:"timeout,required"`
		Retries int           `config:"retries"`
	}
	validate := func(s Settings) error {
		if s.Retries > 10 {
			return fmt.Errorf("retries %d: at most 10", s.Retries)
		}
		return nil
	}

	// The operator's side: writes are checked against the function's schema.
	m := config.NewManager(ps)
	_ = config.Register(m, "orders", validate)
	_, _ = m.Set(ctx, "prod", "orders", "timeout", "3s")
	_, _ = m.Set(ctx, "prod", "orders", "retries", "2")
	_, err := m.Set(ctx, "prod", "orders", "retries", "50")
	fmt.Println("refused:", err != nil)

	// The function's side: a typed, cached view of its own path.
	l, _ := config.NewLoader(ps, "prod", "orders", validate, config.LoaderConfig{TTL: time.Minute})
	s, _ := l.Get(ctx)
	fmt.Println(s.Timeout, s.Retries)

	// Output:
	// refused: true
	// 3s 2
}
