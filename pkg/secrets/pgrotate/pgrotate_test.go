package pgrotate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var steps = []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish}

const (
	tok1 = "11111111-1111-4111-8111-111111111111"
	tok2 = "22222222-2222-4222-8222-222222222222"
	v0   = "00000000-0000-4000-8000-000000000000"
)

// fast makes testSecret retry without waiting.
var fast = secrets.WithTestBackoff(func() backoff.BackOff { return &backoff.ZeroBackOff{} }, 3)

// nastyVault hands out a password full of quotes, backslashes and SQL, to
// prove the ALTER ROLE literal is quoted, not spliced (non-ASCII takes the
// plaintext literal path, ASCII the SCRAM verifier path).
type nastyVault struct {
	secrets.Vault
	pw string
}

func (n nastyVault) GetRandomPassword(context.Context, secrets.PasswordPolicy) (string, error) {
	return n.pw, nil
}

// backend is a Vault plus the two calls around a rotation that are not part
// of the port: the file vault has them, and secretstest.SecretsManager makes them on moto.
type backend interface {
	secrets.Vault
	CreateSecret(ctx context.Context, id, versionID string, value []byte) error
	StartRotation(ctx context.Context, id, token string) error
}

// env is one PostgreSQL server and a vault holding the master secret;
// each subtest uses its own application role.
type env struct {
	pg    testenv.Postgres
	super *pgx.Conn
	vault backend
	n     *atomic.Int64
}

const masterID = "rds-master"

