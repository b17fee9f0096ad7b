package secrets_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cenkalti/backoff/v5"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

const tok = "11111111-1111-4111-8111-111111111111"

func newVault(t *testing.T) (*secrets.FileVault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault")
	v, err := secrets.OpenFileVault(path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return v, path
}

func TestParseKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	cases := []struct {
		name, value, wantErr string
	}{
		{"Base64", base64.StdEncoding.EncodeToString(key), ""},
		{"Hex", hex.EncodeToString(key), ""},
		{"Missing", "", "is not set"},
		{"Short", base64.StdEncoding.EncodeToString(key[:16]), "must be a 32-byte key"},
		{"Garbage", "not a key", "must be a 32-byte key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := secrets.ParseKey("TEST_VAULT_KEY", c.value)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "TEST_VAULT_KEY") {
					t.Fatalf("err = %v, want one naming TEST_VAULT_KEY and %q", err, c.wantErr)
				}
				return
			}
			if err != nil || string(got) != string(key) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestFileVaultPersistsEncryptedAndRefusesWrongKey(t *testing.T) {
	ctx := context.Background()
	v, path := newVault(t)
	if err := v.CreateSecret(ctx, "db", "v1", []byte(`{"password":"hunter2"}`)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "hunter2") || strings.Contains(string(raw), "AWSCURRENT") {
		t.Fatal("vault file holds plaintext")
	}
	again, err := secrets.OpenFileVault(path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.GetSecretValue(ctx, "db", "", secrets.StageCurrent); err != nil || string(got.Bytes) != `{"password":"hunter2"}` {
		t.Fatalf("reopened: %+v, %v", got, err)
	}
	wrong := []byte("ffffffffffffffffffffffffffffffff")
	if _, err := secrets.OpenFileVault(path, wrong); err == nil || !strings.Contains(err.Error(), "wrong key") {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := secrets.OpenFileVault(path, testKey[:16]); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short key: %v", err)
	}
}

func TestFileVaultStages(t *testing.T) {
	ctx := context.Background()
	v, _ := newVault(t)
	if err := v.CreateSecret(ctx, "s", "v1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecretValue(ctx, "s", "v2", []byte("b"), []string{secrets.StagePending}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                   string
		stage, moveTo, from    string
		want                   error
		current, prev, pending string
	}{
		{"MoveCurrentFromWrongVersion", secrets.StageCurrent, "v2", "v9", secrets.ErrInvalidStage, "v1", "", "v2"},
		{"MoveCurrentWithoutRemoveFrom", secrets.StageCurrent, "v2", "", secrets.ErrInvalidStage, "v1", "", "v2"},
		{"MoveToUnknownVersion", secrets.StageCurrent, "v9", "v1", secrets.ErrVersionNotFound, "v1", "", "v2"},
		{"MoveCurrent", secrets.StageCurrent, "v2", "v1", nil, "v2", "v1", "v2"},
		{"RemovePending", secrets.StagePending, "", "v2", nil, "v2", "v1", ""},
		{"RemoveStageNotThere", secrets.StagePending, "", "v1", secrets.ErrInvalidStage, "v2", "v1", ""},
		{"Rollback", secrets.StageCurrent, "v1", "v2", nil, "v1", "v2", ""},
	}
	for _, c := range cases { // in order: each case starts where the last left
		err := v.UpdateSecretVersionStage(ctx, "s", c.stage, c.moveTo, c.from)
		if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Fatalf("%s: err = %v, want %v", c.name, err, c.want)
		}
		d, _ := v.DescribeSecret(ctx, "s")
		for stage, want := range map[string]string{secrets.StageCurrent: c.current, secrets.StagePrevious: c.prev, secrets.StagePending: c.pending} {
			var on []string
			for vid, st := range d.VersionIdsToStages {
				for _, s := range st {
					if s == stage {
						on = append(on, vid)
					}
				}
			}
			if fmt.Sprint(on) != fmt.Sprint(nonEmpty(want)) {
				t.Fatalf("%s: %s on %v, want %q (%v)", c.name, stage, on, want, d.VersionIdsToStages)
			}
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestFileVaultConcurrentUse(t *testing.T) {
	ctx := context.Background()
	v, path := newVault(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("s%d", i)
			if err := v.CreateSecret(ctx, id, "v1", []byte(id)); err != nil {
				t.Error(err)
				return
			}
			if err := v.PutSecretValue(ctx, id, "v2", []byte(id+"-2"), []string{secrets.StageCurrent}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	again, err := secrets.OpenFileVault(path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("s%d", i)
		got, err := again.GetSecretValue(ctx, id, "", secrets.StageCurrent)
		if err != nil || string(got.Bytes) != id+"-2" || got.VersionID != "v2" {
			t.Fatalf("%s: %+v, %v", id, got, err)
		}
	}
}

// failingTarget fails Set, or Test until ctx ends.
type failingTarget struct {
	secrets.Generic
	setErr  error
	testErr error
}

func (f *failingTarget) Set(context.Context, []byte, []byte) error { return f.setErr }
func (f *failingTarget) Test(context.Context, []byte) error        { return f.testErr }

func TestRotateFailures(t *testing.T) {
	ctx := context.Background()
	zero := secrets.WithTestBackoff(func() backoff.BackOff { return &backoff.ZeroBackOff{} }, 1000000)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name   string
		ctx    context.Context
		target *failingTarget
		step   string
		want   error
	}{
		{"SetFails", ctx, &failingTarget{Generic: secrets.Generic{Key: "password"}, setErr: errors.New("db unreachable")}, secrets.StepSet, secrets.ErrSetFailed},
		{"TestBoundedByContext", cancelled, &failingTarget{Generic: secrets.Generic{Key: "password"}, testErr: errors.New("login failed")}, secrets.StepTest, secrets.ErrTestFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := newVault(t)
			_ = v.CreateSecret(ctx, "db", "v1", []byte(`{"username":"app","password":"old"}`))
			_ = v.StartRotation(ctx, "db", tok)
			if err := secrets.Rotate(ctx, v, c.target, secrets.Request{SecretID: "db", ClientRequestToken: tok, Step: secrets.StepCreate}); err != nil {
				t.Fatal(err)
			}
			err := secrets.Rotate(c.ctx, v, c.target, secrets.Request{SecretID: "db", ClientRequestToken: tok, Step: c.step}, zero)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			cur, _ := v.GetSecretValue(ctx, "db", "", secrets.StageCurrent)
			if cur.VersionID != "v1" {
				t.Fatalf("AWSCURRENT moved to %s", cur.VersionID)
			}
		})
	}
}

// plainTarget does not implement Generator: createSecret then follows the
// AWS convention and replaces "password".
type plainTarget struct{}

func (plainTarget) Set(context.Context, []byte, []byte) error { return nil }
func (plainTarget) Test(context.Context, []byte) error        { return nil }

func TestDefaultGeneratorReplacesPassword(t *testing.T) {
	ctx := context.Background()
	v, _ := newVault(t)
	_ = v.CreateSecret(ctx, "db", "v1", []byte(`{"username":"app","password":"old"}`))
	_ = v.StartRotation(ctx, "db", tok)
	if err := secrets.Rotate(ctx, v, plainTarget{}, secrets.Request{SecretID: "db", ClientRequestToken: tok, Step: secrets.StepCreate}); err != nil {
		t.Fatal(err)
	}
	p, err := v.GetSecretValue(ctx, "db", tok, secrets.StagePending)
	if err != nil || !strings.Contains(string(p.Bytes), `"username":"app"`) || strings.Contains(string(p.Bytes), `"old"`) {
		t.Fatalf("pending = %s, %v", p.Bytes, err)
	}
}

func TestRandomPasswordBadPolicy(t *testing.T) {
	cases := []struct {
		name string
		p    secrets.PasswordPolicy
		want string
	}{
		{"TooLong", secrets.PasswordPolicy{Length: 5000}, "out of range"},
		{"Negative", secrets.PasswordPolicy{Length: -1}, "out of range"},
		{"EverythingExcluded", secrets.PasswordPolicy{ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true}, "excludes every character"},
		{"ShorterThanClasses", secrets.PasswordPolicy{Length: 2, RequireEachIncludedType: true}, "shorter than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := secrets.RandomPassword(c.p)
			if !errors.Is(err, secrets.ErrInvalidRequest) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// fallbackTarget records what setSecret hands a PreviousSetter.
type fallbackTarget struct {
	secrets.Generic
	calls    int
	previous []string
}

func (f *fallbackTarget) Set(context.Context, []byte, []byte) error {
	return errors.New("Set called: a PreviousSetter must get SetWithPrevious")
}

func (f *fallbackTarget) SetWithPrevious(_ context.Context, _, previous, _ []byte) error {
	f.calls++
	if previous == nil {
		f.previous = append(f.previous, "<nil>")
	} else {
		f.previous = append(f.previous, string(previous))
	}
	return nil
}

// setSecret hands a PreviousSetter the AWSPREVIOUS value, nil when there
// is none yet (the first rotation).
func TestSetHandsPreviousToPreviousSetter(t *testing.T) {
	ctx := context.Background()
	v, _ := newVault(t)
	if err := v.CreateSecret(ctx, "db", "v0", []byte(`{"password":"p0"}`)); err != nil {
		t.Fatal(err)
	}
	target := &fallbackTarget{Generic: secrets.Generic{Key: "password"}}
	for i, token := range []string{tok, "22222222-2222-4222-8222-222222222222"} {
		if err := v.StartRotation(ctx, "db", token); err != nil {
			t.Fatal(err)
		}
		for _, step := range []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish} {
			if err := secrets.Rotate(ctx, v, target, secrets.Request{SecretID: "db", ClientRequestToken: token, Step: step}); err != nil {
				t.Fatalf("rotation %d %s: %v", i+1, step, err)
			}
		}
	}
	if target.calls != 2 || target.previous[0] != "<nil>" || target.previous[1] != `{"password":"p0"}` {
		t.Fatalf("SetWithPrevious saw previous %q (%d calls), want <nil> then the first value", target.previous, target.calls)
	}
}
