package secrets_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// backend is a vault plus the calls around a rotation outside the port:
// secrets.FileVault and secretstest.SecretsManager both are.
type backend interface {
	secrets.Vault
	CreateSecret(ctx context.Context, id, versionID string, value []byte) error
	StartRotation(ctx context.Context, id, token string) error
}

// fileBackend opens the vault file afresh for every call, so it sees what
// the CLI wrote in between (a FileVault reads its file once, when opened).
type fileBackend struct {
	path string
	key  []byte
}

func (f fileBackend) open() (*secrets.FileVault, error) { return secrets.OpenFileVault(f.path, f.key) }

func (f fileBackend) DescribeSecret(ctx context.Context, id string) (secrets.Description, error) {
	v, err := f.open()
	if err != nil {
		return secrets.Description{}, err
	}
	return v.DescribeSecret(ctx, id)
}

func (f fileBackend) GetSecretValue(ctx context.Context, id, versionID, stage string) (secrets.Value, error) {
	v, err := f.open()
	if err != nil {
		return secrets.Value{}, err
	}
	return v.GetSecretValue(ctx, id, versionID, stage)
}

func (f fileBackend) PutSecretValue(ctx context.Context, id, token string, value []byte, stages []string) error {
	v, err := f.open()
	if err != nil {
		return err
	}
	return v.PutSecretValue(ctx, id, token, value, stages)
}

func (f fileBackend) UpdateSecretVersionStage(ctx context.Context, id, stage, moveTo, removeFrom string) error {
	v, err := f.open()
	if err != nil {
		return err
	}
	return v.UpdateSecretVersionStage(ctx, id, stage, moveTo, removeFrom)
}

func (f fileBackend) GetRandomPassword(ctx context.Context, p secrets.PasswordPolicy) (string, error) {
	v, err := f.open()
	if err != nil {
		return "", err
	}
	return v.GetRandomPassword(ctx, p)
}

func (f fileBackend) CreateSecret(ctx context.Context, id, versionID string, value []byte) error {
	v, err := f.open()
	if err != nil {
		return err
	}
	return v.CreateSecret(ctx, id, versionID, value)
}

func (f fileBackend) StartRotation(ctx context.Context, id, token string) error {
	v, err := f.open()
	if err != nil {
		return err
	}
	return v.StartRotation(ctx, id, token)
}

