package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/test/testenv"
)

const (
	pgInitialPW = "cli-initial-pw-never-printed"
	pgMasterPW  = "cli-master-pw-never-printed"
	pgOtherPW   = "cli-someone-else-pw-never-printed"
	pgV0        = "00000000-0000-4000-8000-000000000000"
	pgTok1      = "dddddddd-0000-4000-8000-000000000001"
	pgTok2      = "dddddddd-0000-4000-8000-000000000002"
)

// pgCLI is one PostgreSQL (scram-sha-256) with an RDS-like master role and
// a local vault holding the master's secret, for doctor and rollback.
type pgCLI struct {
	pg    testenv.Postgres
	super *pgx.Conn
	dir   string
	open  func() *secrets.FileVault
	n     atomic.Int64
}

func newPGCLI(t *testing.T) *pgCLI {
	t.Helper()
	ctx := context.Background()
	pg := testenv.StartPostgres(t)
	super, err := pgx.Connect(ctx, pg.URL(pg.SuperUser, pg.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	if _, err := super.Exec(ctx, "CREATE ROLE master WITH LOGIN CREATEROLE PASSWORD '"+pgMasterPW+"'"); err != nil {
		t.Fatal(err)
	}
	return &pgCLI{pg: pg, super: super}
}

// reset gives a subtest its own data directory and vault (localVault sets
// the process environment, so it must run in the subtest itself).
func (c *pgCLI) reset(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	c.dir, c.open = localVault(t)
	if err := c.open().CreateSecret(context.Background(), "rds-master", pgV0, c.secret("master", pgMasterPW, "", c.pg.Port)); err != nil {
		t.Fatal(err)
	}
}

func (c *pgCLI) secret(user, password, master string, port int) []byte {
	m := map[string]any{"engine": "postgres", "host": c.pg.Host, "port": port, "username": user, "password": password, "dbname": c.pg.Database}
	if master != "" {
		m["masterarn"] = master
	}
	b, _ := json.Marshal(m)
	return b
}

// app creates a login role with pgInitialPW and its secret.
func (c *pgCLI) app(t *testing.T, master string) (id, user string) {
	t.Helper()
	user = fmt.Sprintf("docapp%d", c.n.Add(1))
	if _, err := c.super.Exec(context.Background(), "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+pgInitialPW+"'"); err != nil {
		t.Fatal(err)
	}
	id = "db-" + user
	if err := c.open().CreateSecret(context.Background(), id, pgV0, c.secret(user, pgInitialPW, master, c.pg.Port)); err != nil {
		t.Fatal(err)
	}
	return id, user
}

// steps starts a rotation with token and runs steps through `invoke`.
func (c *pgCLI) steps(t *testing.T, id, token string, steps ...string) {
	t.Helper()
	if err := c.open().StartRotation(context.Background(), id, token); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps {
		if code, out, errOut := invokeStep(t, c.dir, id, token, step); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", step, code, out, errOut)
		}
	}
}

func (c *pgCLI) login(user, password string) error {
	cfg, err := pgx.ParseConfig(c.pg.URL("x", "x"))
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

func (c *pgCLI) version(t *testing.T, id, stage string) (string, pgrotate.Secret) {
	t.Helper()
	v, err := c.open().GetSecretValue(context.Background(), id, "", stage)
	if err != nil {
		t.Fatalf("%s %s: %v", id, stage, err)
	}
	s, err := pgrotate.ParseSecret(v.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return v.VersionID, s
}

// noPasswords fails when the command's output holds a password.
func noPasswords(t *testing.T, printed string, passwords ...string) {
	t.Helper()
	for _, p := range append(passwords, pgInitialPW, pgMasterPW, pgOtherPW) {
		if p != "" && strings.Contains(printed, p) {
			t.Fatal("the command printed a password")
		}
	}
}

var allSteps = []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish}

// TestSecretsDoctorAndRollbackOnPostgres: doctor --fix completes a stuck
// rotation whose password the database already has, cancels one it never
// got, and changes nothing when neither is safe; rollback sets AWSPREVIOUS
// on the database before moving AWSCURRENT back, and refuses, changing
// nothing, when that would leave a credential that does not log in.
func TestSecretsDoctorAndRollbackOnPostgres(t *testing.T) {
	c := newPGCLI(t)
	ctx := context.Background()

	doctor := func(t *testing.T, id string, fix bool) (int, doctorReport, string) {
		t.Helper()
		args := []string{"secrets", "doctor", id, "--data-dir", c.dir}
		if fix {
			args = append(args, "--fix")
		}
		code, out, errOut := run(t, args...)
		var rep doctorReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("doctor output is not its report: %v\n%s%s", err, out, errOut)
		}
		return code, rep, out + errOut
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	isFalse := func(b *bool) bool { return b != nil && !*b }

	t.Run("DoctorCompletesWhenPendingLogsIn", func(t *testing.T) {
		for _, tc := range []struct {
			name, master  string
			currentLogsIn bool
		}{{"single", "", false}, {"alternating", "rds-master", true}} {
			t.Run(tc.name, func(t *testing.T) {
				c.reset(t)
				id, _ := c.app(t, tc.master)
				// The crash the issue names: setSecret reached the
				// database, finishSecret never ran.
				c.steps(t, id, pgTok1, secrets.StepCreate, secrets.StepSet)
				_, pend := c.version(t, id, secrets.StagePending)
				code, rep, printed := doctor(t, id, false)
				if code != 1 || !rep.Stuck || rep.Action != actionComplete || !isTrue(rep.PendingLogsIn) || rep.Step != secrets.StepFinish ||
					(tc.currentLogsIn != isTrue(rep.CurrentLogsIn)) || !strings.Contains(rep.Explanation, "--fix to complete") {
					t.Fatalf("doctor: exit %d\n%s", code, printed)
				}
				code, rep, printed = doctor(t, id, true)
				if code != 0 || !rep.Fixed || rep.Action != actionComplete || !strings.Contains(rep.Explanation, "completed") {
					t.Fatalf("doctor --fix: exit %d\n%s", code, printed)
				}
				noPasswords(t, printed, pend.Password)
				cur, cs := c.version(t, id, secrets.StageCurrent)
				if prev, _ := c.version(t, id, secrets.StagePrevious); cur != pgTok1 || prev != pgV0 {
					t.Fatalf("AWSCURRENT %s AWSPREVIOUS %s, want %s and %s", cur, prev, pgTok1, pgV0)
				}
				if err := c.login(cs.Username, cs.Password); err != nil {
					t.Fatalf("the completed credential does not log in: %v", err)
				}
				if code, rep, _ := doctor(t, id, false); code != 0 || rep.Stuck {
					t.Fatalf("doctor after the fix: exit %d %+v", code, rep)
				}
			})
		}
	})

	t.Run("DoctorCancelsWhenOnlyCurrentLogsIn", func(t *testing.T) {
		c.reset(t)
		id, user := c.app(t, "")
		c.steps(t, id, pgTok1, secrets.StepCreate) // setSecret never ran
		code, rep, printed := doctor(t, id, false)
		if code != 1 || rep.Action != actionCancel || !isFalse(rep.PendingLogsIn) || !isTrue(rep.CurrentLogsIn) {
			t.Fatalf("doctor: exit %d\n%s", code, printed)
		}
		code, rep, printed = doctor(t, id, true)
		if code != 0 || !rep.Fixed || !strings.Contains(rep.Explanation, "cancelled") || !strings.Contains(rep.Explanation, "AWSPENDING does not log in") {
			t.Fatalf("doctor --fix: exit %d\n%s", code, printed)
		}
		d, _ := c.open().DescribeSecret(ctx, id)
		if cur, _, pend := stages(d); cur != pgV0 || pend != "" {
			t.Fatalf("after cancel: current %s pending %s", cur, pend)
		}
		if err := c.login(user, pgInitialPW); err != nil {
			t.Fatalf("the current credential stopped working: %v", err)
		}
	})

	t.Run("DoctorChangesNothingWhenNeitherIsSafe", func(t *testing.T) {
		down := testenv.FreePort(t) // nothing listens there
		for _, tc := range []struct {
			name, mention string
			setup         func(t *testing.T) string
		}{
			{"neither logs in", "neither AWSPENDING nor AWSCURRENT logs in", func(t *testing.T) string {
				id, user := c.app(t, "")
				c.steps(t, id, pgTok1, secrets.StepCreate)
				if _, err := c.super.Exec(ctx, "ALTER ROLE "+user+" PASSWORD '"+pgOtherPW+"'"); err != nil {
					t.Fatal(err)
				}
				return id
			}},
			{"database unreachable", "127.0.0.1:" + fmt.Sprint(down), func(t *testing.T) string {
				id := "db-down"
				if err := c.open().CreateSecret(ctx, id, pgV0, c.secret("nobody", pgInitialPW, "", down)); err != nil {
					t.Fatal(err)
				}
				c.steps(t, id, pgTok1, secrets.StepCreate)
				return id
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.reset(t)
				id := tc.setup(t)
				code, rep, printed := doctor(t, id, true)
				if code != 1 || rep.Fixed || rep.Action != actionNone || !strings.Contains(printed, tc.mention) {
					t.Fatalf("doctor --fix: exit %d, want 1 naming %q\n%s", code, tc.mention, printed)
				}
				noPasswords(t, printed)
				d, _ := c.open().DescribeSecret(ctx, id)
				if cur, _, pend := stages(d); cur != pgV0 || pend != pgTok1 {
					t.Fatalf("a refused fix changed the stages: current %s pending %s", cur, pend)
				}
			})
		}
	})

	t.Run("RollbackSetsPreviousOnTheDatabaseFirst", func(t *testing.T) {
		for _, tc := range []struct {
			name, master string
		}{{"single", ""}, {"alternating", "rds-master"}} {
			t.Run(tc.name, func(t *testing.T) {
				c.reset(t)
				id, user := c.app(t, tc.master)
				c.steps(t, id, pgTok1, allSteps...)
				_, rotated := c.version(t, id, secrets.StageCurrent)
				code, out, errOut := run(t, "secrets", "rollback", id, "--data-dir", c.dir)
				if code != 0 || !strings.Contains(out, `"current": "`+pgV0+`"`) || !strings.Contains(out, `"database"`) {
					t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
				}
				noPasswords(t, out+errOut, rotated.Password)
				if cur, s := c.version(t, id, secrets.StageCurrent); cur != pgV0 || s.Username != user {
					t.Fatalf("AWSCURRENT %s user %s after rollback", cur, s.Username)
				}
				if err := c.login(user, pgInitialPW); err != nil {
					t.Fatalf("the rolled-back credential does not log in: %v", err)
				}
				if tc.master == "" {
					if err := c.login(user, rotated.Password); err == nil {
						t.Fatal("the rotated single-user password still logs in after rollback")
					}
				}
			})
		}
	})

	t.Run("RollbackRefusedChangesNothing", func(t *testing.T) {
		down := testenv.FreePort(t)
		for _, tc := range []struct {
			name, mention string
			// setup leaves a rotated secret; it returns the id and the
			// password that works on the database before and after.
			setup func(t *testing.T) (id, user, works string)
		}{
			{"current cannot log in to set previous", "does not log in", func(t *testing.T) (string, string, string) {
				id, user := c.app(t, "")
				c.steps(t, id, pgTok1, allSteps...)
				if _, err := c.super.Exec(ctx, "ALTER ROLE "+user+" PASSWORD '"+pgOtherPW+"'"); err != nil {
					t.Fatal(err)
				}
				return id, user, pgOtherPW
			}},
			{"rotation in progress", "in progress", func(t *testing.T) (string, string, string) {
				id, user := c.app(t, "")
				c.steps(t, id, pgTok1, allSteps...)
				c.steps(t, id, pgTok2, secrets.StepCreate)
				_, s := c.version(t, id, secrets.StageCurrent)
				return id, user, s.Password
			}},
			{"database unreachable", "127.0.0.1:" + fmt.Sprint(down), func(t *testing.T) (string, string, string) {
				id := "db-down"
				v := c.open()
				if err := v.CreateSecret(ctx, id, pgV0, c.secret("nobody", pgInitialPW, "", down)); err != nil {
					t.Fatal(err)
				}
				if err := v.PutSecretValue(ctx, id, pgTok1, c.secret("nobody", "rotated", "", down), []string{secrets.StagePending}); err != nil {
					t.Fatal(err)
				}
				if err := v.UpdateSecretVersionStage(ctx, id, secrets.StageCurrent, pgTok1, pgV0); err != nil {
					t.Fatal(err)
				}
				if err := v.UpdateSecretVersionStage(ctx, id, secrets.StagePending, "", pgTok1); err != nil {
					t.Fatal(err)
				}
				return id, "", ""
			}},
			{"previous not a database secret", "AWSPREVIOUS is not a usable database secret", func(t *testing.T) (string, string, string) {
				user := fmt.Sprintf("docapp%d", c.n.Add(1))
				if _, err := c.super.Exec(ctx, "CREATE ROLE "+user+" WITH LOGIN PASSWORD '"+pgInitialPW+"'"); err != nil {
					t.Fatal(err)
				}
				// AWSPREVIOUS holds only a password: rolling back to it
				// would leave a secret no client can log in with.
				id := "db-" + user
				v := c.open()
				if err := v.CreateSecret(ctx, id, pgV0, []byte(`{"password":"`+pgOtherPW+`"}`)); err != nil {
					t.Fatal(err)
				}
				if err := v.PutSecretValue(ctx, id, pgTok1, c.secret(user, pgInitialPW, "", c.pg.Port), []string{secrets.StageCurrent}); err != nil {
					t.Fatal(err)
				}
				if _, prev, _ := stages(mustDescribe(t, v, id)); prev != pgV0 {
					t.Fatalf("set-up: AWSPREVIOUS on %q, want %s", prev, pgV0)
				}
				return id, user, pgInitialPW
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.reset(t)
				id, user, works := tc.setup(t)
				before, _ := c.open().DescribeSecret(ctx, id)
				code, out, errOut := run(t, "secrets", "rollback", id, "--data-dir", c.dir)
				if code != 1 || !strings.Contains(errOut, tc.mention) {
					t.Fatalf("rollback: exit %d, want 1 naming %q\n%s%s", code, tc.mention, out, errOut)
				}
				noPasswords(t, out+errOut, works)
				after, _ := c.open().DescribeSecret(ctx, id)
				if b, a := fmt.Sprint(stages(before)), fmt.Sprint(stages(after)); a != b {
					t.Fatalf("a refused rollback moved the stages: %s -> %s", b, a)
				}
				if user != "" {
					if err := c.login(user, works); err != nil {
						t.Fatalf("a refused rollback changed the database: %v", err)
					}
				}
			})
		}
	})
}

func mustDescribe(t *testing.T, v *secrets.FileVault, id string) secrets.Description {
	t.Helper()
	d, err := v.DescribeSecret(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
