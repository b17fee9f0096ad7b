package secretsfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// pgBackend is a vault plus the calls around a rotation outside the port;
// secrets.FileVault and secretstest.SecretsManager both are.
type pgBackend interface {
	secrets.Vault
	CreateSecret(ctx context.Context, id, versionID string, value []byte) error
	StartRotation(ctx context.Context, id, token string) error
}

const (
	pgMasterID = "rds-master"
	pgV0       = "00000000-0000-4000-8000-000000000000"
	pgTok      = "33333333-3333-4333-8333-333333333333"
	initialPW  = "initial-pw-never-logged"
	masterPW   = "master-pw-never-logged"
)

// pgWorld is one PostgreSQL server with an RDS-like master role (CREATEROLE,
// not superuser) and one backend holding the master's secret.
type pgWorld struct {
	pg    testenv.Postgres
	super *pgx.Conn
	vault pgBackend
	n     *atomic.Int64
}

func (w *pgWorld) secret(user, password, master string, port int) []byte {
	m := map[string]any{"engine": "postgres", "host": w.pg.Host, "port": port, "username": user, "password": password, "dbname": w.pg.Database}
	if master != "" {
		m["masterarn"] = master
	}
	b, _ := json.Marshal(m)
	return b
}

// app creates a login role with initialPW and its secret, rotation started
// with pgTok; it returns the secret's id and the role.
func (w *pgWorld) app(t *testing.T, master string) (id, user string) {
	t.Helper()
	user = fmt.Sprintf("fnapp%d", w.n.Add(1))
	if _, err := w.super.Exec(context.Background(), "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+initialPW+"'"); err != nil {
		t.Fatal(err)
	}
	id = "db-" + user
	if err := w.vault.CreateSecret(context.Background(), id, pgV0, w.secret(user, initialPW, master, w.pg.Port)); err != nil {
		t.Fatal(err)
	}
	if err := w.vault.StartRotation(context.Background(), id, pgTok); err != nil {
		t.Fatal(err)
	}
	return id, user
}

func (w *pgWorld) login(user, password string) error {
	cfg, err := pgx.ParseConfig(w.pg.URL("x", "x"))
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

func (w *pgWorld) current(t *testing.T, id string) (secrets.Value, pgrotate.Secret) {
	t.Helper()
	v, err := w.vault.GetSecretValue(context.Background(), id, "", secrets.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgrotate.ParseSecret(v.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return v, s
}

// lambdaFn is secret-rotator behind the Lambda adapter, as Secrets Manager
// invokes it, with what it logs, publishes and traces recorded.
type lambdaFn struct {
	inv   *lambda.Invoker
	logs  *bytes.Buffer
	bus   *bustest.Recorder
	spans *tracetest.SpanRecorder
}

func newLambdaFn(v secrets.Vault) *lambdaFn {
	f := &lambdaFn{logs: &bytes.Buffer{}, bus: &bustest.Recorder{}, spans: tracetest.NewSpanRecorder()}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fn := secretsfn.New(secretsfn.Config{
		Open:    func() (secrets.Vault, error) { return v, nil },
		Ports:   wiring.Ports{Store: memory.New(memory.Config{}), Bus: f.bus, Logger: logger},
		Options: []secrets.Option{secrets.WithTestBackoff(func() backoff.BackOff { return &backoff.ZeroBackOff{} }, 2)},
	})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.spans))
	f.inv = lambda.NewInvoker(fn, adapter.WithLogger(logger), adapter.WithTracerProvider(tp))
	return f
}

// step sends the payload Secrets Manager sends.
func (f *lambdaFn) step(id, token, step string) error {
	out, err := f.inv.Invoke(context.Background(), []byte(fmt.Sprintf(`{"SecretId":%q,"ClientRequestToken":%q,"Step":%q}`, id, token, step)))
	if err == nil && string(out) != "null" {
		return fmt.Errorf("reply %s, want null", out)
	}
	return err
}

// leaks returns what f emitted (logs, events, spans) that holds one of values.
func (f *lambdaFn) leaks(values ...string) []string {
	var all []string
	all = append(all, f.logs.String())
	for _, e := range f.bus.Events() {
		all = append(all, string(e.Data()))
	}
	for _, s := range f.spans.Ended() {
		all = append(all, s.Name(), s.Status().Description)
		for _, a := range s.Attributes() {
			all = append(all, a.Value.String())
		}
		for _, e := range s.Events() {
			for _, a := range e.Attributes {
				all = append(all, a.Value.String())
			}
		}
	}
	var found []string
	for _, v := range values {
		for _, s := range all {
			if v != "" && strings.Contains(s, v) {
				found = append(found, s)
			}
		}
	}
	return found
}

// TestPostgresRotationThroughTheLambdaAdapter drives secret-rotator the way
// Secrets Manager does (its raw rotation payload through the Lambda
// adapter), each step twice, for both PostgreSQL rotators over the local
// vault and over Secrets Manager on moto, against a real scram-sha-256
// PostgreSQL; then the bad inputs the issue lists.
func TestPostgresRotationThroughTheLambdaAdapter(t *testing.T) {
	ctx := context.Background()
	pg := testenv.StartPostgres(t)
	super, err := pgx.Connect(ctx, pg.URL(pg.SuperUser, pg.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	if _, err := super.Exec(ctx, "CREATE ROLE master WITH LOGIN CREATEROLE PASSWORD '"+masterPW+"'"); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	backends := []struct {
		name string
		open func(t *testing.T) pgBackend
	}{
		{"FileVault", func(t *testing.T) pgBackend {
			v, err := secrets.OpenFileVault(filepath.Join(t.TempDir(), "vault.json"), bytes.Repeat([]byte{5}, 32))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}},
		{"SecretsManagerOnMoto", func(t *testing.T) pgBackend {
			return secretstest.NewSecretsManager(secretsmanager.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t))))
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			w := &pgWorld{pg: pg, super: super, vault: b.open(t), n: &n}
			if err := w.vault.CreateSecret(ctx, pgMasterID, pgV0, w.secret("master", masterPW, "", pg.Port)); err != nil {
				t.Fatal(err)
			}
			t.Run("FullRotation", func(t *testing.T) { fullRotations(t, w) })
			t.Run("CrashBetweenSetAndFinishRecovers", func(t *testing.T) { crashRecovery(t, w) })
			t.Run("BadInput", func(t *testing.T) { badInputs(t, w) })
		})
	}
}

