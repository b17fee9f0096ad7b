// Package secretsfn builds secret-rotator, the function Secrets Manager
// invokes for each step of a rotation (its Lambda adapter turns the
// invocation into a dev.cogniforge.secret.rotation.requested.v1 event).
// It runs secrets.Rotate over Secrets Manager when the ports use AWS and
// over the local encrypted FileVault otherwise, picks the rotator from the
// secret's own JSON ("engine": a generic key, or PostgreSQL single user, or
// alternating users when the secret names its master) and reports every
// step as a catalog event and an audit record (every read of a value too,
// as secret.read). Its password settings (Settings: password/length,
// password/exclude-characters) come from /cogniforge/$COGNIFORGE_ENV/
// secret-rotator/ through wiring.FunctionConfig. Nothing it logs, publishes
// or records holds a secret's value: only its id, the version token, the
// step and outcome.
package secretsfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = "secret-rotator"

// Source is the CloudEvents source of the events it publishes.
const Source = "cogniforge/" + Name

// EnvVaultFile names the local vault file; when unset it is
// $COGNIFORGE_DATA_DIR/vault.json.
const EnvVaultFile = "COGNIFORGE_VAULT_FILE"

// VaultFileName is the local vault's file name in the data directory.
const VaultFileName = "vault.json"

// ErrUnsupportedEngine is a secret whose "engine" names a rotator this
// build does not have.
var ErrUnsupportedEngine = &secrets.Error{Name: "Secrets.UnsupportedEngine", Msg: "no rotator for the secret's engine"}

// VaultPath is where the local vault lives for an environment: $EnvVaultFile,
// else vault.json in $COGNIFORGE_DATA_DIR; empty when neither is set.
func VaultPath(env wiring.Env) string {
	if p := env(EnvVaultFile); p != "" {
		return p
	}
	if d := env(wiring.EnvDataDir); d != "" {
		return filepath.Join(d, VaultFileName)
	}
	return ""
}

// OpenLocalVault opens the FileVault at path with the key in
// $COGNIFORGE_VAULT_KEY.
func OpenLocalVault(env wiring.Env, path string) (*secrets.FileVault, error) {
	if path == "" {
		return nil, fmt.Errorf("secret-rotator: no local vault: set %s or %s", EnvVaultFile, wiring.EnvDataDir)
	}
	key, err := secrets.ParseKey(secrets.KeyEnv, env(secrets.KeyEnv))
	if err != nil {
		return nil, err
	}
	return secrets.OpenFileVault(path, key)
}

// Build is secret-rotator's wiring.Builder, reading the process
// environment for the local vault.
func Build(p wiring.Ports) (faas.Function, error) { return Builder(os.Getenv)(p) }

// Builder returns the builder reading env for the local vault (tests pass
// a map's lookup).
func Builder(env wiring.Env) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		var open func() (secrets.Vault, error)
		if p.AWS != nil {
			v := smsecrets.NewFromConfig(*p.AWS)
			open = func() (secrets.Vault, error) { return v, nil }
		} else {
			// Opened at each invocation, not at build: the CLI (doctor,
			// rollback) changes the file between steps, and a missing
			// key must not stop `cogniforge run` from hosting the rest.
			open = func() (secrets.Vault, error) { return OpenLocalVault(env, VaultPath(env)) }
		}
		// The password settings are read at createSecret through the
		// function's cached configuration; a bad COGNIFORGE_ENV fails
		// the steps that need it, not the build, for the same reason.
		settings, err := wiring.FunctionConfig(p, env, Name, ValidateSettings, config.LoaderConfig{})
		return New(Config{Open: open, Ports: p, Settings: settings, SettingsErr: err}), nil
	}
}

// Settings is secret-rotator's configuration, read from
// /cogniforge/<env>/secret-rotator/ (SSM Parameter Store in AWS, the
// embedded store locally) through a cache of one minute.
type Settings struct {
	// PasswordLength is the length of new passwords and keys; 0 means
	// 32.
	PasswordLength int `config:"password/length"`
	// ExcludeCharacters are never put in a new password, in addition to
	// the ones the database rotators always exclude (/@"'\).
	ExcludeCharacters string `config:"password/exclude-characters"`
}

// ValidateSettings refuses a length GetRandomPassword would refuse or
// that makes a weak credential.
func ValidateSettings(s Settings) error {
	if s.PasswordLength != 0 && (s.PasswordLength < 12 || s.PasswordLength > 4096) {
		return fmt.Errorf("password/length %d: want 12 to 4096 (0 or unset: 32)", s.PasswordLength)
	}
	return nil
}

