package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const cliOldKey = "cli-old-api-key-never-printed"

// localVault sets up a data directory with a vault holding secret "api"
// (version v1) and points the process environment at it.
func localVault(t *testing.T) (dir string, open func() *secrets.FileVault) {
	t.Helper()
	dir = t.TempDir()
	key := bytes.Repeat([]byte{3}, 32)
	t.Setenv(secrets.KeyEnv, hex.EncodeToString(key))
	t.Setenv(secretsfn.EnvVaultFile, "")
	t.Setenv(wiring.EnvDataDir, dir)
	open = func() *secrets.FileVault {
		v, err := secrets.OpenFileVault(filepath.Join(dir, secretsfn.VaultFileName), key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := open().CreateSecret(context.Background(), "api", "v1", []byte(`{"apiKey":"`+cliOldKey+`"}`)); err != nil {
		t.Fatal(err)
	}
	return dir, open
}

func rotationStep(t *testing.T, dir, token, step string) (int, string, string) {
	t.Helper()
	return invokeStep(t, dir, "api", token, step)
}

// invokeStep runs one rotation step of secret id as Secrets Manager sends it.
func invokeStep(t *testing.T, dir, id, token, step string) (int, string, string) {
	t.Helper()
	payload := writeTemp(t, "payload.json", fmt.Sprintf(`{"SecretId":%q,"ClientRequestToken":%q,"Step":%q}`, id, token, step))
	return run(t, "invoke", secretsfn.Name, "--payload", payload, "--data-dir", dir)
}

// The four steps through `cogniforge invoke secret-rotator --payload`, as
// Secrets Manager drives them, then the doctor, rollback, due and audit
// commands over what they left.
func TestSecretRotatorThroughInvokeAndSecretsCommands(t *testing.T) {
	ctx := context.Background()
	dir, open := localVault(t)
	const tok1 = "aaaaaaaa-0000-4000-8000-000000000001"
	if err := open().StartRotation(ctx, "api", tok1); err != nil {
		t.Fatal(err)
	}
	var transcript strings.Builder
	for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		code, out, errOut := rotationStep(t, dir, tok1, step)
		transcript.WriteString(out + errOut)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", step, code, out, errOut)
		}
		if !strings.Contains(errOut, "dev.cogniforge.secret.rotation.step.v1") {
			t.Errorf("%s: no step event published: %s", step, errOut)
		}
	}
	if !strings.Contains(transcript.String(), "dev.cogniforge.secret.rotated.v1") {
		t.Error("no rotated event after finishSecret")
	}
	cur, err := open().GetSecretValue(ctx, "api", "", secrets.StageCurrent)
	if err != nil || cur.VersionID != tok1 {
		t.Fatalf("AWSCURRENT = %+v (%v), want %s", cur, err, tok1)
	}
	var m map[string]string
	_ = json.Unmarshal(cur.Bytes, &m)
	for _, v := range []string{cliOldKey, m["apiKey"]} {
		if v == "" || strings.Contains(transcript.String(), v) {
			t.Fatalf("a secret value (%q) is empty or was printed", v)
		}
	}

	// Healthy: nothing pending.
	if code, out, errOut := run(t, "secrets", "doctor", "api", "--data-dir", dir); code != 0 || !strings.Contains(out, `"stuck": false`) {
		t.Fatalf("doctor on a healthy secret: exit %d\n%s%s", code, out, errOut)
	}

	// A second rotation stuck after createSecret: doctor explains it,
	// exits 1, and --fix cancels it without touching AWSCURRENT.
	const tok2 = "aaaaaaaa-0000-4000-8000-000000000002"
	if err := open().StartRotation(ctx, "api", tok2); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := rotationStep(t, dir, tok2, secrets.StepCreate); code != 0 {
		t.Fatalf("createSecret: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run(t, "secrets", "doctor", "api", "--data-dir", dir)
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("doctor on a stuck rotation: exit %d (%v)\n%s%s", code, err, out, errOut)
	}
	if !rep.Stuck || rep.Pending != tok2 || !rep.PendingHasValue || rep.LastStep == nil || rep.LastStep.What != "rotation.createSecret" {
		t.Fatalf("doctor report %+v", rep)
	}
	if code, out, errOut := run(t, "secrets", "doctor", "--fix", "api", "--data-dir", dir); code != 0 || !strings.Contains(out, `"fixed": true`) {
		t.Fatalf("doctor --fix: exit %d\n%s%s", code, out, errOut)
	}
	d, _ := open().DescribeSecret(ctx, "api")
	if c, _, p := stages(d); c != tok1 || p != "" {
		t.Fatalf("after --fix: current %s pending %s", c, p)
	}
	if err := open().StartRotation(ctx, "api", "aaaaaaaa-0000-4000-8000-000000000003"); err != nil {
		t.Fatalf("a new rotation after --fix is refused: %v", err)
	}
	if err := open().UpdateSecretVersionStage(ctx, "api", secrets.StagePending, "", "aaaaaaaa-0000-4000-8000-000000000003"); err != nil {
		t.Fatal(err)
	}

	// Rollback: AWSCURRENT back to v1.
	if code, out, errOut := run(t, "secrets", "rollback", "api", "--data-dir", dir); code != 0 || !strings.Contains(out, `"current": "v1"`) {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	if cur, _ := open().GetSecretValue(ctx, "api", "", secrets.StageCurrent); cur.VersionID != "v1" {
		t.Fatalf("after rollback AWSCURRENT = %s", cur.VersionID)
	}

	// due --all lists the secret with its last rotation and no policy;
	// without --all nothing is due.
	code, out, errOut = run(t, "secrets", "due", "--all", "--data-dir", dir)
	var line dueLine
	if err := json.Unmarshal([]byte(out), &line); err != nil || code != 0 || line.SecretID != "api" || line.LastRotated == "unknown" || line.State != stateNoPolicy || !strings.Contains(line.Rule, "none") {
		t.Fatalf("due: exit %d (%v)\n%s%s", code, err, out, errOut)
	}
	if code, out, errOut = run(t, "secrets", "due", "--data-dir", dir); code != 0 || out != "" {
		t.Fatalf("due with no policy: exit %d\n%s%s", code, out, errOut)
	}

	// audit: every step, the fix and the rollback; never a value.
	code, out, errOut = run(t, "secrets", "audit", "--secret", "api", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{`"rotation.createSecret"`, `"rotation.finishSecret"`, `"secret.doctor.fix"`, `"secret.rollback"`, `"who":"secret-rotator"`, `"who":"cli:`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, cliOldKey) || strings.Contains(out, m["apiKey"]) {
		t.Fatal("audit holds a value")
	}
	if !strings.Contains(out, `{"who":"secret-rotator","what":"secret.read"`) || !strings.Contains(out, `"what":"secret.read","secretId":"api","when"`) {
		t.Errorf("audit lacks the rotator's or the CLI's secret.read records:\n%s", out)
	}
	if n := strings.Count(out, "\n") - strings.Count(out, `"what":"secret.read"`); n != 7 {
		t.Errorf("audit lines = %d, want 7 (4 steps, createSecret, fix, rollback):\n%s", n, out)
	}
	if code, out, _ := run(t, "secrets", "audit", "--since", "2999-01-01T00:00:00Z", "--data-dir", dir); code != 0 || out != "" {
		t.Errorf("audit --since the future: exit %d %q", code, out)
	}
}

func TestSecretsCommandErrors(t *testing.T) {
	dir, _ := localVault(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"help", []string{"secrets", "--help"}, 0, ""},
		{"doctor help", []string{"secrets", "doctor", "--help"}, 0, ""},
		{"no subcommand", []string{"secrets"}, 2, "usage"},
		{"unknown subcommand", []string{"secrets", "nope"}, 2, "unknown subcommand"},
		{"doctor without secret", []string{"secrets", "doctor", "--data-dir", dir}, 2, "exactly one SECRET"},
		{"doctor unknown secret", []string{"secrets", "doctor", "ghost", "--data-dir", dir}, 2, "does not exist"},
		{"rollback without previous", []string{"secrets", "rollback", "api", "--data-dir", dir}, 1, "no AWSPREVIOUS"},
		{"vault missing", []string{"secrets", "doctor", "api", "--vault", filepath.Join(dir, "none.json")}, 2, "none.json"},
		{"audit bad since", []string{"secrets", "audit", "--since", "yesterday", "--data-dir", dir}, 2, "--since"},
		{"audit missing dir", []string{"secrets", "audit", "--data-dir", filepath.Join(dir, "nope")}, 2, "data directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, want %d; stderr %q should contain %q\nstdout %s", code, tc.code, errOut, tc.msg, out)
			}
		})
	}
}