func fullRotations(t *testing.T, w *pgWorld) {
	for _, tc := range []struct {
		name, master  string
		oldStillWorks bool
	}{
		{"SingleUser", "", false},
		{"AlternatingUsers", pgMasterID, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, user := w.app(t, tc.master)
			f := newLambdaFn(w.vault)
			for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
				for i := range 2 {
					if err := f.step(id, pgTok, step); err != nil {
						t.Fatalf("%s (call %d): %v", step, i+1, err)
					}
				}
			}
			cur, s := w.current(t, id)
			if cur.VersionID != pgTok || s.Password == initialPW {
				t.Fatalf("AWSCURRENT = %s, want %s with a new password", cur.VersionID, pgTok)
			}
			wantUser := user
			if tc.master != "" {
				wantUser = user + pgrotate.CloneSuffix
			}
			if s.Username != wantUser {
				t.Fatalf("rotated user %q, want %q", s.Username, wantUser)
			}
			if err := w.login(s.Username, s.Password); err != nil {
				t.Fatalf("the new password does not log in: %v", err)
			}
			err := w.login(user, initialPW)
			if tc.oldStillWorks && err != nil {
				t.Fatalf("the previous credential stopped working: %v", err)
			}
			if !tc.oldStillWorks && err == nil {
				t.Fatal("the old password still logs in after a single-user rotation")
			}
			if found := f.leaks(initialPW, s.Password, masterPW); len(found) > 0 {
				t.Fatalf("a password reached logs, events or spans: %q", found)
			}
			if len(f.spans.Ended()) == 0 || !strings.Contains(f.logs.String(), "rotation step") {
				t.Fatal("no spans or step logs recorded: the leak check saw nothing")
			}
		})
	}
}

// crashRecovery: the function dies after setSecret (the database has the
// new password, AWSCURRENT the old); Secrets Manager's retry of the whole
// rotation with the same token completes it.
func crashRecovery(t *testing.T, w *pgWorld) {
	for _, tc := range []struct{ name, master string }{{"SingleUser", ""}, {"AlternatingUsers", pgMasterID}} {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := w.app(t, tc.master)
			for _, step := range []string{secrets.StepCreate, secrets.StepSet} {
				if err := newLambdaFn(w.vault).step(id, pgTok, step); err != nil {
					t.Fatalf("%s: %v", step, err)
				}
			}
			pend, err := w.vault.GetSecretValue(context.Background(), id, pgTok, secrets.StagePending)
			if err != nil {
				t.Fatal(err)
			}
			ps, _ := pgrotate.ParseSecret(pend.Bytes)
			if cur, _ := w.current(t, id); cur.VersionID != pgV0 {
				t.Fatalf("AWSCURRENT moved before finishSecret: %s", cur.VersionID)
			}
			if err := w.login(ps.Username, ps.Password); err != nil {
				t.Fatalf("setSecret did not reach the database: %v", err)
			}
			f := newLambdaFn(w.vault) // a new instance after the crash
			for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
				if err := f.step(id, pgTok, step); err != nil {
					t.Fatalf("retried %s: %v", step, err)
				}
			}
			cur, s := w.current(t, id)
			if cur.VersionID != pgTok || s.Password != ps.Password {
				t.Fatalf("AWSCURRENT = %s, want the pending version %s with its password", cur.VersionID, pgTok)
			}
			if err := w.login(s.Username, s.Password); err != nil {
				t.Fatalf("the recovered credential does not log in: %v", err)
			}
		})
	}
}

