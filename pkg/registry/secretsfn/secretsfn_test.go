package secretsfn_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

const (
	secretID  = "orders-api"
	token     = "11111111-2222-4333-8444-555555555555"
	oldSecret = "old-s3cret-value-never-logged"
)

type fixture struct {
	fn    faas.Function
	vault *secrets.FileVault
	path  string
	bus   *bustest.Recorder
	logs  *bytes.Buffer
	ports wiring.Ports
	cat   *events.Catalog
}

func newFixture(t *testing.T, value string) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vault.json")
	key := bytes.Repeat([]byte{7}, 32)
	v, err := secrets.OpenFileVault(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CreateSecret(ctx, secretID, "v1", []byte(value)); err != nil {
		t.Fatal(err)
	}
	if err := v.StartRotation(ctx, secretID, token); err != nil {
		t.Fatal(err)
	}
	cat, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{vault: v, path: path, bus: &bustest.Recorder{}, logs: &bytes.Buffer{}, cat: cat}
	f.ports = wiring.Ports{
		Store:  memory.New(memory.Config{}),
		Bus:    f.bus,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	f.fn = secretsfn.New(secretsfn.Config{
		Open: func() (secrets.Vault, error) {
			// A fresh open per step, as the builder does.
			return secrets.OpenFileVault(path, key)
		},
		Ports: f.ports,
	})
	return f
}

func (f *fixture) step(t *testing.T, step string) error {
	t.Helper()
	ev, err := events.New(context.Background(), faas.SecretRotationType, "aws.secretsmanager",
		faas.SecretRotation{SecretID: secretID, ClientRequestToken: token, Step: step})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.fn.Handler(context.Background(), ev)
	return err
}

func TestFullRotationEmitsEventsAndAuditWithoutTheValue(t *testing.T) {
	f := newFixture(t, `{"apiKey":"`+oldSecret+`","user":"svc"}`)
	steps := []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish}
	for _, s := range steps {
		// Twice: Secrets Manager retries, and a retried step is harmless.
		for i := 0; i < 2; i++ {
			if err := f.step(t, s); err != nil {
				t.Fatalf("%s (#%d): %v", s, i+1, err)
			}
		}
	}
	v, err := secrets.OpenFileVault(f.path, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := v.GetSecretValue(context.Background(), secretID, "", secrets.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if cur.VersionID != token {
		t.Fatalf("AWSCURRENT = %s, want %s", cur.VersionID, token)
	}
	var m map[string]string
	if err := json.Unmarshal(cur.Bytes, &m); err != nil || m["apiKey"] == "" || m["apiKey"] == oldSecret || m["user"] != "svc" {
		t.Fatalf("new value %v (err %v): want a new apiKey and the other fields kept", m, err)
	}
	newSecret := m["apiKey"]

	var stepEvents, rotated int
	for _, e := range f.bus.Events() {
		if err := f.cat.Validate(e); err != nil {
			t.Errorf("%s does not match the catalog: %v", e.Type(), err)
		}
		for _, s := range []string{oldSecret, newSecret} {
			if strings.Contains(string(e.Data()), s) {
				t.Errorf("event %s carries a secret value", e.Type())
			}
		}
		switch e.Type() {
		case events.TypeSecretRotationStep:
			stepEvents++
		case events.TypeSecretRotated:
			rotated++
		}
	}
	if stepEvents != 8 {
		t.Errorf("step events = %d, want 8 (one per invocation)", stepEvents)
	}
	if rotated != 2 {
		t.Errorf("rotated events = %d, want 2 (each successful finishSecret)", rotated)
	}
	all, err := audit.List(context.Background(), f.ports.Store, audit.Filter{Secret: secretID})
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	reads := 0
	for _, r := range all {
		switch {
		case strings.HasPrefix(r.What, "rotation."):
			recs = append(recs, r)
		case r.What == audit.WhatSecretRead && r.Who == secretsfn.Name:
			reads++
		default:
			t.Errorf("unexpected audit record %+v", r)
		}
	}
	if reads == 0 {
		t.Error("no secret.read records for the rotator's reads")
	}
	if len(recs) != 8 || recs[0].What != "rotation.createSecret" || recs[0].Who != secretsfn.Name || recs[7].What != "rotation.finishSecret" {
		t.Fatalf("audit records = %+v", recs)
	}
	for _, s := range []string{oldSecret, newSecret} {
		if strings.Contains(f.logs.String(), s) {
			t.Fatalf("the log holds a secret value:\n%s", f.logs.String())
		}
	}
	if !strings.Contains(f.logs.String(), "rotation step") {
		t.Fatalf("expected step logs, got %q", f.logs.String())
	}
}

func TestStepFailures(t *testing.T) {
	tests := []struct {
		name, value, step, wantName string
	}{
		{"unsupported engine", `{"engine":"mysql","host":"db","username":"u","password":"` + oldSecret + `"}`, secrets.StepCreate, "Secrets.UnsupportedEngine"},
		{"postgres secret missing fields", `{"engine":"postgres","host":"db","password":"` + oldSecret + `"}`, secrets.StepCreate, "Secrets.InvalidSecret"},
		{"not JSON", oldSecret, secrets.StepCreate, "Secrets.InvalidSecret"},
		{"finish before create", `{"password":"` + oldSecret + `"}`, secrets.StepFinish, "Secrets.VersionNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.value)
			err := f.step(t, tc.step)
			if err == nil {
				t.Fatal("step succeeded, want an error")
			}
			if got := faas.ErrorName(err); got != tc.wantName {
				t.Fatalf("error name %q (%v), want %q", got, err, tc.wantName)
			}
			var evs []cloudevents.Event
			for _, e := range f.bus.Events() {
				var r audit.Record
				if e.Type() == events.TypeAuditRecorded && json.Unmarshal(e.Data(), &r) == nil && r.What == audit.WhatSecretRead {
					continue // the step's reads
				}
				evs = append(evs, e)
			}
			if len(evs) != 2 || evs[0].Type() != events.TypeSecretRotationStep || evs[1].Type() != events.TypeAuditRecorded {
				t.Fatalf("events %v, want a step event and its audit record", f.bus.Types())
			}
			var d events.SecretRotationStep
			if err := json.Unmarshal(evs[0].Data(), &d); err != nil || d.Outcome != events.OutcomeFailed || d.ErrorName != tc.wantName {
				t.Fatalf("step event %+v", d)
			}
			if strings.Contains(f.logs.String(), oldSecret) || strings.Contains(string(evs[0].Data()), oldSecret) {
				t.Fatal("a failed step leaked the value")
			}
			cur, err := f.vault.GetSecretValue(context.Background(), secretID, "", secrets.StageCurrent)
			if err != nil || cur.VersionID != "v1" {
				t.Fatalf("AWSCURRENT moved: %+v %v", cur, err)
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	f := newFixture(t, `{"password":"x"}`)
	ev := cloudevents.New()
	ev.SetID("1")
	ev.SetSource("test")
	ev.SetType(faas.SecretRotationType)
	_ = ev.SetData("application/json", map[string]string{"SecretId": secretID})
	_, err := f.fn.Handler(context.Background(), ev)
	var fe *faas.Error
	if !errors.As(err, &fe) || fe.Name != "Secrets.InvalidRequest" {
		t.Fatalf("err = %v, want Secrets.InvalidRequest", err)
	}
}

func TestVaultPath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{secretsfn.EnvVaultFile: "/v.json", wiring.EnvDataDir: "/d"}, "/v.json"},
		{map[string]string{wiring.EnvDataDir: "/d"}, filepath.Join("/d", "vault.json")},
		{map[string]string{}, ""},
	}
	for _, tc := range tests {
		if got := secretsfn.VaultPath(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("VaultPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestBuilderWithoutKeyFailsStepsNotBuild(t *testing.T) {
	env := map[string]string{wiring.EnvDataDir: t.TempDir()}
	fn, err := secretsfn.Builder(func(k string) string { return env[k] })(wiring.Ports{Store: memory.New(memory.Config{}), Bus: &bustest.Recorder{}})
	if err != nil {
		t.Fatalf("build failed without a key: %v (it must not stop the runtime hosting the others)", err)
	}
	ev, _ := events.New(context.Background(), faas.SecretRotationType, "aws.secretsmanager",
		faas.SecretRotation{SecretID: secretID, ClientRequestToken: token, Step: secrets.StepCreate})
	_, err = fn.Handler(context.Background(), ev)
	if faas.ErrorName(err) != "Secrets.VaultUnavailable" || !strings.Contains(err.Error(), secrets.KeyEnv) {
		t.Fatalf("err = %v, want Secrets.VaultUnavailable naming %s", err, secrets.KeyEnv)
	}
}

func TestGenericKey(t *testing.T) {
	f := func(ks ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for _, k := range ks {
			m[k] = json.RawMessage(`"x"`)
		}
		return m
	}
	tests := []struct {
		named  string
		fields map[string]json.RawMessage
		want   string
	}{
		{"secret", f("password", "secret"), "secret"},
		{"", f("user", "password"), "password"},
		{"", f("apiKey"), "apiKey"},
		{"", f("token"), "token"},
		{"", f("other"), "password"},
	}
	for _, tc := range tests {
		if got := secretsfn.GenericKey(tc.named, tc.fields); got != tc.want {
			t.Errorf("GenericKey(%q, %v) = %q, want %q", tc.named, tc.fields, got, tc.want)
		}
	}
}

// secret-rotator reads password/length and password/exclude-characters
// from /cogniforge/<env>/secret-rotator/ through its cached configuration;
// a value that fails validation fails createSecret with AWSCURRENT kept,
// and an unknown COGNIFORGE_ENV is refused.
func TestRotatorPasswordSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{9}, 32)
	env := map[string]string{wiring.EnvDataDir: dir, secrets.KeyEnv: hex.EncodeToString(key), wiring.EnvEnvironment: "staging"}
	st := memory.New(memory.Config{})
	ps := config.NewEmbedded(st, nil)
	put := func(k, v string) {
		t.Helper()
		if _, err := ps.Put(ctx, "/cogniforge/staging/secret-rotator/"+k, v, false); err != nil {
			t.Fatal(err)
		}
	}
	put("password/length", "20")
	put("password/exclude-characters", "abcdefghijklmnopqrstuvwxyz")
	v, err := secrets.OpenFileVault(filepath.Join(dir, secretsfn.VaultFileName), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CreateSecret(ctx, secretID, "v1", []byte(`{"apiKey":"`+oldSecret+`"}`)); err != nil {
		t.Fatal(err)
	}
	build := func() faas.Function {
		fn, err := secretsfn.Builder(func(k string) string { return env[k] })(wiring.Ports{Store: st, Bus: &bustest.Recorder{}})
		if err != nil {
			t.Fatal(err)
		}
		return fn
	}
	create := func(fn faas.Function, tok string) error {
		if err := v.StartRotation(ctx, secretID, tok); err != nil {
			t.Fatal(err)
		}
		ev, _ := events.New(ctx, faas.SecretRotationType, "aws.secretsmanager", faas.SecretRotation{SecretID: secretID, ClientRequestToken: tok, Step: secrets.StepCreate})
		_, err := fn.Handler(ctx, ev)
		return err
	}
	fn := build()
	if err := create(fn, token); err != nil {
		t.Fatal(err)
	}
	v, _ = secrets.OpenFileVault(filepath.Join(dir, secretsfn.VaultFileName), key)
	pend, err := v.GetSecretValue(ctx, secretID, token, secrets.StagePending)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	_ = json.Unmarshal(pend.Bytes, &m)
	if len(m["apiKey"]) != 20 || strings.ContainsAny(m["apiKey"], "abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("new key %q: want 20 characters, no lower case", m["apiKey"])
	}
	recs, _ := audit.List(ctx, st, audit.Filter{Secret: "/cogniforge/staging/secret-rotator/"})
	if len(recs) != 1 || recs[0].What != audit.WhatConfigRead || recs[0].Who != secretsfn.Name {
		t.Fatalf("config.read records %+v", recs)
	}
	if err := v.UpdateSecretVersionStage(ctx, secretID, secrets.StagePending, "", token); err != nil {
		t.Fatal(err)
	}

	// A bad length in a new instance (nothing good cached): createSecret
	// fails naming the setting; AWSCURRENT is kept.
	put("password/length", "4")
	const tok2 = "22222222-2222-4333-8444-555555555555"
	err = create(build(), tok2)
	if faas.ErrorName(err) != "Secrets.ConfigUnavailable" || !strings.Contains(err.Error(), "password/length") {
		t.Fatalf("bad length: %v", err)
	}
	v, _ = secrets.OpenFileVault(filepath.Join(dir, secretsfn.VaultFileName), key)
	if cur, _ := v.GetSecretValue(ctx, secretID, "", secrets.StageCurrent); cur.VersionID != "v1" {
		t.Fatalf("AWSCURRENT moved to %s", cur.VersionID)
	}
	if err := v.UpdateSecretVersionStage(ctx, secretID, secrets.StagePending, "", tok2); err != nil {
		t.Fatal(err)
	}

	// An unknown environment is refused by name.
	env[wiring.EnvEnvironment] = "qa"
	err = create(build(), "33333333-2222-4333-8444-555555555555")
	if faas.ErrorName(err) != "Secrets.ConfigUnavailable" || !strings.Contains(err.Error(), "COGNIFORGE_ENV") {
		t.Fatalf("unknown env: %v", err)
	}
}