// ErrConfigUnavailable is a createSecret whose password settings cannot
// be read (no good value yet, an unknown COGNIFORGE_ENV): the step fails
// and AWSCURRENT stays as it is.
var ErrConfigUnavailable = &secrets.Error{Name: "Secrets.ConfigUnavailable", Msg: "rotator settings unavailable"}

// applySettings sets the password policy of target from s.
func applySettings(target secrets.Target, s Settings) {
	if s == (Settings{}) {
		return
	}
	adjust := func(p *secrets.PasswordPolicy, base secrets.PasswordPolicy) {
		if *p == (secrets.PasswordPolicy{}) {
			*p = base
		}
		if s.PasswordLength != 0 {
			p.Length = s.PasswordLength
		}
		p.ExcludeCharacters += s.ExcludeCharacters
	}
	switch t := target.(type) {
	case *secrets.Generic:
		adjust(&t.Policy, secrets.PasswordPolicy{Length: 32})
	case *pgrotate.SingleUser:
		adjust(&t.Policy, secrets.DefaultPolicy)
	case *pgrotate.AlternatingUsers:
		adjust(&t.Policy, secrets.DefaultPolicy)
	}
}

// Config is what New needs.
type Config struct {
	// Open returns the vault for one invocation.
	Open  func() (secrets.Vault, error)
	Ports wiring.Ports
	// Options tune secrets.Rotate (tests pass a zero test backoff).
	Options []secrets.Option
	// Settings, when set, is read at createSecret for the new value's
	// password policy; SettingsErr, when set, fails createSecret instead.
	Settings    *config.Loader[Settings]
	SettingsErr error
}

