package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// doctor, rollback, due and the compliance report with --aws act on
// Secrets Manager (moto), as they act on the local vault.
func TestSecretsCommandsOnSecretsManager(t *testing.T) {
	ctx := context.Background()
	endpoint := testenv.StartMoto(t)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
		"AWS_SECRET_ACCESS_KEY": "testing", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	sm := secretstest.NewSecretsManager(secretsmanager.NewFromConfig(testenv.AWSConfig(t, endpoint)))
	if err := sm.CreateSecret(ctx, "api", "aaaaaaaa-0000-4000-8000-000000000000", []byte(`{"apiKey":"`+cliOldKey+`"}`)); err != nil {
		t.Fatal(err)
	}
	step := func(tok, s string) {
		t.Helper()
		if err := secrets.Rotate(ctx, sm, &secrets.Generic{Key: "apiKey"}, secrets.Request{SecretID: "api", ClientRequestToken: tok, Step: s}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	// A rotation stuck after createSecret: doctor explains, --fix cancels.
	const tok1 = "aaaaaaaa-0000-4000-8000-000000000001"
	if err := sm.StartRotation(ctx, "api", tok1); err != nil {
		t.Fatal(err)
	}
	step(tok1, secrets.StepCreate)
	code, out, errOut := run(t, "secrets", "doctor", "api", "--aws", "--data-dir", dir)
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || !rep.Stuck || rep.Pending != tok1 || rep.Action != actionCancel {
		t.Fatalf("doctor --aws: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if code, out, errOut := run(t, "secrets", "doctor", "api", "--aws", "--fix", "--data-dir", dir); code != 0 || !strings.Contains(out, `"fixed": true`) {
		t.Fatalf("doctor --aws --fix: exit %d\n%s%s", code, out, errOut)
	}
	d, err := sm.DescribeSecret(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if cur, _, pend := stages(d); cur != "aaaaaaaa-0000-4000-8000-000000000000" || pend != "" {
		t.Fatalf("after --fix: current %s pending %s", cur, pend)
	}

	// A full rotation, then rollback moves AWSCURRENT back.
	const tok2 = "aaaaaaaa-0000-4000-8000-000000000002"
	if err := sm.StartRotation(ctx, "api", tok2); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
		step(tok2, s)
	}
	if code, out, errOut := run(t, "secrets", "rollback", "api", "--aws", "--data-dir", dir); code != 0 || !strings.Contains(out, `"current": "aaaaaaaa-0000-4000-8000-000000000000"`) {
		t.Fatalf("rollback --aws: exit %d\n%s%s", code, out, errOut)
	}
	if cur, _ := sm.GetSecretValue(ctx, "api", "", secrets.StageCurrent); !strings.Contains(string(cur.Bytes), cliOldKey) {
		t.Fatal("AWSCURRENT is not the old value after rollback")
	}

	// due and compliance read Secrets Manager's rules (30 days, set by the
	// rotation) and last rotation.
	code, out, errOut = run(t, "secrets", "due", "--aws", "--all", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `"secretId":"api"`) || !strings.Contains(out, `"state":"scheduled"`) {
		t.Fatalf("due --aws: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "secrets", "audit", "--compliance", "--aws", "--at", "2000h", "--data-dir", dir); code != 1 || !strings.Contains(out, `"compliant":false`) {
		t.Fatalf("compliance --aws far ahead: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "secrets", "audit", "--secret", "api", "--data-dir", dir)
	for _, want := range []string{`"secret.doctor.fix"`, `"secret.rollback"`, `"secret.read"`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
}
