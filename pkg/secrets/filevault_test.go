package secrets_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestFileVaultContract(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secretstest.Harness {
		v, err := secrets.OpenFileVault(filepath.Join(t.TempDir(), "vault"), testKey)
		if err != nil {
			t.Fatal(err)
		}
		return secretstest.Harness{
			Vault: v,
			Create: func(t *testing.T, id string, value []byte) {
				if err := v.CreateSecret(context.Background(), id, "00000000-0000-4000-8000-000000000000", value); err != nil {
					t.Fatal(err)
				}
			},
			Start: func(t *testing.T, id, token string) error { return v.StartRotation(context.Background(), id, token) },
		}
	})
}
