// Package secrets_test drives a rotation the way Secrets Manager does,
// through the built CLI: `cogniforge invoke secret-rotator --payload` for
// each step (each twice, as Secrets Manager may retry), on a local
// encrypted vault, then reads the audit trail back with `cogniforge
// secrets audit`. Nothing it prints may hold the secret's value.
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
	"testing"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

const oldValue = "integration-old-key-must-not-print"

func TestRotationThroughTheCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{9}, 32)
	vaultPath := filepath.Join(dir, "vault.json")
	open := func() *secrets.FileVault {
		v, err := secrets.OpenFileVault(vaultPath, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := open().CreateSecret(ctx, "svc-token", "v1", []byte(`{"token":"`+oldValue+`"}`)); err != nil {
		t.Fatal(err)
	}
	const tok = "bbbbbbbb-0000-4000-8000-000000000001"
	if err := open().StartRotation(ctx, "svc-token", tok); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), secrets.KeyEnv+"="+hex.EncodeToString(key), "COGNIFORGE_DATA_DIR="+dir, "COGNIFORGE_VAULT_FILE=")
	cogniforge := func(args ...string) (int, string) {
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
	step := func(token, step string) (int, string) {
		p := filepath.Join(t.TempDir(), "payload.json")
		if err := os.WriteFile(p, []byte(fmt.Sprintf(`{"SecretId":"svc-token","ClientRequestToken":%q,"Step":%q}`, token, step)), 0o600); err != nil {
			t.Fatal(err)
		}
		return cogniforge("invoke", "secret-rotator", "--payload", p, "--data-dir", dir)
	}

	// Another rotation while this one is pending is refused, naming the
	// pending version, and changes nothing.
	if code, out := step("bbbbbbbb-0000-4000-8000-00000000dead", secrets.StepCreate); code != 1 || !strings.Contains(out, `"errorType": "Secrets.RotationInProgress"`) || !strings.Contains(out, tok) {
		t.Fatalf("second rotation: exit %d\n%s", code, out)
	}
	var all strings.Builder
	for _, s := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		for i := 0; i < 2; i++ {
			code, out := step(tok, s)
			all.WriteString(out)
			if code != 0 {
				t.Fatalf("%s #%d: exit %d\n%s", s, i+1, code, out)
			}
		}
	}
	cur, err := open().GetSecretValue(ctx, "svc-token", "", secrets.StageCurrent)
	if err != nil || cur.VersionID != tok {
		t.Fatalf("AWSCURRENT %+v (%v), want %s", cur, err, tok)
	}
	prev, err := open().GetSecretValue(ctx, "svc-token", "", secrets.StagePrevious)
	if err != nil || prev.VersionID != "v1" {
		t.Fatalf("AWSPREVIOUS %+v (%v), want v1", prev, err)
	}
	var m map[string]string
	if err := json.Unmarshal(cur.Bytes, &m); err != nil || m["token"] == "" || m["token"] == oldValue {
		t.Fatalf("new value %v (%v)", m, err)
	}
	code, audit := cogniforge("secrets", "audit", "--secret", "svc-token", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, audit)
	}
	all.WriteString(audit)
	for _, v := range []string{oldValue, m["token"]} {
		if strings.Contains(all.String(), v) {
			t.Fatalf("the CLI printed a secret value")
		}
	}
	if !strings.Contains(audit, `"who":"secret-rotator","what":"secret.read"`) {
		t.Fatalf("no secret.read records for the rotator's reads:\n%s", audit)
	}
	if n := strings.Count(audit, `"who":"secret-rotator","what":"rotation.`); n != 9 {
		t.Fatalf("audit records = %d, want 9 (the refused step and 8 steps):\n%s", n, audit)
	}
	if !strings.Contains(all.String(), "dev.cogniforge.secret.rotated.v1") {
		t.Fatal("no secret.rotated event published")
	}
}

