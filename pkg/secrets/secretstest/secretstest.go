// Package secretstest is the contract suite every secrets.Vault passes:
// the rotation protocol driven step by step the way Secrets Manager drives
// it, against the file vault and against Secrets Manager (moto).
package secretstest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cenkalti/backoff/v5"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// Harness is one Vault under test and the two calls outside the port that
// a rotation needs around it.
type Harness struct {
	Vault secrets.Vault
	// Create makes secret id with value as AWSCURRENT, rotation disabled.
	Create func(t *testing.T, id string, value []byte)
	// Start does what RotateSecret does before invoking the rotation
	// function: enable rotation and leave an AWSPENDING version token with
	// no value. It refuses, as Secrets Manager does, while a previous
	// rotation is not complete.
	Start func(t *testing.T, id, token string) error
}

var steps = []string{secrets.StepCreate, secrets.StepSet, secrets.StepTest, secrets.StepFinish}

// fast makes testSecret retry without waiting.
func fast(tries uint) secrets.Option {
	return secrets.WithTestBackoff(func() backoff.BackOff { return &backoff.ZeroBackOff{} }, tries)
}

// Run runs the contract suite; newHarness gives each test a fresh vault.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	ctx := context.Background()
	// Tokens are UUIDs: Secrets Manager requires 32 to 64 characters.
	const tok1, tok2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	initial := []byte(`{"user":"svc","apiKey":"old-key"}`)

	current := func(t *testing.T, h Harness, id string) secrets.Value {
		t.Helper()
		v, err := h.Vault.GetSecretValue(ctx, id, "", secrets.StageCurrent)
		if err != nil {
			t.Fatalf("AWSCURRENT: %v", err)
		}
		return v
	}

	t.Run("FullGenericRotationEachStepTwice", func(t *testing.T) {
		h := newHarness(t)
		h.Create(t, "api", initial)
		old := current(t, h, "api")
		if err := h.Start(t, "api", tok1); err != nil {
			t.Fatal(err)
		}
		var tested []string
		g := &secrets.Generic{Key: "apiKey", Policy: secrets.PasswordPolicy{Length: 40, ExcludePunctuation: true, RequireEachIncludedType: true},
			Check: func(_ context.Context, pending []byte) error { tested = append(tested, string(pending)); return nil }}
		for _, step := range steps {
			for i := 0; i < 2; i++ {
				if err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok1, Step: step}, fast(3)); err != nil {
					t.Fatalf("%s #%d: %v", step, i+1, err)
				}
			}
		}
		cur := current(t, h, "api")
		if cur.VersionID != tok1 {
			t.Fatalf("AWSCURRENT on %s, want %s", cur.VersionID, tok1)
		}
		var m map[string]string
		if err := json.Unmarshal(cur.Bytes, &m); err != nil {
			t.Fatal(err)
		}
		if m["user"] != "svc" || len(m["apiKey"]) != 40 || m["apiKey"] == "old-key" {
			t.Fatalf("rotated value %v: want user kept and a new 40-character apiKey", m)
		}
		// testSecret ran once per invocation, on the value that is now current.
		if len(tested) != 2 || tested[0] != string(cur.Bytes) {
			t.Fatalf("Check saw %q, want the new value twice", tested)
		}
		prev, err := h.Vault.GetSecretValue(ctx, "api", "", secrets.StagePrevious)
		if err != nil || prev.VersionID != old.VersionID || string(prev.Bytes) != string(old.Bytes) {
			t.Fatalf("AWSPREVIOUS = %+v, %v; want the old version %s", prev, err, old.VersionID)
		}
		d, err := h.Vault.DescribeSecret(ctx, "api")
		if err != nil {
			t.Fatal(err)
		}
		for vid, st := range d.VersionIdsToStages {
			if slices.Contains(st, secrets.StagePending) && !slices.Contains(st, secrets.StageCurrent) {
				t.Fatalf("version %s still AWSPENDING after finishSecret: %v", vid, d.VersionIdsToStages)
			}
		}
		// A second rotation after the first completed goes through.
		if err := h.Start(t, "api", tok2); err != nil {
			t.Fatalf("second rotation after completion: %v", err)
		}
		for _, step := range steps {
			if err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok2, Step: step}, fast(3)); err != nil {
				t.Fatalf("rotation 2 %s: %v", step, err)
			}
		}
		if cur := current(t, h, "api"); cur.VersionID != tok2 {
			t.Fatalf("AWSCURRENT on %s after rotation 2", cur.VersionID)
		}
		if prev, _ := h.Vault.GetSecretValue(ctx, "api", "", secrets.StagePrevious); prev.VersionID != tok1 {
			t.Fatalf("AWSPREVIOUS on %s, want %s", prev.VersionID, tok1)
		}
		// The finished token is no longer pending: a stray replay of its
		// first token is refused, not applied.
		err = secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok1, Step: secrets.StepSet})
		if !errors.Is(err, secrets.ErrNotPending) {
			t.Fatalf("setSecret on the AWSPREVIOUS token: %v, want Secrets.NotPending", err)
		}
	})

	t.Run("TestFailureLeavesCurrentAndNextAttemptCompletes", func(t *testing.T) {
		h := newHarness(t)
		h.Create(t, "api", initial)
		old := current(t, h, "api")
		if err := h.Start(t, "api", tok1); err != nil {
			t.Fatal(err)
		}
		calls, failUntil := 0, 5
		g := &secrets.Generic{Key: "apiKey", Check: func(context.Context, []byte) error {
			calls++
			if calls <= failUntil {
				return errors.New("401 from the API: key not yet propagated")
			}
			return nil
		}}
		run := func(step string) error {
			return secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok1, Step: step}, fast(3))
		}
		for _, step := range steps[:2] {
			if err := run(step); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		err := run(secrets.StepTest)
		var named interface{ ErrorName() string }
		if !errors.Is(err, secrets.ErrTestFailed) || !errors.As(err, &named) || named.ErrorName() != "Secrets.TestFailed" {
			t.Fatalf("testSecret = %v, want Secrets.TestFailed", err)
		}
		if calls != 3 {
			t.Fatalf("Check called %d times, want 3 attempts", calls)
		}
		if cur := current(t, h, "api"); cur.VersionID != old.VersionID || string(cur.Bytes) != string(old.Bytes) {
			t.Fatalf("AWSCURRENT moved after a failed testSecret: %+v", cur)
		}
		// Secrets Manager retries the step: the key has propagated by then
		// (attempts 4 and 5 still fail, the 6th works: backoff covers it).
		if err := run(secrets.StepTest); err != nil {
			t.Fatalf("testSecret retry: %v", err)
		}
		if err := run(secrets.StepFinish); err != nil {
			t.Fatal(err)
		}
		if cur := current(t, h, "api"); cur.VersionID != tok1 {
			t.Fatalf("AWSCURRENT on %s, want %s", cur.VersionID, tok1)
		}
	})

	t.Run("SecondRotationWhilePendingRefused", func(t *testing.T) {
		h := newHarness(t)
		h.Create(t, "api", initial)
		old := current(t, h, "api")
		if err := h.Start(t, "api", tok1); err != nil {
			t.Fatal(err)
		}
		g := &secrets.Generic{Key: "apiKey"}
		if err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok1, Step: secrets.StepCreate}); err != nil {
			t.Fatal(err)
		}
		err := h.Start(t, "api", tok2)
		if err == nil {
			err = secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: tok2, Step: secrets.StepCreate})
		}
		if !errors.Is(err, secrets.ErrRotationInProgress) {
			t.Fatalf("second rotation: %v, want Secrets.RotationInProgress", err)
		}
		// The engine refuses by itself too: a token it does not know while
		// tok1 is pending.
		err = secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "api", ClientRequestToken: "33333333-3333-4333-8333-333333333333", Step: secrets.StepCreate})
		if !errors.Is(err, secrets.ErrRotationInProgress) {
			t.Fatalf("unknown token while pending: %v, want Secrets.RotationInProgress", err)
		}
		if cur := current(t, h, "api"); cur.VersionID != old.VersionID {
			t.Fatalf("AWSCURRENT moved: %+v", cur)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		g := &secrets.Generic{Key: "apiKey"}
		cases := []struct {
			name    string
			value   string
			start   bool
			token   string
			step    string
			want    *secrets.Error
			mention string
		}{
			{"NotJSON", "plain text", true, tok1, secrets.StepCreate, secrets.ErrInvalidSecret, "not a JSON object"},
			{"MissingField", `{"token":"k"}`, true, tok1, secrets.StepCreate, secrets.ErrInvalidSecret, `no field "apiKey"`},
			{"UnknownTokenWhilePending", `{"apiKey":"k"}`, true, "44444444-4444-4444-8444-444444444444", secrets.StepSet, secrets.ErrRotationInProgress, "AWSPENDING"},
			{"UnknownTokenNoRotation", `{"apiKey":"k"}`, false, "44444444-4444-4444-8444-444444444444", secrets.StepCreate, secrets.ErrRotationNotEnabled, "rotation disabled"},
			{"RotationNotEnabled", `{"apiKey":"k"}`, false, tok1, secrets.StepCreate, secrets.ErrRotationNotEnabled, "rotation disabled"},
			{"FinishBeforeCreate", `{"apiKey":"k"}`, true, tok1, secrets.StepFinish, secrets.ErrVersionNotFound, ""},
			{"UnknownStep", `{"apiKey":"k"}`, true, tok1, "rotateAll", secrets.ErrInvalidRequest, "unknown step"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := newHarness(t)
				h.Create(t, "s", []byte(c.value))
				old := current(t, h, "s")
				if c.start {
					if err := h.Start(t, "s", tok1); err != nil {
						t.Fatal(err)
					}
				}
				err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "s", ClientRequestToken: c.token, Step: c.step})
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %s", err, c.want.Name)
				}
				if c.mention != "" && !contains(err.Error(), c.mention) {
					t.Fatalf("error %q does not say %q", err, c.mention)
				}
				if cur := current(t, h, "s"); cur.VersionID != old.VersionID || string(cur.Bytes) != c.value {
					t.Fatalf("AWSCURRENT changed: %+v", cur)
				}
			})
		}
	})

	t.Run("UnknownSecret", func(t *testing.T) {
		h := newHarness(t)
		err := secrets.Rotate(ctx, h.Vault, &secrets.Generic{Key: "apiKey"}, secrets.Request{SecretID: "nope", ClientRequestToken: tok1, Step: secrets.StepCreate})
		if !errors.Is(err, secrets.ErrSecretNotFound) || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("err = %v, want Secrets.SecretNotFound naming the secret", err)
		}
	})

	t.Run("UnknownTokenWithoutPending", func(t *testing.T) {
		h := newHarness(t)
		h.Create(t, "s", initial)
		if err := h.Start(t, "s", tok1); err != nil {
			t.Fatal(err)
		}
		g := &secrets.Generic{Key: "apiKey"}
		for _, step := range steps {
			if err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "s", ClientRequestToken: tok1, Step: step}); err != nil {
				t.Fatal(err)
			}
		}
		err := secrets.Rotate(ctx, h.Vault, g, secrets.Request{SecretID: "s", ClientRequestToken: "55555555-5555-4555-8555-555555555555", Step: secrets.StepSet})
		if !errors.Is(err, secrets.ErrUnknownToken) || !contains(err.Error(), "55555555") {
			t.Fatalf("err = %v, want Secrets.UnknownToken naming the token", err)
		}
	})

	t.Run("PutSecretValueIdempotentPerToken", func(t *testing.T) {
		h := newHarness(t)
		h.Create(t, "s", initial)
		const tok = "66666666-6666-4666-8666-666666666666"
		for i := 0; i < 2; i++ {
			if err := h.Vault.PutSecretValue(ctx, "s", tok, []byte(`{"apiKey":"a"}`), []string{secrets.StagePending}); err != nil {
				t.Fatalf("put #%d: %v", i+1, err)
			}
		}
		err := h.Vault.PutSecretValue(ctx, "s", tok, []byte(`{"apiKey":"b"}`), []string{secrets.StagePending})
		if !errors.Is(err, secrets.ErrTokenConflict) {
			t.Fatalf("conflicting put: %v, want Secrets.TokenConflict", err)
		}
		v, err := h.Vault.GetSecretValue(ctx, "s", tok, secrets.StagePending)
		if err != nil || string(v.Bytes) != `{"apiKey":"a"}` {
			t.Fatalf("pending = %+v, %v", v, err)
		}
	})

	t.Run("RandomPasswordPolicy", func(t *testing.T) {
		h := newHarness(t)
		p, err := h.Vault.GetRandomPassword(ctx, secrets.PasswordPolicy{Length: 24, ExcludeCharacters: "abcdef", ExcludePunctuation: true, RequireEachIncludedType: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 24 {
			t.Fatalf("len %d", len(p))
		}
		var lower, upper, digit bool
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'f':
				t.Fatalf("%q has excluded %q", p, r)
			case r >= 'a' && r <= 'z':
				lower = true
			case r >= 'A' && r <= 'Z':
				upper = true
			case r >= '0' && r <= '9':
				digit = true
			default:
				t.Fatalf("%q has punctuation %q", p, r)
			}
		}
		if !lower || !upper || !digit {
			t.Fatalf("%q lacks a required class", p)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