// runCLI runs the built cogniforge with env and returns its exit code and
// everything it printed.
func runCLI(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(cli, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

const (
	pgInitial = "integration-initial-pw-must-not-print"
	pgMaster  = "integration-master-pw-must-not-print"
	pgV0      = "00000000-0000-4000-8000-000000000000"
	pgTok     = "cccccccc-0000-4000-8000-000000000001"
)

// TestSecretPostgresRotationThroughInvoke rotates PostgreSQL secrets (single user
// and alternating users) by running `cogniforge invoke secret-rotator
// --payload` for each step, twice, as Secrets Manager would, against a
// real scram-sha-256 PostgreSQL: on the local vault, and on Secrets
// Manager (moto) with the CLI's ports on AWS (AWS_ENDPOINT_URL).
func TestSecretPostgresRotationThroughInvoke(t *testing.T) {
	ctx := context.Background()
	pg := testenv.StartPostgres(t)
	super, err := pgx.Connect(ctx, pg.URL(pg.SuperUser, pg.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	if _, err := super.Exec(ctx, "CREATE ROLE master WITH LOGIN CREATEROLE PASSWORD '"+pgMaster+"'"); err != nil {
		t.Fatal(err)
	}
	secretJSON := func(user, password, master string) []byte {
		m := map[string]any{"engine": "postgres", "host": pg.Host, "port": pg.Port, "username": user, "password": password, "dbname": pg.Database}
		if master != "" {
			m["masterarn"] = master
		}
		b, _ := json.Marshal(m)
		return b
	}
	login := func(user, password string) error {
		cfg, err := pgx.ParseConfig(pg.URL("x", "x"))
		if err != nil {
			return err
		}
		cfg.User, cfg.Password = user, password
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}

	var n atomic.Int64
	for _, b := range []struct {
		name  string
		setup func(t *testing.T, dir string) (backend, []string)
	}{
		{"LocalVault", func(t *testing.T, dir string) (backend, []string) {
			key := bytes.Repeat([]byte{11}, 32)
			return fileBackend{path: filepath.Join(dir, "vault.json"), key: key}, []string{secrets.KeyEnv + "=" + hex.EncodeToString(key), "COGNIFORGE_VAULT_FILE=", "AWS_ENDPOINT_URL=", "AWS_LAMBDA_RUNTIME_API="}
		}},
		{"SecretsManagerOnMoto", func(t *testing.T, dir string) (backend, []string) {
			endpoint := testenv.StartMoto(t)
			cfg := testenv.AWSConfig(t, endpoint)
			if err := dynamo.CreateTable(ctx, dynamodb.NewFromConfig(cfg), "cogniforge", 10*time.Second); err != nil {
				t.Fatal(err)
			}
			return secretstest.NewSecretsManager(secretsmanager.NewFromConfig(cfg)), []string{
				"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
				"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
				"COGNIFORGE_TABLE=cogniforge", "COGNIFORGE_EVENT_BUS=default", "AWS_LAMBDA_RUNTIME_API=",
			}
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			vault, extra := b.setup(t, dir)
			env := append(append(os.Environ(), "COGNIFORGE_DATA_DIR="+dir), extra...)
			if err := vault.CreateSecret(ctx, "rds-master", pgV0, secretJSON("master", pgMaster, "")); err != nil {
				t.Fatal(err)
			}
			// invoke runs one step the way Secrets Manager sends it.
			invoke := func(id, token, step string) (int, string) {
				p := filepath.Join(t.TempDir(), "payload.json")
				if err := os.WriteFile(p, []byte(fmt.Sprintf(`{"SecretId":%q,"ClientRequestToken":%q,"Step":%q}`, id, token, step)), 0o600); err != nil {
					t.Fatal(err)
				}
				return runCLI(t, env, "invoke", "secret-rotator", "--payload", p, "--data-dir", dir)
			}
			for _, r := range []struct {
				name, master  string
				oldStillWorks bool
			}{{"SingleUser", "", false}, {"AlternatingUsers", "rds-master", true}} {
				t.Run(r.name, func(t *testing.T) {
					user := fmt.Sprintf("cliapp%d", n.Add(1))
					if _, err := super.Exec(ctx, "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+pgInitial+"'"); err != nil {
						t.Fatal(err)
					}
					id := "db-" + user
					if err := vault.CreateSecret(ctx, id, pgV0, secretJSON(user, pgInitial, r.master)); err != nil {
						t.Fatal(err)
					}
					if err := vault.StartRotation(ctx, id, pgTok); err != nil {
						t.Fatal(err)
					}
					var printed strings.Builder
					for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
						for i := range 2 {
							code, out := invoke(id, pgTok, step)
							printed.WriteString(out)
							if code != 0 {
								t.Fatalf("%s #%d: exit %d\n%s", step, i+1, code, out)
							}
						}
					}
					cur, err := vault.GetSecretValue(ctx, id, "", secrets.StageCurrent)
					if err != nil || cur.VersionID != pgTok {
						t.Fatalf("AWSCURRENT on %s (%v), want %s", cur.VersionID, err, pgTok)
					}
					s, err := pgrotate.ParseSecret(cur.Bytes)
					if err != nil {
						t.Fatal(err)
					}
					if err := login(s.Username, s.Password); err != nil {
						t.Fatalf("the new password does not log in: %v", err)
					}
					err = login(user, pgInitial)
					if r.oldStillWorks && err != nil {
						t.Fatalf("the previous credential stopped working: %v", err)
					}
					if !r.oldStillWorks && err == nil {
						t.Fatal("the old password still logs in after a single-user rotation")
					}
					for _, v := range []string{pgInitial, pgMaster, s.Password} {
						if strings.Contains(printed.String(), v) {
							t.Fatal("the CLI printed a password")
						}
					}
				})
			}

			// Bad input: the step fails naming the problem, exit 1, and
			// the current credential keeps working.
			down := testenv.FreePort(t)
			for _, c := range []struct {
				name, value, token, errorType, mention string
				start                                  bool
			}{
				{"NotJSON", "password=" + pgInitial, pgTok, "Secrets.InvalidSecret", "not a JSON object", true},
				{"MissingFields", `{"engine":"postgres","host":"127.0.0.1","password":"` + pgInitial + `"}`, pgTok, "Secrets.InvalidSecret", "missing username", true},
				{"UnreachableDatabase", strings.Replace(string(secretJSON("USER", pgInitial, "")), fmt.Sprintf(`"port":%d`, pg.Port), fmt.Sprintf(`"port":%d`, down), 1), pgTok, "Secrets.SetFailed", fmt.Sprintf("127.0.0.1:%d", down), true},
				{"TokenMatchingNoVersion", string(secretJSON("USER", pgInitial, "")), "eeeeeeee-0000-4000-8000-00000000beef", "Secrets.RotationInProgress", pgTok, true},
				{"RotationNotEnabled", string(secretJSON("USER", pgInitial, "")), pgTok, "Secrets.RotationNotEnabled", "rotation disabled", false},
			} {
				t.Run("BadInput/"+c.name, func(t *testing.T) {
					user := fmt.Sprintf("clibad%d", n.Add(1))
					if _, err := super.Exec(ctx, "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+pgInitial+"'"); err != nil {
						t.Fatal(err)
					}
					id := "db-" + user
					if err := vault.CreateSecret(ctx, id, pgV0, []byte(strings.ReplaceAll(c.value, "USER", user))); err != nil {
						t.Fatal(err)
					}
					if c.start {
						if err := vault.StartRotation(ctx, id, pgTok); err != nil {
							t.Fatal(err)
						}
					}
					var code int
					var out string
					for _, step := range []string{secrets.StepCreate, secrets.StepSet} {
						if code, out = invoke(id, c.token, step); code != 0 {
							break
						}
					}
					if code != 1 || !strings.Contains(out, `"errorType": "`+c.errorType+`"`) || !strings.Contains(out, c.mention) {
						t.Fatalf("exit %d, want 1 with %s naming %q:\n%s", code, c.errorType, c.mention, out)
					}
					if strings.Contains(out, pgInitial) {
						t.Fatal("the CLI printed the password")
					}
					if cur, err := vault.GetSecretValue(ctx, id, "", secrets.StageCurrent); err != nil || cur.VersionID != pgV0 {
						t.Fatalf("AWSCURRENT moved to %s (%v)", cur.VersionID, err)
					}
					if err := login(user, pgInitial); err != nil {
						t.Fatalf("the current credential stopped working: %v", err)
					}
				})
			}
		})
	}
}
