// Package secrets runs the Secrets Manager rotation protocol (createSecret,
// setSecret, testSecret, finishSecret) against a Vault port, with the same
// guards AWS's own rotation templates apply before each step, so that every
// step can run twice with no extra effect and a failed step never moves
// AWSCURRENT. The package links no platform: Secrets Manager is reached
// through pkg/secrets/smsecrets, and FileVault is the local backend for the
// embedded runtime.
//
// Rotate keeps no state between calls: everything it decides comes from the
// secret's versions and staging labels, which is what makes a retried or
// duplicated step harmless. Errors carry faas-style names (ErrorName, e.g.
// Secrets.RotationInProgress) so an invocation result says why a step
// failed. FileVault is safe for concurrent use within one process; the
// core reads no environment (the wiring passes ParseKey the key).
package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Staging labels, as Secrets Manager names them. Each is on at most one
// version of a secret.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// Steps, spelled as Secrets Manager sends them in the Step field.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// Description is what DescribeSecret tells the protocol: whether rotation is
// enabled and which staging labels each version carries.
type Description struct {
	ID                 string
	RotationEnabled    bool
	VersionIdsToStages map[string][]string
	// Rules is the secret's rotation policy (zero: none set).
	Rules RotationRules
	// CreatedDate and LastRotatedDate are zero when the backend does
	// not say. A secret never rotated counts from its creation.
	CreatedDate, LastRotatedDate time.Time
}

// LastRotation is when the secret last rotated, else when it was created.
func (d Description) LastRotation() time.Time {
	if !d.LastRotatedDate.IsZero() {
		return d.LastRotatedDate
	}
	return d.CreatedDate
}

// Value is one version of a secret.
type Value struct {
	VersionID string
	Stages    []string
	Bytes     []byte
}

// PasswordPolicy is GetRandomPassword's input. The zero value asks for 32
// characters from every class except space.
type PasswordPolicy struct {
	Length                  int
	ExcludeCharacters       string
	ExcludeLowercase        bool
	ExcludeUppercase        bool
	ExcludeNumbers          bool
	ExcludePunctuation      bool
	IncludeSpace            bool
	RequireEachIncludedType bool
}

// Vault is what the rotation protocol needs from Secrets Manager.
type Vault interface {
	// DescribeSecret reports rotation and the versions' staging labels.
	DescribeSecret(ctx context.Context, id string) (Description, error)
	// GetSecretValue reads the version versionID, or the version carrying
	// stage when versionID is empty; when both are given they must agree.
	// A version that does not exist or has no value yet is ErrVersionNotFound.
	GetSecretValue(ctx context.Context, id, versionID, stage string) (Value, error)
	// PutSecretValue stores value as version token with stages. Repeating
	// it with the same token and value is a no-op; a different value for an
	// existing token is ErrTokenConflict.
	PutSecretValue(ctx context.Context, id, token string, value []byte, stages []string) error
	// UpdateSecretVersionStage moves stage to moveTo (removing it from
	// removeFrom, which must be where it is now), or with moveTo empty
	// removes it from removeFrom. Moving AWSCURRENT puts AWSPREVIOUS on the
	// version that held it.
	UpdateSecretVersionStage(ctx context.Context, id, stage, moveTo, removeFrom string) error
	// GetRandomPassword returns a random string that satisfies policy.
	GetRandomPassword(ctx context.Context, policy PasswordPolicy) (string, error)
}

// Target is the system the secret unlocks: Set applies the pending value
// (current is what works today), Test proves the pending value works.
type Target interface {
	Set(ctx context.Context, current, pending []byte) error
	Test(ctx context.Context, pending []byte) error
}

// PreviousSetter is a Target whose setSecret can fall back on the
// AWSPREVIOUS value, as AWS's RDS rotation templates do, when the current
// value no longer logs in: a crash left the target on another version's
// password, or someone set it by hand. Rotate calls SetWithPrevious instead
// of Set, with previous nil when the secret has no AWSPREVIOUS version.
type PreviousSetter interface {
	SetWithPrevious(ctx context.Context, current, previous, pending []byte) error
}

// Generator makes the pending value in createSecret from the current one.
// A Target that does not implement it gets the AWS convention: the JSON
// field "password" replaced by a random password of the default policy.
type Generator interface {
	NewValue(ctx context.Context, current []byte, password func(context.Context, PasswordPolicy) (string, error)) ([]byte, error)
}

// Request is Secrets Manager's rotation invocation.
type Request struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
	Step               string `json:"Step"`
}

