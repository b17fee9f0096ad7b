package pgrotate_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
)

// A single-user rotation of an RDS-shaped secret, step by step as Secrets
// Manager invokes the rotation function. It needs a live database, so it
// is compiled but not run; the tests run the same flow on a real
// PostgreSQL.
func Example() {
	ctx := context.Background()
	var vault secrets.Vault // smsecrets.NewFromConfig(cfg), or a *secrets.FileVault locally
	target := &pgrotate.SingleUser{Conn: pgrotate.Conn{SSLMode: "require"}}
	// For alternating users: &pgrotate.AlternatingUsers{Master: vault}.
	const token = "c3f1a7e2-6b1d-4d0e-9a57-0b6f3f1e2d4c"
	for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		req := secrets.Request{SecretID: "prod/orders/db", ClientRequestToken: token, Step: step}
		if err := secrets.Rotate(ctx, vault, target, req); err != nil {
			fmt.Println(step, err) // e.g. Secrets.SetFailed: ...: PostgreSQL.Unreachable: db.internal:5432: ...
			return
		}
	}
}

// ParseSecret names what is wrong with a secret, never its password.
func ExampleParseSecret() {
	_, err := pgrotate.ParseSecret([]byte(`{"engine":"mysql","host":"db","username":"app","password":"s3cret"}`))
	fmt.Println(err)
	_, err = pgrotate.ParseSecret([]byte(`{"engine":"postgres","port":5432}`))
	fmt.Println(err)
	// Output:
	// Secrets.InvalidSecret: engine is "mysql", want "postgres": secret is not for the postgres engine
	// Secrets.InvalidSecret: missing host, username, password: secret value is missing a required field
}
