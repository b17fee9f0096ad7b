package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestKeyStore(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	st := memory.New(memory.Config{Now: clk.Now})
	ks := apiclient.NewKeyStore(st, apiclient.KeyStoreConfig{Now: clk.Now, CacheTTL: time.Minute})

	key, rec, err := ks.Create(ctx, "acme", apiclient.Premium)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, apiclient.KeyPrefix) || rec.Hash != apiclient.HashKey(key) || rec.ID != rec.Hash[:12] {
		t.Errorf("Create: key %q record %+v", key, rec)
	}
	// Only the hash is stored.
	items, _ := st.Query(ctx, apiclient.KeyPartition, "", 0)
	if len(items) != 1 || strings.Contains(string(items[0].Value), key) || items[0].Key.Sort != rec.Hash {
		t.Fatalf("stored %+v", items)
	}
	id := apiclient.Identifier{Keys: ks}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(apiclient.APIKeyHeader, key)
	if c, err := id.Identify(r); err != nil || c.ID != "acme" || c.Class != apiclient.Premium {
		t.Errorf("Identify: %+v %v", c, err)
	}
	if _, _, err := ks.Create(ctx, "bad name", apiclient.Anonymous); !errors.Is(err, apiclient.ErrInvalidClient) || !strings.Contains(err.Error(), "class") || !strings.Contains(err.Error(), "client") {
		t.Errorf("Create with bad input: %v", err)
	}
	key2, _, _ := ks.Create(ctx, "bob", apiclient.Authenticated)
	list, err := ks.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List: %+v %v", list, err)
	}

	// Revoke: another instance's cache forgets within the TTL; this one at once.
	other := apiclient.NewKeyStore(st, apiclient.KeyStoreConfig{Now: clk.Now, CacheTTL: time.Minute})
	if _, ok, _ := other.LookupKey(ctx, apiclient.HashKey(key)); !ok {
		t.Fatal("other instance does not know the key")
	}
	if got, err := ks.Revoke(ctx, rec.ID, ""); err != nil || len(got) != 1 || got[0].Client != "acme" {
		t.Fatalf("Revoke: %+v %v", got, err)
	}
	if _, err := id.Identify(r); !errors.Is(err, apiclient.ErrUnknownKey) {
		t.Errorf("revoked key still identifies: %v", err)
	}
	if _, ok, _ := other.LookupKey(ctx, apiclient.HashKey(key)); !ok {
		t.Error("other instance forgot before its cache TTL")
	}
	clk.Advance(time.Minute)
	if _, ok, _ := other.LookupKey(ctx, apiclient.HashKey(key)); ok {
		t.Error("other instance still knows the revoked key after the TTL")
	}
	if _, err := ks.Revoke(ctx, rec.ID, ""); !errors.Is(err, apiclient.ErrNoSuchKey) {
		t.Errorf("second Revoke: %v", err)
	}
	if got, err := ks.Revoke(ctx, "", "bob"); err != nil || len(got) != 1 {
		t.Errorf("Revoke by client: %+v %v", got, err)
	}
	if _, ok, _ := ks.LookupKey(ctx, apiclient.HashKey(key2)); ok {
		t.Error("bob's key survived")
	}
}