// Error is a named protocol error; ErrorName is what faas reports as the
// error type, so a failed step shows its reason in the invocation result.
type Error struct {
	Name string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Name + ": " + e.Msg + ": " + e.Err.Error()
	}
	return e.Name + ": " + e.Msg
}

// ErrorName returns the error's name, e.g. Secrets.NotPending.
func (e *Error) ErrorName() string { return e.Name }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches errors by name, so errors.Is(err, ErrNotPending) holds for any
// Secrets.NotPending whatever its message.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Name == e.Name
}

// Named errors; compare with errors.Is.
var (
	ErrInvalidRequest     = &Error{Name: "Secrets.InvalidRequest", Msg: "invalid rotation request"}
	ErrSecretNotFound     = &Error{Name: "Secrets.SecretNotFound", Msg: "secret not found"}
	ErrRotationNotEnabled = &Error{Name: "Secrets.RotationNotEnabled", Msg: "rotation is not enabled"}
	ErrUnknownToken       = &Error{Name: "Secrets.UnknownToken", Msg: "token is not a version of the secret"}
	ErrNotPending         = &Error{Name: "Secrets.NotPending", Msg: "token is not AWSPENDING"}
	ErrRotationInProgress = &Error{Name: "Secrets.RotationInProgress", Msg: "a previous rotation is not complete"}
	ErrVersionNotFound    = &Error{Name: "Secrets.VersionNotFound", Msg: "version not found"}
	ErrTokenConflict      = &Error{Name: "Secrets.TokenConflict", Msg: "token already holds a different value"}
	ErrInvalidSecret      = &Error{Name: "Secrets.InvalidSecret", Msg: "secret value is invalid"}
	ErrInvalidStage       = &Error{Name: "Secrets.InvalidStage", Msg: "stage is not where the request says"}
	ErrSetFailed          = &Error{Name: "Secrets.SetFailed", Msg: "setSecret failed"}
	ErrTestFailed         = &Error{Name: "Secrets.TestFailed", Msg: "testSecret failed"}
)

