package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// A generic API-key rotation on the local file vault: Secrets Manager (or
// the local runtime) invokes the four steps with one token; the key
// changes, the other fields stay, and the old version becomes AWSPREVIOUS.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "vault")
	defer os.RemoveAll(dir)
	key := []byte("an-example-key-of-32-bytes-long!") // in practice: secrets.ParseKey(secrets.KeyEnv, os.Getenv(secrets.KeyEnv))
	vault, err := secrets.OpenFileVault(filepath.Join(dir, "vault"), key)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = vault.CreateSecret(ctx, "partner-api", "v1-00000000-0000-4000-8000-000000000000", []byte(`{"client":"acme","apiKey":"old"}`))

	const token = "c3f1a7e2-6b1d-4d0e-9a57-0b6f3f1e2d4c"
	_ = vault.StartRotation(ctx, "partner-api", token) // what RotateSecret does
	target := &secrets.Generic{Key: "apiKey", Policy: secrets.PasswordPolicy{Length: 24, ExcludePunctuation: true}}
	for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		req := secrets.Request{SecretID: "partner-api", ClientRequestToken: token, Step: step}
		if err := secrets.Rotate(ctx, vault, target, req); err != nil {
			fmt.Println(step, err)
			return
		}
	}
	cur, _ := vault.GetSecretValue(ctx, "partner-api", "", secrets.StageCurrent)
	var v map[string]string
	_ = json.Unmarshal(cur.Bytes, &v)
	prev, _ := vault.GetSecretValue(ctx, "partner-api", "", secrets.StagePrevious)
	fmt.Println(cur.VersionID == token, v["client"], len(v["apiKey"]), string(prev.Bytes))

	// A step for a token that is not pending is refused with a named error.
	err = secrets.Rotate(ctx, vault, target, secrets.Request{SecretID: "partner-api", ClientRequestToken: "v1-00000000-0000-4000-8000-000000000000", Step: secrets.StepSet})
	fmt.Println(err.(interface{ ErrorName() string }).ErrorName())
	// Output:
	// true acme 24 {"client":"acme","apiKey":"old"}
	// Secrets.NotPending
}
