package config_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
)

func TestScoped(t *testing.T) {
	ctx := context.Background()
	ps := newEmbedded()
	put(t, ps, "dev", "orders", "timeout", "1s")
	put(t, ps, "dev", "payments", "key", "secret")
	s, err := config.NewScoped(ps, "dev", "orders")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op   string
		name string
		err  error
	}{
		{"get", "/cogniforge/dev/orders/timeout", nil},
		{"get", "/cogniforge/dev/payments/key", config.ErrOutOfScope},
		{"get", "/cogniforge/prod/orders/timeout", config.ErrOutOfScope},
		{"get", "/cogniforge/dev/orders/../payments/key", config.ErrOutOfScope},
		{"history", "/cogniforge/dev/payments/key", config.ErrOutOfScope},
		{"put", "/cogniforge/dev/payments/key", config.ErrOutOfScope},
		{"label", "/cogniforge/dev/payments/key", config.ErrOutOfScope},
		{"path", "/cogniforge/dev/orders/", nil},
		{"path", "/cogniforge/dev/", config.ErrOutOfScope},
		{"path", "/cogniforge/dev/payments", config.ErrOutOfScope},
	}
	for _, c := range cases {
		var err error
		switch c.op {
		case "get":
			_, err = s.Get(ctx, c.name, "")
		case "history":
			_, err = s.History(ctx, c.name)
		case "put":
			_, err = s.Put(ctx, c.name, "x", false)
		case "label":
			err = s.Label(ctx, c.name, 1, "stolen")
		case "path":
			_, err = s.GetByPath(ctx, c.name)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("%s %s: %v, want %v", c.op, c.name, err, c.err)
		}
	}
	// The refused writes changed nothing.
	if p, err := ps.Get(ctx, "/cogniforge/dev/payments/key", ""); err != nil || p.Version != 1 || len(p.Labels) != 0 {
		t.Errorf("payments key = %+v, %v; want untouched", p, err)
	}
	if _, err := config.NewScoped(ps, "test", "orders"); !errors.Is(err, config.ErrUnknownEnv) {
		t.Errorf("unknown env: %v", err)
	}
}