func errorf(kind *Error, cause error, format string, args ...any) error {
	return &Error{Name: kind.Name, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Option tunes Rotate.
type Option func(*options)

type options struct {
	backoff  func() backoff.BackOff
	maxTries uint
	maxTime  time.Duration
}

// WithTestBackoff sets how testSecret waits between attempts while a new
// credential propagates (tests pass a zero backoff) and how many attempts
// it makes; the context bounds the whole.
func WithTestBackoff(b func() backoff.BackOff, maxTries uint) Option {
	return func(o *options) { o.backoff, o.maxTries = b, maxTries }
}

// DefaultPolicy is the password policy of the default generator: it
// excludes the characters AWS's templates exclude because they break
// connection strings and shells.
var DefaultPolicy = PasswordPolicy{Length: 32, ExcludeCharacters: `/@"'\`}

// Rotate runs one step of the rotation of req.SecretID for token
// req.ClientRequestToken. It refuses when rotation is disabled, when the
// token is no version of the secret and when the token's version is not
// AWSPENDING; it does nothing when the token is already AWSCURRENT.
func Rotate(ctx context.Context, v Vault, target Target, req Request, opts ...Option) error {
	o := options{
		backoff: func() backoff.BackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval = 250 * time.Millisecond
			return b
		},
		maxTries: 10,
		maxTime:  30 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if req.SecretID == "" || req.ClientRequestToken == "" {
		return errorf(ErrInvalidRequest, nil, "SecretId and ClientRequestToken are required")
	}
	switch req.Step {
	case StepCreate, StepSet, StepTest, StepFinish:
	default:
		return errorf(ErrInvalidRequest, nil, "unknown step %q (want createSecret, setSecret, testSecret or finishSecret)", req.Step)
	}
	d, err := v.DescribeSecret(ctx, req.SecretID)
	if err != nil {
		return err
	}
	if !d.RotationEnabled {
		return errorf(ErrRotationNotEnabled, nil, "secret %s has rotation disabled", req.SecretID)
	}
	stages, ok := d.VersionIdsToStages[req.ClientRequestToken]
	if !ok {
		// A token the secret does not know, while another version waits
		// as AWSPENDING, is a second rotation: say so rather than
		// "unknown token", since that is what the operator must fix.
		if other := stuckPending(d); other != "" {
			return errorf(ErrRotationInProgress, nil, "secret %s: version %s is still AWSPENDING; finish or cancel that rotation before starting token %s", req.SecretID, other, req.ClientRequestToken)
		}
		return errorf(ErrUnknownToken, nil, "secret %s has no version %s", req.SecretID, req.ClientRequestToken)
	}
	if slices.Contains(stages, StageCurrent) {
		return nil // already rotated: the step has nothing to do
	}
	if !slices.Contains(stages, StagePending) {
		return errorf(ErrNotPending, nil, "secret %s version %s is not AWSPENDING (stages %v)", req.SecretID, req.ClientRequestToken, stages)
	}
	switch req.Step {
	case StepCreate:
		return create(ctx, v, target, req)
	case StepSet:
		cur, pend, err := pair(ctx, v, req)
		if err != nil {
			return err
		}
		set := target.Set
		if ps, ok := target.(PreviousSetter); ok {
			prev, err := v.GetSecretValue(ctx, req.SecretID, "", StagePrevious)
			if err != nil && !errors.Is(err, ErrVersionNotFound) {
				return err
			}
			set = func(ctx context.Context, current, pending []byte) error {
				return ps.SetWithPrevious(ctx, current, prev.Bytes, pending)
			}
		}
		if err := set(ctx, cur.Bytes, pend.Bytes); err != nil {
			return errorf(ErrSetFailed, err, "secret %s version %s", req.SecretID, req.ClientRequestToken)
		}
		return nil
	case StepTest:
		pend, err := v.GetSecretValue(ctx, req.SecretID, req.ClientRequestToken, StagePending)
		if err != nil {
			return err
		}
		_, err = backoff.Retry(ctx, func() (struct{}, error) {
			return struct{}{}, target.Test(ctx, pend.Bytes)
		}, backoff.WithBackOff(o.backoff()), backoff.WithMaxTries(o.maxTries), backoff.WithMaxElapsedTime(o.maxTime))
		if err != nil {
			return errorf(ErrTestFailed, err, "secret %s version %s", req.SecretID, req.ClientRequestToken)
		}
		return nil
	default:
		return finish(ctx, v, req, d)
	}
}

// stuckPending returns the version carrying AWSPENDING without AWSCURRENT.
func stuckPending(d Description) string {
	for id, st := range d.VersionIdsToStages {
		if slices.Contains(st, StagePending) && !slices.Contains(st, StageCurrent) {
			return id
		}
	}
	return ""
}

func create(ctx context.Context, v Vault, target Target, req Request) error {
	cur, err := v.GetSecretValue(ctx, req.SecretID, "", StageCurrent)
	if err != nil {
		return err
	}
	// The version may exist already (a retried createSecret): keep it.
	if _, err := v.GetSecretValue(ctx, req.SecretID, req.ClientRequestToken, StagePending); err == nil {
		return nil
	} else if !errors.Is(err, ErrVersionNotFound) {
		return err
	}
	gen, ok := target.(Generator)
	if !ok {
		gen = &Generic{Key: "password", Policy: DefaultPolicy}
	}
	next, err := gen.NewValue(ctx, cur.Bytes, v.GetRandomPassword)
	if err != nil {
		return err
	}
	return v.PutSecretValue(ctx, req.SecretID, req.ClientRequestToken, next, []string{StagePending})
}

func pair(ctx context.Context, v Vault, req Request) (cur, pend Value, err error) {
	if cur, err = v.GetSecretValue(ctx, req.SecretID, "", StageCurrent); err != nil {
		return
	}
	pend, err = v.GetSecretValue(ctx, req.SecretID, req.ClientRequestToken, StagePending)
	return
}

func finish(ctx context.Context, v Vault, req Request, d Description) error {
	current := ""
	for id, st := range d.VersionIdsToStages {
		if slices.Contains(st, StageCurrent) {
			current = id
		}
	}
	// The pending version must hold a value before it becomes current: a
	// finishSecret out of order would otherwise make an empty stub live.
	if _, err := v.GetSecretValue(ctx, req.SecretID, req.ClientRequestToken, StagePending); err != nil {
		return err
	}
	if err := v.UpdateSecretVersionStage(ctx, req.SecretID, StageCurrent, req.ClientRequestToken, current); err != nil {
		return err
	}
	// Secrets Manager drops AWSPENDING once the rotation ends; doing it
	// here too keeps the next rotation from looking stuck on emulators
	// and the file vault.
	return v.UpdateSecretVersionStage(ctx, req.SecretID, StagePending, "", req.ClientRequestToken)
}
