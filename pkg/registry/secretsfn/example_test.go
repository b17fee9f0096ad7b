package secretsfn_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
)

// The local vault is $COGNIFORGE_VAULT_FILE, else vault.json in the data
// directory.
func ExampleVaultPath() {
	env := map[string]string{"COGNIFORGE_DATA_DIR": "/var/lib/cogniforge"}
	fmt.Println(secretsfn.VaultPath(func(k string) string { return env[k] }))
	// Output: /var/lib/cogniforge/vault.json
}