func badInputs(t *testing.T, w *pgWorld) {
	ctx := context.Background()
	down := testenv.FreePort(t) // nothing listens there
	cases := []struct {
		name     string
		value    func(user string) []byte
		step     string
		wantName string
		mention  []string
	}{
		{"NotJSON", func(string) []byte { return []byte(`engine=postgres password=` + initialPW) }, secrets.StepCreate,
			"Secrets.InvalidSecret", []string{"not a JSON object"}},
		{"MissingFields", func(user string) []byte {
			return []byte(`{"engine":"postgres","host":"127.0.0.1","username":"` + user + `"}`)
		}, secrets.StepCreate, "Secrets.InvalidSecret", []string{"missing password"}},
		{"UnreachableDatabase", func(user string) []byte { return w.secret(user, initialPW, "", down) }, secrets.StepSet,
			"Secrets.SetFailed", []string{"PostgreSQL.Unreachable", "127.0.0.1:" + strconv.Itoa(down)}},
		{"MasterSecretMissing", func(user string) []byte { return w.secret(user, initialPW, "no-such-master", w.pg.Port) }, secrets.StepSet,
			"Secrets.SetFailed", []string{"master secret no-such-master"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			user := fmt.Sprintf("fnbad%d", w.n.Add(1))
			if _, err := w.super.Exec(ctx, "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+initialPW+"'"); err != nil {
				t.Fatal(err)
			}
			id := "db-" + user
			if err := w.vault.CreateSecret(ctx, id, pgV0, c.value(user)); err != nil {
				t.Fatal(err)
			}
			if err := w.vault.StartRotation(ctx, id, pgTok); err != nil {
				t.Fatal(err)
			}
			f := newLambdaFn(w.vault)
			var err error
			for _, step := range []string{secrets.StepCreate, secrets.StepSet} {
				if err = f.step(id, pgTok, step); err != nil || step == c.step {
					break
				}
			}
			if got := faas.ErrorName(err); got != c.wantName {
				t.Fatalf("error %v named %q, want %q", err, got, c.wantName)
			}
			for _, m := range c.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %q", err, m)
				}
			}
			if strings.Contains(err.Error(), initialPW) {
				t.Errorf("the error holds the password: %v", err)
			}
			if found := f.leaks(initialPW); len(found) > 0 {
				t.Fatalf("a password reached logs, events or spans: %q", found)
			}
			cur, cerr := w.vault.GetSecretValue(ctx, id, "", secrets.StageCurrent)
			if cerr != nil || cur.VersionID != pgV0 {
				t.Fatalf("AWSCURRENT moved: %+v %v", cur, cerr)
			}
			if err := w.login(user, initialPW); err != nil {
				t.Fatalf("the current credential stopped working: %v", err)
			}
		})
	}

	t.Run("RotationNotEnabled", func(t *testing.T) {
		user := fmt.Sprintf("fnoff%d", w.n.Add(1))
		if _, err := w.super.Exec(ctx, "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+initialPW+"'"); err != nil {
			t.Fatal(err)
		}
		id := "db-" + user
		if err := w.vault.CreateSecret(ctx, id, pgV0, w.secret(user, initialPW, "", w.pg.Port)); err != nil {
			t.Fatal(err)
		}
		err := newLambdaFn(w.vault).step(id, pgTok, secrets.StepCreate)
		if !errors.Is(err, secrets.ErrRotationNotEnabled) || !strings.Contains(err.Error(), id) {
			t.Fatalf("err = %v, want Secrets.RotationNotEnabled naming %s", err, id)
		}
		if err := w.login(user, initialPW); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("TokenMatchingNoVersion", func(t *testing.T) {
		id, user := w.app(t, "")
		f := newLambdaFn(w.vault)
		for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
			if err := f.step(id, pgTok, step); err != nil {
				t.Fatal(err)
			}
		}
		const stray = "99999999-9999-4999-8999-999999999999"
		err := f.step(id, stray, secrets.StepSet)
		if !errors.Is(err, secrets.ErrUnknownToken) || !strings.Contains(err.Error(), stray) {
			t.Fatalf("err = %v, want Secrets.UnknownToken naming %s", err, stray)
		}
		_, s := w.current(t, id)
		if err := w.login(user, s.Password); err != nil {
			t.Fatalf("the current credential stopped working: %v", err)
		}
	})
}
