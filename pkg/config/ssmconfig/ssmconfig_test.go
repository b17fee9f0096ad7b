package ssmconfig_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/configtest"
	"github.com/cogniforge/cogniforge/pkg/config/ssmconfig"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// TestContract runs the ParameterStore contract against SSM in moto, the
// same suite the embedded store passes.
func TestContract(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	st := ssmconfig.New(ssm.NewFromConfig(cfg))
	configtest.Run(t, func(t *testing.T) config.ParameterStore { return st })
}

type settings struct {
	Limit int `config:"limit,required"`
}

func validate(s settings) error {
	if s.Limit < 1 {
		return fmt.Errorf("limit %d: want at least 1", s.Limit)
	}
	return nil
}

// TestLoaderOverSSM walks the story on moto: a value written
// through the Manager reaches the function after the TTL, a bad value is
// refused at write time, one written around the Manager never replaces the
// good value, and a rollback restores it as a new version.
func TestLoaderOverSSM(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	ps := ssmconfig.New(ssm.NewFromConfig(cfg))
	m := config.NewManager(ps)
	if err := config.Register(m, "orders", validate); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	scoped, err := config.NewScoped(ps, "staging", "orders")
	if err != nil {
		t.Fatal(err)
	}
	l, err := config.NewLoader(scoped, "staging", "orders", validate, config.LoaderConfig{TTL: time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := config.Path("staging", "orders", "limit")

	steps := []struct {
		name    string
		act     func() error
		wantErr error
		limit   int
	}{
		{"set", func() error { _, err := m.Set(ctx, "staging", "orders", "limit", "5"); return err }, nil, 5},
		{"refused at write", func() error { _, err := m.Set(ctx, "staging", "orders", "limit", "0"); return err }, config.ErrInvalidValue, 5},
		{"written around the manager", func() error { _, err := ps.Put(ctx, name, "zero", false); return err }, nil, 5},
		{"rollback", func() error { _, err := m.Rollback(ctx, "staging", "orders", "limit"); return err }, nil, 5},
		{"new good value", func() error { _, err := m.Set(ctx, "staging", "orders", "limit", "8"); return err }, nil, 8},
	}
	for _, s := range steps {
		if err := s.act(); !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.wantErr)
		}
		clk.Advance(time.Minute)
		got, err := l.Get(ctx)
		if err != nil || got.Limit != s.limit {
			t.Fatalf("%s: Get = %+v, %v; want limit %d", s.name, got, err, s.limit)
		}
		if bad := s.name == "written around the manager"; (l.Err() != nil) != bad {
			t.Fatalf("%s: Err = %v, want an error only while a bad version is current", s.name, l.Err())
		}
	}
	h, err := m.History(ctx, "staging", "orders", "limit")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range h {
		got = append(got, fmt.Sprintf("%d=%s%v", v.Version, v.Value, v.Labels))
	}
	if want := "[1=5[] 2=zero[] 3=5[rollback-from-2] 4=8[]]"; fmt.Sprint(got) != want {
		t.Errorf("history = %v, want %s", got, want)
	}
}
