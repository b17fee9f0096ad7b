package secrets_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

func TestFileVaultListSecretsSortedAndPersisted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vault.json")
	key := bytes.Repeat([]byte{1}, 32)
	v, err := secrets.OpenFileVault(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.ListSecrets(ctx); len(got) != 0 {
		t.Fatalf("empty vault lists %v", got)
	}
	for _, id := range []string{"b", "a", "c"} {
		if err := v.CreateSecret(ctx, id, "v1", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	again, err := secrets.OpenFileVault(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.ListSecrets(ctx); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("ListSecrets = %v, want [a b c]", got)
	}
}