func TestSecretsRollbackRefusesDatabaseSecret(t *testing.T) {
	ctx := context.Background()
	dir, open := localVault(t)
	v := open()
	if err := v.CreateSecret(ctx, "db", "v1", []byte(`{"engine":"postgres","password":"p1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecretValue(ctx, "db", "v2", []byte(`{"engine":"postgres","password":"p2"}`), []string{secrets.StageCurrent}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "secrets", "rollback", "db", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "postgres") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if cur, _ := open().GetSecretValue(ctx, "db", "", secrets.StageCurrent); cur.VersionID != "v2" {
		t.Fatalf("AWSCURRENT moved to %s", cur.VersionID)
	}
}

// A policy set on the local vault makes the secret due once its window
// opens (judged with --at), overdue once it closed, and the compliance
// report follows; a rotation through secret-rotator makes it compliant.
func TestSecretsPolicyDueCompliance(t *testing.T) {
	ctx := context.Background()
	dir, open := localVault(t)
	if err := open().SetRotation(ctx, "api", true); err != nil {
		t.Fatal(err)
	}
	created, _ := open().DescribeSecret(ctx, "api")
	day := created.CreatedDate.Truncate(24 * time.Hour)

	code, out, errOut := run(t, "secrets", "policy", "api", "--preset", "weekly", "--duration", "3h", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `"rule": "rate(7 days), window 3h"`) {
		t.Fatalf("policy: exit %d\n%s%s", code, out, errOut)
	}
	d, _ := open().DescribeSecret(ctx, "api")
	if d.Rules != (secrets.RotationRules{ScheduleExpression: "rate(7 days)", Duration: "3h"}) || !d.RotationEnabled {
		t.Fatalf("vault rules %+v", d.Rules)
	}
	at := func(offset time.Duration) string { return day.Add(offset).Format(time.RFC3339) }
	tests := []struct {
		at    string
		code  int
		state string
	}{
		{at(6 * 24 * time.Hour), 0, ""},
		{at(7*24*time.Hour + time.Hour), 1, secrets.StateDue},
		{at(7*24*time.Hour + 3*time.Hour), 1, secrets.StateOverdue},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, "secrets", "due", "--at", tc.at, "--data-dir", dir)
		if code != tc.code || (tc.state == "") != (out == "") || (tc.state != "" && !strings.Contains(out, `"state":"`+tc.state)) {
			t.Fatalf("due --at %s: exit %d, want %d %s\n%s%s", tc.at, code, tc.code, tc.state, out, errOut)
		}
	}
	if code, out, _ := run(t, "secrets", "due", "--json", "--all", "--at", at(24*time.Hour), "--data-dir", dir); code != 0 || !strings.HasPrefix(out, "[") || !strings.Contains(out, `"state": "scheduled"`) {
		t.Fatalf("due --json --all: exit %d\n%s", code, out)
	}

	// Compliance: fine within the week, not once the window closed.
	if code, out, errOut := run(t, "secrets", "audit", "--compliance", "--at", at(24*time.Hour), "--data-dir", dir); code != 0 || !strings.Contains(out, `"compliant":true`) {
		t.Fatalf("compliance: exit %d\n%s%s", code, out, errOut)
	}
	late := at(30 * 24 * time.Hour)
	if code, out, _ := run(t, "secrets", "audit", "--compliance", "--at", late, "--data-dir", dir); code != 1 || !strings.Contains(out, `"compliant":false`) || !strings.Contains(out, "overdue") {
		t.Fatalf("compliance overdue: exit %d\n%s", code, out)
	}
	// A secret with no policy is never compliant.
	if err := open().CreateSecret(ctx, "static", "s1", []byte(`{"token":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "secrets", "audit", "--compliance", "--at", at(24*time.Hour), "--data-dir", dir); code != 1 || !strings.Contains(out, `"secretId":"static"`) || !strings.Contains(out, "rotation is not enabled") {
		t.Fatalf("compliance with a static secret: exit %d\n%s", code, out)
	}

	// The policy change is in the audit trail, with who and no value.
	code, out, _ = run(t, "secrets", "audit", "--secret", "api", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `"what":"secret.policy"`) || !strings.Contains(out, `"who":"cli:`) {
		t.Fatalf("audit of the policy: exit %d\n%s", code, out)
	}

	for _, bad := range [][]string{
		{"--schedule", "rate(2 hours)"},
		{"--preset", "yearly"},
		{"--after-days", "x"},
		{"--schedule", "rate(1 day)", "--duration", "90m"},
		{"--schedule", "rate(1 day)", "--preset", "daily"},
		{},
	} {
		args := append([]string{"secrets", "policy", "api", "--data-dir", dir}, bad...)
		if code, _, errOut := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("policy %v: exit %d %q", bad, code, errOut)
		}
	}
	if code, _, errOut := run(t, "secrets", "policy", "ghost", "--preset", "daily", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("policy on a missing secret: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "secrets", "due", "--at", "soon", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "--at") {
		t.Errorf("due --at soon: exit %d %q", code, errOut)
	}
}

// `cogniforge run` creates the secrets config/secrets declares in the
// local vault and rotates the ones already due through secret-rotator.
func TestRunCreatesAndRotatesDeclaredSecrets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{4}, 32)
	t.Setenv(secrets.KeyEnv, hex.EncodeToString(key))
	t.Setenv(secretsfn.EnvVaultFile, "")
	cfg := t.TempDir()
	if err := os.Mkdir(filepath.Join(cfg, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(cfg, "secrets"), "a.yaml", "secrets:\n  - name: fresh\n    generate: apiKey\n    rotation: {preset: monthly}\n  - name: old\n    generate: token\n    rotation: {preset: daily}\n")
	path := filepath.Join(dir, secretsfn.VaultFileName)
	long := func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }
	v, err := secrets.OpenFileVault(path, key, secrets.VaultClock(long))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CreateSecret(ctx, "old", "v1", []byte(`{"token":"t0"}`)); err != nil {
		t.Fatal(err)
	}
	startRun(t, "--data-dir", dir, "--config", cfg)
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := secrets.OpenFileVault(path, key)
		if err != nil {
			t.Fatal(err)
		}
		old, oerr := v.DescribeSecret(ctx, "old")
		fresh, ferr := v.DescribeSecret(ctx, "fresh")
		if oerr == nil && ferr == nil && !old.LastRotatedDate.IsZero() {
			if cur, _ := v.GetSecretValue(ctx, "old", "", secrets.StageCurrent); cur.VersionID == "v1" || fresh.Rules != secrets.Presets["monthly"] || !fresh.LastRotatedDate.IsZero() {
				t.Fatalf("after run: old current %s, fresh %+v", cur.VersionID, fresh)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not created or rotated: old %+v %v, fresh %v", old, oerr, ferr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