// Through the built CLI: a policy makes the secret due at its window, the
// compliance report follows, `config set` changes the rotator's password
// length, which the next rotation uses (read through the function's
// configuration, audited as config.read), after which the secret is
// compliant; every change is in the audit trail without a value.
func TestPolicyConfigAndComplianceThroughTheCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{8}, 32)
	vaultPath := filepath.Join(dir, "vault.json")
	v, err := secrets.OpenFileVault(vaultPath, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CreateSecret(ctx, "svc-key", "v1", []byte(`{"apiKey":"`+oldValue+`"}`)); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), secrets.KeyEnv+"="+hex.EncodeToString(key), "COGNIFORGE_DATA_DIR="+dir, "COGNIFORGE_VAULT_FILE=", "COGNIFORGE_ENV=dev", "AWS_ENDPOINT_URL=", "AWS_LAMBDA_RUNTIME_API=")
	cogniforge := func(args ...string) (int, string) {
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
	if code, out := cogniforge("secrets", "policy", "svc-key", "--schedule", "rate(10 days)", "--duration", "2h"); code != 0 || !strings.Contains(out, `"rule": "rate(10 days), window 2h"`) {
		t.Fatalf("policy: exit %d\n%s", code, out)
	}
	if code, out := cogniforge("secrets", "due"); code != 0 || out != "" {
		t.Fatalf("due right after creation: exit %d\n%s", code, out)
	}
	if code, out := cogniforge("secrets", "due", "--at", "264h"); code != 1 || !strings.Contains(out, `"state":"overdue"`) {
		t.Fatalf("due in 11 days: exit %d\n%s", code, out)
	}
	if code, out := cogniforge("secrets", "audit", "--compliance", "--at", "264h"); code != 1 || !strings.Contains(out, `"compliant":false`) {
		t.Fatalf("compliance in 11 days: exit %d\n%s", code, out)
	}
	if code, out := cogniforge("config", "set", "--env", "dev", "secret-rotator/password/length", "16"); code != 0 {
		t.Fatalf("config set: exit %d\n%s", code, out)
	}

	const tok = "cccccccc-0000-4000-8000-000000000001"
	v, _ = secrets.OpenFileVault(vaultPath, key)
	if err := v.StartRotation(ctx, "svc-key", tok); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		p := filepath.Join(t.TempDir(), "payload.json")
		if err := os.WriteFile(p, []byte(fmt.Sprintf(`{"SecretId":"svc-key","ClientRequestToken":%q,"Step":%q}`, tok, s)), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out := cogniforge("invoke", "secret-rotator", "--payload", p, "--data-dir", dir); code != 0 {
			t.Fatalf("%s: exit %d\n%s", s, code, out)
		}
	}
	v, _ = secrets.OpenFileVault(vaultPath, key)
	cur, err := v.GetSecretValue(ctx, "svc-key", "", secrets.StageCurrent)
	var m map[string]string
	if err != nil || json.Unmarshal(cur.Bytes, &m) != nil || cur.VersionID != tok || len(m["apiKey"]) != 16 {
		t.Fatalf("after rotation: %s %v (key of %d characters, want 16)", cur.VersionID, err, len(m["apiKey"]))
	}
	if code, out := cogniforge("secrets", "audit", "--compliance", "--at", "24h"); code != 0 || !strings.Contains(out, `"compliant":true`) {
		t.Fatalf("compliance after the rotation: exit %d\n%s", code, out)
	}
	code, out := cogniforge("secrets", "audit")
	for _, want := range []string{`"what":"secret.policy"`, `"what":"config.set"`, `"who":"secret-rotator","what":"config.read","key":"/cogniforge/dev/secret-rotator/"`, `"what":"secret.read"`, `"what":"rotation.finishSecret"`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, oldValue) || strings.Contains(out, m["apiKey"]) {
		t.Fatal("the audit trail holds a value")
	}
}
