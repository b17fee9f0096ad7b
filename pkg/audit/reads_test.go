package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestVaultAuditsEveryRead(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	fv, err := secrets.OpenFileVault(t.TempDir()+"/vault.json", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := fv.CreateSecret(ctx, "db", "v1", []byte(`{"password":"never-in-a-record"}`)); err != nil {
		t.Fatal(err)
	}
	v := &audit.Vault{Vault: fv, Recorder: &audit.Recorder{Store: st}, Who: "orders"}
	if _, err := v.GetSecretValue(ctx, "db", "", secrets.StageCurrent); err != nil {
		t.Fatal(err)
	}
	if _, err := v.GetSecretValue(ctx, "db", "", secrets.StagePending); !errors.Is(err, secrets.ErrVersionNotFound) {
		t.Fatalf("pending read: %v", err)
	}
	recs, err := audit.List(ctx, st, audit.Filter{Secret: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].What != audit.WhatSecretRead || recs[0].Who != "orders" || recs[0].Outcome != events.OutcomeSucceeded ||
		recs[1].Outcome != events.OutcomeFailed || recs[1].ErrorName != "Secrets.VersionNotFound" {
		t.Fatalf("records %+v", recs)
	}
	// A record that cannot be written never costs the reader its value.
	var heard error
	broken := &audit.Vault{Vault: fv, Recorder: &audit.Recorder{}, Who: "orders", OnError: func(err error) { heard = err }}
	if val, err := broken.GetSecretValue(ctx, "db", "", ""); err != nil || !strings.Contains(string(val.Bytes), "never") || heard == nil {
		t.Fatalf("read with a broken recorder: %v, heard %v", err, heard)
	}
}

// Under a Loader, only a store fetch is a config.read: cache hits within
// the TTL leave no record.
func TestParameterStoreAuditsFetchesNotCacheHits(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	ps := config.NewEmbedded(st, nil)
	if _, err := ps.Put(ctx, "/cogniforge/dev/orders/timeout", "5s", false); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	aps := &audit.ParameterStore{ParameterStore: ps, Recorder: &audit.Recorder{Store: st, Now: clk.Now}, Who: "orders"}
	type cfg struct {
		Timeout time.Duration `config:"timeout"`
	}
	l, err := config.NewLoader[cfg](aps, "dev", "orders", nil, config.LoaderConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	reads := func() int {
		recs, err := audit.List(ctx, st, audit.Filter{Secret: "/cogniforge/dev/orders/"})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	for i := 0; i < 5; i++ {
		if c, err := l.Get(ctx); err != nil || c.Timeout != 5*time.Second {
			t.Fatalf("get: %+v %v", c, err)
		}
	}
	if n := reads(); n != 1 {
		t.Fatalf("config.read records after 5 gets in one TTL = %d, want 1", n)
	}
	clk.Advance(config.DefaultTTL)
	if _, err := l.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if n := reads(); n != 2 {
		t.Fatalf("config.read records after the TTL = %d, want 2", n)
	}
}