// startPostgres starts the server and creates the master role: what RDS
// gives, not a superuser but CREATEROLE.
func startPostgres(t testing.TB) (testenv.Postgres, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	pg := testenv.StartPostgres(t)
	super, err := pgx.Connect(ctx, pg.URL(pg.SuperUser, pg.SuperPassword))
	if err != nil {
		t.Fatalf("superuser login: %v", err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	if _, err := super.Exec(ctx, `CREATE ROLE master WITH LOGIN CREATEROLE PASSWORD 'master-pw-1'`); err != nil {
		t.Fatal(err)
	}
	return pg, super
}

func newEnv(t testing.TB, pg testenv.Postgres, super *pgx.Conn, n *atomic.Int64, vault backend) *env {
	t.Helper()
	e := &env{pg: pg, super: super, vault: vault, n: n}
	if err := vault.CreateSecret(context.Background(), masterID, v0, e.secret("master", "master-pw-1", "")); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) secret(user, password, master string) []byte {
	m := map[string]any{"engine": "postgres", "host": e.pg.Host, "port": e.pg.Port, "username": user, "password": password, "dbname": e.pg.Database, "note": "kept"}
	if master != "" {
		m["masterarn"] = master
	}
	b, _ := json.Marshal(m)
	return b
}

// app creates a login role with a password and a secret for it; it returns
// the secret's id and the role's name.
func (e *env) app(t testing.TB, master string) (id, user string) {
	t.Helper()
	n := e.n.Add(1)
	user = fmt.Sprintf("app%d", n)
	if _, err := e.super.Exec(context.Background(), "CREATE ROLE "+user+" WITH LOGIN PASSWORD 'initial-pw'"); err != nil {
		t.Fatal(err)
	}
	id = "db-" + user
	if err := e.vault.CreateSecret(context.Background(), id, v0, e.secret(user, "initial-pw", master)); err != nil {
		t.Fatal(err)
	}
	return id, user
}

// login reports whether user logs in with password.
func (e *env) login(user, password string) error {
	cfg, err := pgx.ParseConfig(e.pg.URL("x", "x"))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = user, password
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		return err
	}
	return conn.Close(context.Background())
}

func stage(t *testing.T, v secrets.Vault, id, st string) (secrets.Value, pgrotate.Secret) {
	t.Helper()
	val, err := v.GetSecretValue(context.Background(), id, "", st)
	if err != nil {
		t.Fatalf("%s %s: %v", id, st, err)
	}
	s, err := pgrotate.ParseSecret(val.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return val, s
}

// rotate starts a rotation with token and runs steps, each twice.
func rotate(t *testing.T, v secrets.Vault, fv backend, target secrets.Target, id, token string, steps ...string) {
	t.Helper()
	if err := fv.StartRotation(context.Background(), id, token); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps {
		for i := range 2 {
			if err := secrets.Rotate(context.Background(), v, target, secrets.Request{SecretID: id, ClientRequestToken: token, Step: step}, fast); err != nil {
				t.Fatalf("%s (call %d): %v", step, i+1, err)
			}
		}
	}
}

// TestRotationOnPostgres runs every case on one PostgreSQL, once with the
// file vault and once with Secrets Manager on moto.
func TestRotationOnPostgres(t *testing.T) {
	pg, super := startPostgres(t)
	var n atomic.Int64
	t.Run("FileVault", func(t *testing.T) {
		fv, err := secrets.OpenFileVault(filepath.Join(t.TempDir(), "vault"), []byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		rotationCases(t, newEnv(t, pg, super, &n, fv))
	})
	t.Run("SecretsManagerOnMoto", func(t *testing.T) {
		api := secretsmanager.NewFromConfig(aws.Config{
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
			BaseEndpoint: aws.String(testenv.StartMoto(t)),
		})
		rotationCases(t, newEnv(t, pg, super, &n, secretstest.NewSecretsManager(api)))
	})
}

// BenchmarkFullRotation times one rotation (RotateSecret's stub and the
// four steps, each once) against the local PostgreSQL, for each rotator
// and vault. The budget is 2 s per rotation with moto.
func BenchmarkFullRotation(b *testing.B) {
	pg, super := startPostgres(b)
	var n atomic.Int64
	api := secretsmanager.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(testenv.StartMoto(b)),
	})
	fv, err := secrets.OpenFileVault(filepath.Join(b.TempDir(), "vault"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name  string
		vault backend
	}{{"FileVault", fv}, {"Moto", secretstest.NewSecretsManager(api)}} {
		e := newEnv(b, pg, super, &n, v.vault)
		for _, r := range []struct {
			name   string
			master string
			target secrets.Target
		}{{"SingleUser", "", &pgrotate.SingleUser{}}, {"AlternatingUsers", masterID, &pgrotate.AlternatingUsers{Master: e.vault}}} {
			b.Run(v.name+"/"+r.name, func(b *testing.B) {
				id, _ := e.app(b, r.master)
				ctx := context.Background()
				i := 0
				for b.Loop() {
					i++
					token := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
					if err := e.vault.StartRotation(ctx, id, token); err != nil {
						b.Fatal(err)
					}
					for _, step := range steps {
						if err := secrets.Rotate(ctx, e.vault, r.target, secrets.Request{SecretID: id, ClientRequestToken: token, Step: step}, fast); err != nil {
							b.Fatalf("%s: %v", step, err)
						}
					}
				}
			})
		}
	}
}

func rotationCases(t *testing.T, e *env) {
	ctx := context.Background()

	t.Run("SingleUserEachStepTwice", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			vault secrets.Vault
		}{{"random", e.vault}, {"quotes-ascii", nastyVault{e.vault, `it's a \'; DROP ROLE master; -- "x" \\`}}, {"quotes-non-ascii", nastyVault{e.vault, `pässwörd's \'; DROP ROLE master; -- \\`}}} {
			t.Run(tc.name, func(t *testing.T) {
				id, user := e.app(t, "")
				rotate(t, tc.vault, e.vault, &pgrotate.SingleUser{}, id, tok1, steps...)
				cur, s := stage(t, e.vault, id, secrets.StageCurrent)
				if cur.VersionID != tok1 || s.Username != user || s.Password == "initial-pw" {
					t.Fatalf("AWSCURRENT = %s user %s", cur.VersionID, s.Username)
				}
				if !strings.Contains(string(cur.Bytes), `"note":"kept"`) {
					t.Errorf("other fields dropped: %s", cur.Bytes)
				}
				if prev, _ := stage(t, e.vault, id, secrets.StagePrevious); prev.VersionID != v0 {
					t.Errorf("AWSPREVIOUS = %s, want %s", prev.VersionID, v0)
				}
				if err := e.login(user, s.Password); err != nil {
					t.Errorf("new password does not log in: %v", err)
				}
				if err := e.login(user, "initial-pw"); err == nil {
					t.Error("old password still logs in after single-user rotation")
				}
				if err := e.login("master", "master-pw-1"); err != nil {
					t.Errorf("master broken by the quoted literal: %v", err)
				}
			})
		}
	})

	t.Run("AlternatingUsersTwoRotations", func(t *testing.T) {
		id, user := e.app(t, masterID)
		target := &pgrotate.AlternatingUsers{Master: e.vault}
		rotate(t, e.vault, e.vault, target, id, tok1, steps...)
		_, s1 := stage(t, e.vault, id, secrets.StageCurrent)
		if s1.Username != user+"_clone" {
			t.Fatalf("after first rotation user = %q, want %s_clone", s1.Username, user)
		}
		if err := e.login(s1.Username, s1.Password); err != nil {
			t.Errorf("clone does not log in: %v", err)
		}
		if err := e.login(user, "initial-pw"); err != nil {
			t.Errorf("previous credential stopped working: %v", err)
		}
		var member bool
		if err := e.super.QueryRow(ctx, "SELECT pg_has_role($1, $2, 'MEMBER')", s1.Username, user).Scan(&member); err != nil || !member {
			t.Errorf("clone is not a member of %s: %v %v", user, member, err)
		}

		rotate(t, e.vault, e.vault, target, id, tok2, steps...)
		_, s2 := stage(t, e.vault, id, secrets.StageCurrent)
		if s2.Username != user || s2.Password == "initial-pw" {
			t.Fatalf("after second rotation user = %q", s2.Username)
		}
		if err := e.login(user, s2.Password); err != nil {
			t.Errorf("new password does not log in: %v", err)
		}
		if err := e.login(s1.Username, s1.Password); err != nil {
			t.Errorf("previous (clone) credential stopped working: %v", err)
		}
		if err := e.login(user, "initial-pw"); err == nil {
			t.Error("password from two rotations ago still logs in")
		}
	})

	t.Run("CrashBetweenSetAndFinishRecovers", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			master string
			target secrets.Target
		}{
			{"single", "", &pgrotate.SingleUser{}},
			{"alternating", masterID, &pgrotate.AlternatingUsers{Master: e.vault}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, _ := e.app(t, tc.master)
				rotate(t, e.vault, e.vault, tc.target, id, tok1, secrets.StepCreate, secrets.StepSet)
				// Crash: the database has the new password, AWSCURRENT the old.
				pend, ps := stage(t, e.vault, id, secrets.StagePending)
				if cur, _ := stage(t, e.vault, id, secrets.StageCurrent); cur.VersionID != v0 {
					t.Fatalf("AWSCURRENT moved before finishSecret: %s", cur.VersionID)
				}
				if err := e.login(ps.Username, ps.Password); err != nil {
					t.Fatalf("setSecret did not reach the database: %v", err)
				}
				// Secrets Manager retries the whole rotation with the same token.
				rotate(t, e.vault, e.vault, tc.target, id, tok1, steps...)
				cur, cs := stage(t, e.vault, id, secrets.StageCurrent)
				if cur.VersionID != pend.VersionID || cs.Password != ps.Password {
					t.Fatalf("AWSCURRENT = %s, want the pending version %s", cur.VersionID, pend.VersionID)
				}
				if err := e.login(cs.Username, cs.Password); err != nil {
					t.Errorf("recovered credential does not log in: %v", err)
				}
			})
		}
	})

	t.Run("TestSecretFailureLeavesCurrentWorking", func(t *testing.T) {
		id, user := e.app(t, "")
		// A setSecret that "succeeded" without changing anything: the
		// pending password never reaches the database.
		skipSet := struct {
			secrets.Generator
			secrets.Target
		}{&pgrotate.SingleUser{}, noSet{&pgrotate.SingleUser{}}}
		if err := e.vault.StartRotation(ctx, id, tok1); err != nil {
			t.Fatal(err)
		}
		for _, step := range steps[:2] {
			if err := secrets.Rotate(ctx, e.vault, skipSet, secrets.Request{SecretID: id, ClientRequestToken: tok1, Step: step}, fast); err != nil {
				t.Fatal(err)
			}
		}
		err := secrets.Rotate(ctx, e.vault, skipSet, secrets.Request{SecretID: id, ClientRequestToken: tok1, Step: secrets.StepTest}, fast)
		if !errors.Is(err, secrets.ErrTestFailed) || !errors.Is(err, pgrotate.ErrLoginFailed) {
			t.Fatalf("testSecret = %v, want Secrets.TestFailed wrapping PostgreSQL.LoginFailed", err)
		}
		if strings.Contains(err.Error(), "initial-pw") {
			t.Errorf("error leaks a password: %v", err)
		}
		if cur, _ := stage(t, e.vault, id, secrets.StageCurrent); cur.VersionID != v0 {
			t.Fatalf("AWSCURRENT moved after a failed test: %s", cur.VersionID)
		}
		if err := e.login(user, "initial-pw"); err != nil {
			t.Fatalf("current credential broken: %v", err)
		}
		// The next attempt, with the real rotator, completes.
		rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok1, steps...)
		_, s := stage(t, e.vault, id, secrets.StageCurrent)
		if err := e.login(user, s.Password); err != nil {
			t.Errorf("new password does not log in: %v", err)
		}
	})

	t.Run("SetFallsBackOnPrevious", func(t *testing.T) {
		// The database went back to the AWSPREVIOUS password (restored by
		// hand): the current one no longer logs in, the previous does.
		id, user := e.app(t, "")
		rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok1, steps...)
		if _, err := e.super.Exec(ctx, "ALTER ROLE "+user+" PASSWORD 'initial-pw'"); err != nil {
			t.Fatal(err)
		}
		rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok2, steps...)
		cur, s := stage(t, e.vault, id, secrets.StageCurrent)
		if cur.VersionID != tok2 {
			t.Fatalf("AWSCURRENT = %s, want %s", cur.VersionID, tok2)
		}
		if err := e.login(user, s.Password); err != nil {
			t.Fatalf("new password does not log in: %v", err)
		}
		if err := e.login(user, "initial-pw"); err == nil {
			t.Fatal("the password the fallback logged in with still works")
		}
	})

	t.Run("SetNamesEveryVersionTriedWhenNoneLogsIn", func(t *testing.T) {
		for _, tc := range []struct {
			name         string
			rotateFirst  bool
			wantPrevious string
		}{
			{"no previous", false, "AWSPREVIOUS: none"},
			{"previous refused", true, "AWSPREVIOUS: password authentication failed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, user := e.app(t, "")
				tok := tok1
				if tc.rotateFirst {
					rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok1, steps...)
					tok = tok2
				}
				if _, err := e.super.Exec(ctx, "ALTER ROLE "+user+" PASSWORD 'someone-else-pw'"); err != nil {
					t.Fatal(err)
				}
				rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok, secrets.StepCreate)
				err := secrets.Rotate(ctx, e.vault, &pgrotate.SingleUser{}, secrets.Request{SecretID: id, ClientRequestToken: tok, Step: secrets.StepSet})
				if !errors.Is(err, secrets.ErrSetFailed) || !errors.Is(err, pgrotate.ErrLoginFailed) {
					t.Fatalf("setSecret = %v, want Secrets.SetFailed wrapping PostgreSQL.LoginFailed", err)
				}
				for _, want := range []string{"AWSPENDING: password authentication failed", "AWSCURRENT: password authentication failed", tc.wantPrevious, strconv.Quote(user)} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				_, cs := stage(t, e.vault, id, secrets.StageCurrent)
				_, ps := stage(t, e.vault, id, secrets.StagePending)
				for _, pw := range []string{cs.Password, ps.Password, "initial-pw", "someone-else-pw"} {
					if strings.Contains(err.Error(), pw) {
						t.Fatalf("error leaks a password: %v", err)
					}
				}
				if err := e.login(user, "someone-else-pw"); err != nil {
					t.Fatalf("a failed setSecret changed the database: %v", err)
				}
			})
		}
	})

	t.Run("AlternatingMasterFallsBackOnPrevious", func(t *testing.T) {
		// The master secret was rotated in the vault, not yet on the
		// database: its AWSPREVIOUS is what logs in.
		n := e.n.Add(1)
		masterRole, masterSecret := fmt.Sprintf("master%d", n), fmt.Sprintf("rds-master-%d", n)
		if _, err := e.super.Exec(ctx, "CREATE ROLE "+masterRole+" WITH LOGIN CREATEROLE PASSWORD 'master-old-pw'"); err != nil {
			t.Fatal(err)
		}
		if err := e.vault.CreateSecret(ctx, masterSecret, v0, e.secret(masterRole, "master-old-pw", "")); err != nil {
			t.Fatal(err)
		}
		if err := e.vault.PutSecretValue(ctx, masterSecret, tok1, e.secret(masterRole, "master-new-pw", ""), []string{secrets.StagePending}); err != nil {
			t.Fatal(err)
		}
		if err := e.vault.UpdateSecretVersionStage(ctx, masterSecret, secrets.StageCurrent, tok1, v0); err != nil {
			t.Fatal(err)
		}
		if err := e.vault.UpdateSecretVersionStage(ctx, masterSecret, secrets.StagePending, "", tok1); err != nil {
			t.Fatal(err)
		}
		id, user := e.app(t, masterSecret)
		rotate(t, e.vault, e.vault, &pgrotate.AlternatingUsers{Master: e.vault}, id, tok1, steps...)
		_, s := stage(t, e.vault, id, secrets.StageCurrent)
		if s.Username != user+pgrotate.CloneSuffix {
			t.Fatalf("user %q after rotation", s.Username)
		}
		if err := e.login(s.Username, s.Password); err != nil {
			t.Fatalf("clone does not log in: %v", err)
		}
		// Neither master version logs in: the error names both.
		if _, err := e.super.Exec(ctx, "ALTER ROLE "+masterRole+" PASSWORD 'master-third-pw'"); err != nil {
			t.Fatal(err)
		}
		rotate(t, e.vault, e.vault, &pgrotate.AlternatingUsers{Master: e.vault}, id, tok2, secrets.StepCreate)
		err := secrets.Rotate(ctx, e.vault, &pgrotate.AlternatingUsers{Master: e.vault}, secrets.Request{SecretID: id, ClientRequestToken: tok2, Step: secrets.StepSet})
		if !errors.Is(err, pgrotate.ErrLoginFailed) || !strings.Contains(err.Error(), "AWSCURRENT: password authentication failed") ||
			!strings.Contains(err.Error(), "AWSPREVIOUS: password authentication failed") || !strings.Contains(err.Error(), masterSecret) {
			t.Fatalf("setSecret = %v, want PostgreSQL.LoginFailed naming both master versions", err)
		}
		for _, pw := range []string{"master-old-pw", "master-new-pw", "master-third-pw"} {
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("error leaks a password: %v", err)
			}
		}
		if err := e.login(s.Username, s.Password); err != nil {
			t.Fatalf("the current credential stopped working: %v", err)
		}
	})

	t.Run("UnreachableDatabase", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			target secrets.Target
		}{
			{"single", &pgrotate.SingleUser{}},
			{"alternating", &pgrotate.AlternatingUsers{Master: e.vault}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				port := testenv.FreePort(t) // nothing listens there
				id := "db-unreachable-" + tc.name
				val := e.secret("app-down", "initial-pw", masterID)
				val = []byte(strings.Replace(string(val), `"port":`+strconv.Itoa(e.pg.Port), `"port":`+strconv.Itoa(port), 1))
				if err := e.vault.CreateSecret(ctx, id, v0, val); err != nil {
					t.Fatal(err)
				}
				if err := e.vault.StartRotation(ctx, id, tok1); err != nil {
					t.Fatal(err)
				}
				if err := secrets.Rotate(ctx, e.vault, tc.target, secrets.Request{SecretID: id, ClientRequestToken: tok1, Step: secrets.StepCreate}); err != nil {
					t.Fatal(err)
				}
				err := secrets.Rotate(ctx, e.vault, tc.target, secrets.Request{SecretID: id, ClientRequestToken: tok1, Step: secrets.StepSet})
				addr := "127.0.0.1:" + strconv.Itoa(port)
				if !errors.Is(err, secrets.ErrSetFailed) || !errors.Is(err, pgrotate.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
					t.Fatalf("setSecret = %v, want Secrets.SetFailed wrapping PostgreSQL.Unreachable naming %s", err, addr)
				}
				if cur, s := stage(t, e.vault, id, secrets.StageCurrent); cur.VersionID != v0 || s.Password != "initial-pw" {
					t.Fatalf("AWSCURRENT changed after a failed setSecret: %s", cur.VersionID)
				}
			})
		}
	})

	t.Run("RollbackThroughSetAndTest", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			master string
			target secrets.Target
		}{
			{"single", "", &pgrotate.SingleUser{}},
			{"alternating", masterID, &pgrotate.AlternatingUsers{Master: e.vault}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, user := e.app(t, tc.master)
				rotate(t, e.vault, e.vault, tc.target, id, tok1, steps...)
				cur, cs := stage(t, e.vault, id, secrets.StageCurrent)
				prev, _ := stage(t, e.vault, id, secrets.StagePrevious)
				// What `secrets rollback` does before moving AWSCURRENT back.
				if err := tc.target.Set(ctx, cur.Bytes, prev.Bytes); err != nil {
					t.Fatalf("Set(current, previous): %v", err)
				}
				if err := tc.target.Test(ctx, prev.Bytes); err != nil {
					t.Fatalf("previous does not log in after rollback: %v", err)
				}
				if err := e.login(user, "initial-pw"); err != nil {
					t.Fatal(err)
				}
				if tc.name == "single" {
					if err := e.login(user, cs.Password); err == nil {
						t.Error("rolled-back single-user password still logs in")
					}
				}
			})
		}
	})

	t.Run("SecondRotationWhilePendingRefused", func(t *testing.T) {
		id, user := e.app(t, "")
		rotate(t, e.vault, e.vault, &pgrotate.SingleUser{}, id, tok1, secrets.StepCreate)
		err := secrets.Rotate(ctx, e.vault, &pgrotate.SingleUser{}, secrets.Request{SecretID: id, ClientRequestToken: tok2, Step: secrets.StepSet})
		if !errors.Is(err, secrets.ErrRotationInProgress) || !strings.Contains(err.Error(), tok1) {
			t.Fatalf("second rotation = %v, want Secrets.RotationInProgress naming %s", err, tok1)
		}
		if err := e.login(user, "initial-pw"); err != nil {
			t.Fatalf("current credential broken: %v", err)
		}
	})

	t.Run("AlternatingWithoutMasterARN", func(t *testing.T) {
		id, _ := e.app(t, "")
		if err := e.vault.StartRotation(ctx, id, tok1); err != nil {
			t.Fatal(err)
		}
		err := secrets.Rotate(ctx, e.vault, &pgrotate.AlternatingUsers{Master: e.vault}, secrets.Request{SecretID: id, ClientRequestToken: tok1, Step: secrets.StepCreate})
		if !errors.Is(err, secrets.ErrInvalidSecret) || !errors.Is(err, pgrotate.ErrMissingField) || !strings.Contains(err.Error(), "masterarn") {
			t.Fatalf("createSecret = %v, want Secrets.InvalidSecret naming masterarn", err)
		}
	})
}

