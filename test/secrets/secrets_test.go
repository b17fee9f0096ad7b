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
