package secretsfn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// The local vault is $COGNIFORGE_VAULT_FILE, else vault.json in the data
// directory.
func ExampleVaultPath() {
	env := map[string]string{"COGNIFORGE_DATA_DIR": "/var/lib/cogniforge"}
	fmt.Println(secretsfn.VaultPath(func(k string) string { return env[k] }))
	// Output: /var/lib/cogniforge/vault.json
}

// The rotator follows the secret: a key by default, PostgreSQL single user
// for a database secret, alternating users when it names its master.
func ExampleTargetFor() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vault")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	v, err := secrets.OpenFileVault(filepath.Join(dir, "vault.json"), make([]byte, 32))
	if err != nil {
		panic(err)
	}
	db := `{"engine":"postgres","host":"db.internal","port":5432,"username":"app","password":"p","dbname":"orders"`
	for id, value := range map[string]string{
		"1-api-key": `{"apiKey":"k"}`,
		"2-db":      db + `}`,
		"3-db-alt":  db + `,"masterarn":"rds-master"}`,
	} {
		if err := v.CreateSecret(ctx, id, "v1", []byte(value)); err != nil {
			panic(err)
		}
	}
	for _, id := range v.ListSecrets(ctx) {
		t, err := secretsfn.TargetFor(ctx, v, id)
		fmt.Printf("%s: %T database=%v %v\n", id, t, secretsfn.IsDatabase(t), err)
	}
	// Output:
	// 1-api-key: *secrets.Generic database=false <nil>
	// 2-db: *pgrotate.SingleUser database=true <nil>
	// 3-db-alt: *pgrotate.AlternatingUsers database=true <nil>
}
