package config_test

import (
	"errors"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
)

func TestPath(t *testing.T) {
	cases := []struct {
		env, fn, key string
		want         string
		err          error
	}{
		{"dev", "orders", "timeout", "/cogniforge/dev/orders/timeout", nil},
		{"prod", "orders", "db/host", "/cogniforge/prod/orders/db/host", nil},
		{"qa", "orders", "timeout", "", config.ErrUnknownEnv},
		{"dev", "or/ders", "timeout", "", config.ErrInvalidName},
		{"dev", "orders", "", "", config.ErrInvalidName},
		{"dev", "orders", "a//b", "", config.ErrInvalidName},
		{"dev", "orders", "a b", "", config.ErrInvalidName},
	}
	for _, c := range cases {
		got, err := config.Path(c.env, c.fn, c.key)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Path(%q, %q, %q) = %q, %v; want %q, %v", c.env, c.fn, c.key, got, err, c.want, c.err)
		}
	}
}

func TestCheckScope(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"/cogniforge/dev/orders/timeout", nil},
		{"/cogniforge/dev/orders/db/host", nil},
		{"/cogniforge/dev/payments/key", config.ErrOutOfScope},
		{"/cogniforge/prod/orders/timeout", config.ErrOutOfScope},
		{"/cogniforge/dev/ordersx/timeout", config.ErrOutOfScope},
		{"/cogniforge/dev/orders/../payments/key", config.ErrOutOfScope},
	}
	for _, c := range cases {
		if err := config.CheckScope("dev", "orders", c.name); !errors.Is(err, c.err) {
			t.Errorf("CheckScope(%q) = %v, want %v", c.name, err, c.err)
		}
	}
	if err := config.CheckScope("test", "orders", "/cogniforge/test/orders/x"); !errors.Is(err, config.ErrUnknownEnv) {
		t.Errorf("unknown env: %v", err)
	}
}