// noSet is a Target whose setSecret does nothing.
type noSet struct{ secrets.Target }

func (noSet) Set(context.Context, []byte, []byte) error { return nil }

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
		msg      string
	}{
		{"not json", `hunter2`, pgrotate.ErrNotJSON, "JSON object"},
		{"json array", `[1]`, pgrotate.ErrNotJSON, "JSON object"},
		{"missing fields", `{"engine":"postgres","port":5432}`, pgrotate.ErrMissingField, "host, username, password"},
		{"wrong engine", `{"engine":"mysql","host":"h","username":"u","password":"p"}`, pgrotate.ErrWrongEngine, `"mysql"`},
		{"bad port", `{"host":"h","username":"u","password":"p","port":"x"}`, pgrotate.ErrNotJSON, "port"},
		{"port out of range", `{"host":"h","username":"u","password":"p","port":70000}`, pgrotate.ErrNotJSON, "70000"},
		{"username not a string", `{"host":"h","username":1,"password":"p"}`, pgrotate.ErrNotJSON, "username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pgrotate.ParseSecret([]byte(tc.in))
			if !errors.Is(err, tc.want) || !errors.Is(err, secrets.ErrInvalidSecret) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ParseSecret = %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	s, err := pgrotate.ParseSecret([]byte(`{"host":"db","username":"u","password":"p","port":"6432"}`))
	if err != nil || s.Port != 6432 || s.DBName != "postgres" || s.Addr() != "db:6432" {
		t.Fatalf("ParseSecret = %+v, %v", s, err)
	}
	s, err = pgrotate.ParseSecret([]byte(`{"engine":"postgres","host":"db","username":"u","password":"p"}`))
	if err != nil || s.Port != pgrotate.DefaultPort {
		t.Fatalf("default port: %+v, %v", s, err)
	}
}

// FuzzParseSecret: any input either parses into a secret with the required
// fields and a valid port, or is refused as Secrets.InvalidSecret.
func FuzzParseSecret(f *testing.F) {
	for _, seed := range []string{
		`{"engine":"postgres","host":"db","port":5432,"username":"u","password":"p","dbname":"d","masterarn":"m"}`,
		`{"host":"db","port":"6432","username":"u","password":"p"}`,
		`{"engine":"mysql"}`, `null`, `[]`, `{"port":1e3}`, `{"host":"h","username":"u","password":"p","port":-1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := pgrotate.ParseSecret(b)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalidSecret) {
				t.Fatalf("error %v is not Secrets.InvalidSecret", err)
			}
			return
		}
		if s.Host == "" || s.Username == "" || s.Password == "" || s.Port < 1 || s.Port > 65535 || s.DBName == "" {
			t.Fatalf("accepted an incomplete secret: %+v", s)
		}
	})
}