// New returns the function.
func New(c Config) faas.Function {
	r := &rotator{c: c, now: c.Ports.Now, log: c.Ports.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if c.Ports.Store != nil {
		r.audit = &audit.Recorder{Store: c.Ports.Store, Bus: c.Ports.Bus, Now: c.Ports.Now}
	}
	return faas.Function{
		Name:          Name,
		Description:   "Runs the Secrets Manager rotation protocol for the secrets it is attached to",
		Handler:       r.handle,
		Consumes:      []string{faas.SecretRotationType},
		TaskEventType: faas.SecretRotationType,
		Triggers:      []faas.Trigger{{Kind: faas.TriggerRotation}},
	}
}

type rotator struct {
	c     Config
	now   func() time.Time
	log   *slog.Logger
	audit *audit.Recorder
}

func (r *rotator) handle(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	var req faas.SecretRotation
	if err := json.Unmarshal(ev.Data(), &req); err != nil {
		return nil, &faas.Error{Name: "Secrets.InvalidRequest", Message: "rotation request is not JSON: " + err.Error()}
	}
	if req.SecretID == "" || req.ClientRequestToken == "" || req.Step == "" {
		return nil, &faas.Error{Name: "Secrets.InvalidRequest", Message: "rotation request needs SecretId, ClientRequestToken and Step"}
	}
	start := r.now()
	err := r.rotate(ctx, req)
	took := r.now().Sub(start)
	outcome, name := events.OutcomeSucceeded, ""
	if err != nil {
		outcome, name = events.OutcomeFailed, faas.ErrorName(err)
	}
	// Only names: an error message may quote what a target said, and the
	// value must never reach a log.
	r.log.InfoContext(ctx, "rotation step", "secretId", req.SecretID, "step", req.Step, "outcome", outcome, "errorName", name, "durationMs", took.Milliseconds())
	reportErr := r.report(ctx, req, outcome, name, took)
	if err != nil {
		return nil, err
	}
	return nil, reportErr
}

func (r *rotator) rotate(ctx context.Context, req faas.SecretRotation) error {
	v, err := r.c.Open()
	if err != nil {
		return &faas.Error{Name: "Secrets.VaultUnavailable", Message: err.Error()}
	}
	if r.audit != nil {
		// Every read of a value (the secret's, and an alternating-users
		// master's) is audited as secret.read; a record that cannot be
		// written is logged and never fails the rotation.
		v = &audit.Vault{Vault: v, Recorder: r.audit, Who: Name, OnError: func(err error) {
			r.log.WarnContext(ctx, "audit record not written", "secretId", req.SecretID, "error", err.Error())
		}}
	}
	target, err := TargetFor(ctx, v, req.SecretID)
	if err != nil {
		return err
	}
	if req.Step == secrets.StepCreate {
		if r.c.SettingsErr != nil {
			return &secrets.Error{Name: ErrConfigUnavailable.Name, Msg: "secret " + req.SecretID, Err: r.c.SettingsErr}
		}
		if r.c.Settings != nil {
			s, err := r.c.Settings.Get(ctx)
			if err != nil {
				return &secrets.Error{Name: ErrConfigUnavailable.Name, Msg: "secret " + req.SecretID, Err: err}
			}
			applySettings(target, s)
		}
	}
	return secrets.Rotate(ctx, v, target, secrets.Request{SecretID: req.SecretID, ClientRequestToken: req.ClientRequestToken, Step: req.Step}, r.c.Options...)
}

// report publishes the step's outcome (and the finished rotation) and
// records it in the audit trail.
func (r *rotator) report(ctx context.Context, req faas.SecretRotation, outcome, name string, took time.Duration) error {
	var errs []error
	if r.c.Ports.Bus != nil {
		evs := []cloudevents.Event{}
		step, err := events.New(ctx, events.TypeSecretRotationStep, Source, events.SecretRotationStep{
			SecretID: req.SecretID, Token: req.ClientRequestToken, Step: req.Step,
			Outcome: outcome, ErrorName: name, DurationMs: took.Milliseconds(),
		}, events.Subject(req.SecretID), events.Time(r.now()))
		errs = append(errs, err)
		if err == nil {
			evs = append(evs, step)
		}
		if req.Step == secrets.StepFinish && outcome == events.OutcomeSucceeded {
			at := r.now().UTC()
			done, err := events.New(ctx, events.TypeSecretRotated, Source, events.SecretRotated{
				SecretID: req.SecretID, Token: req.ClientRequestToken, RotatedAt: at.Format(time.RFC3339),
			}, events.Subject(req.SecretID), events.Time(at))
			errs = append(errs, err)
			if err == nil {
				evs = append(evs, done)
			}
		}
		perrs, err := r.c.Ports.Bus.Publish(ctx, evs)
		errs = append(errs, err)
		errs = append(errs, perrs...)
	}
	if r.audit != nil {
		errs = append(errs, r.audit.Record(ctx, audit.Record{
			Who: Name, What: "rotation." + req.Step, SecretID: req.SecretID,
			Outcome: outcome, ErrorName: name,
		}))
	}
	return errors.Join(errs...)
}

// TargetFor picks the rotator of secret id from its AWSCURRENT value's
// "engine": none or "generic" rotates a random key in place (see
// GenericKey); "postgres" rotates the database user the secret names, as
// pgrotate.AlternatingUsers when the secret has a "masterarn" (the master
// secret is read through v, the same backend: Secrets Manager or the local
// vault) and as pgrotate.SingleUser otherwise. A database secret that
// lacks a field is refused here with Secrets.InvalidSecret naming it,
// before any step acts; another engine is ErrUnsupportedEngine, so a
// secret is never "rotated" without its target. A value that cannot be
// read or is not JSON is left to secrets.Rotate, whose checks name the
// problem. `cogniforge secrets doctor` and `rollback` use the same choice.
func TargetFor(ctx context.Context, v secrets.Vault, id string) (secrets.Target, error) {
	cur, err := v.GetSecretValue(ctx, id, "", secrets.StageCurrent)
	if err != nil {
		return &secrets.Generic{Key: "password"}, nil
	}
	var shape struct {
		Engine      string `json:"engine"`
		RotationKey string `json:"rotationKey"`
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(cur.Bytes, &shape)
	_ = json.Unmarshal(cur.Bytes, &m)
	switch shape.Engine {
	case "", "generic":
		return &secrets.Generic{Key: GenericKey(shape.RotationKey, m)}, nil
	case pgrotate.Engine:
		s, err := pgrotate.ParseSecret(cur.Bytes)
		if err != nil {
			return nil, fmt.Errorf("secret %s AWSCURRENT (engine %s): %w", id, pgrotate.Engine, err)
		}
		if s.MasterARN != "" {
			return &pgrotate.AlternatingUsers{Master: v}, nil
		}
		return &pgrotate.SingleUser{}, nil
	default:
		return nil, &secrets.Error{Name: ErrUnsupportedEngine.Name, Msg: fmt.Sprintf("engine %q is not supported (supported: generic, %s)", shape.Engine, pgrotate.Engine)}
	}
}

// IsDatabase reports whether t logs in to a database, so that whether a
// version works can be asked of the database itself (doctor, rollback).
func IsDatabase(t secrets.Target) bool {
	switch t.(type) {
	case *pgrotate.SingleUser, *pgrotate.AlternatingUsers:
		return true
	}
	return false
}

// GenericKey is the field the generic rotator replaces: "rotationKey"
// when the secret names one, else the first of password, apiKey, key,
// token that the secret holds ("password" when none is).
func GenericKey(named string, fields map[string]json.RawMessage) string {
	if named != "" {
		return named
	}
	for _, k := range []string{"password", "apiKey", "key", "token"} {
		if _, ok := fields[k]; ok {
			return k
		}
	}
	return "password"
}
