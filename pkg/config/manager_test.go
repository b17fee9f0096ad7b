package config_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
)

func TestManagerSet(t *testing.T) {
	ctx := context.Background()
	ps := newEmbedded()
	m := config.NewManager(ps)
	if err := config.Register(m, "orders", validOrders); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Set(ctx, "dev", "orders", "timeout", "5s"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env, fn, key, value string
		err                 error
	}{
		{"dev", "orders", "retries", "3", nil},
		{"dev", "orders", "retries", "99", config.ErrInvalidValue},
		{"dev", "orders", "retries", "x", config.ErrInvalidValue},
		{"dev", "orders", "timeout", "later", config.ErrInvalidValue},
		{"dev", "orders", "colour", "red", config.ErrInvalidValue},
		{"qa", "orders", "retries", "1", config.ErrUnknownEnv},
		{"dev", "orders", "../payments/key", "1", config.ErrInvalidName},
		// No schema registered: stored as given.
		{"dev", "payments", "anything", "goes", nil},
	}
	for _, c := range cases {
		_, err := m.Set(ctx, c.env, c.fn, c.key, c.value)
		if !errors.Is(err, c.err) {
			t.Errorf("Set(%s %s %s=%s) = %v, want %v", c.env, c.fn, c.key, c.value, err, c.err)
		}
	}
	// Refused writes left the running value unchanged.
	p, err := m.Get(ctx, "dev", "orders", "retries", "")
	if err != nil || p.Value != "3" || p.Version != 1 {
		t.Errorf("retries = %+v, %v; want 3 at version 1", p, err)
	}
	// A secure field is stored as a SecureString and masked in history.
	if _, err := m.Set(ctx, "dev", "orders", "password", "s3cret"); err != nil {
		t.Fatal(err)
	}
	h, err := m.History(ctx, "dev", "orders", "password")
	if err != nil || len(h) != 1 || !h[0].Secure || h[0].Value != config.MaskedValue {
		t.Errorf("password history = %+v, %v", h, err)
	}
}

func TestManagerRollback(t *testing.T) {
	ctx := context.Background()
	m := config.NewManager(newEmbedded())
	if err := config.Register(m, "orders", validOrders); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Set(ctx, "staging", "orders", "timeout", "1s"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rollback(ctx, "staging", "orders", "timeout"); !errors.Is(err, config.ErrNotFound) {
		t.Errorf("rollback of a single version: %v, want ErrNotFound", err)
	}
	if _, err := m.Set(ctx, "staging", "orders", "timeout", "9s"); err != nil {
		t.Fatal(err)
	}
	v, err := m.Rollback(ctx, "staging", "orders", "timeout")
	if err != nil {
		t.Fatal(err)
	}
	if v != 3 {
		t.Errorf("rollback version = %d, want 3", v)
	}
	p, err := m.Get(ctx, "staging", "orders", "timeout", "")
	if err != nil || p.Value != "1s" || p.Version != 3 {
		t.Errorf("current = %+v, %v; want 1s at version 3", p, err)
	}
	if p, err := m.Get(ctx, "staging", "orders", "timeout", config.RollbackLabel(2)); err != nil || p.Version != 3 {
		t.Errorf("by rollback label = %+v, %v", p, err)
	}
	h, err := m.History(ctx, "staging", "orders", "timeout")
	if err != nil || len(h) != 3 || h[1].Value != "9s" {
		t.Errorf("history not append-only: %+v, %v", h, err)
	}
}

func TestManagerWithoutSchemaKeepsSecure(t *testing.T) {
	ctx := context.Background()
	m := config.NewManager(newEmbedded())
	steps := []struct {
		secure bool // written with SetSecure
		want   bool
	}{{false, false}, {true, true}, {false, true}}
	for i, s := range steps {
		var err error
		if s.secure {
			_, err = m.SetSecure(ctx, "prod", "billing", "token", "v")
		} else {
			_, err = m.Set(ctx, "prod", "billing", "token", "v")
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Get(ctx, "prod", "billing", "token", "")
		if err != nil || p.Secure != s.want || p.Version != int64(i+1) {
			t.Errorf("step %d: %+v, %v; want secure %v", i, p, err, s.want)
		}
	}
}
