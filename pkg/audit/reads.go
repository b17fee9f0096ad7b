package audit

import (
	"context"
	"errors"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// Actions the read decorators record.
const (
	WhatSecretRead = "secret.read"
	WhatConfigRead = "config.read"
)

// Vault is a secrets.Vault whose every GetSecretValue is audited as
// secret.read by Who, with its outcome (a probe for a version that does not
// exist is a failed read named Secrets.VersionNotFound). A read is never
// refused because its record could not be written: the failure goes to
// OnError (nil drops it), as the function must keep its credential.
type Vault struct {
	secrets.Vault
	Recorder *Recorder
	Who      string
	OnError  func(error)
}

var _ secrets.Vault = (*Vault)(nil)

// GetSecretValue implements secrets.Vault.
func (v *Vault) GetSecretValue(ctx context.Context, id, versionID, stage string) (secrets.Value, error) {
	val, err := v.Vault.GetSecretValue(ctx, id, versionID, stage)
	r := Record{Who: v.Who, What: WhatSecretRead, SecretID: id, Outcome: events.OutcomeSucceeded}
	if err != nil {
		r.Outcome, r.ErrorName = events.OutcomeFailed, errorName(err)
	}
	report(v.OnError, v.Recorder.Record(ctx, r))
	return val, err
}

// Unwrap returns the audited vault, for callers that need its own methods
// (the file vault's ListSecrets).
func (v *Vault) Unwrap() secrets.Vault { return v.Vault }

// ParameterStore is a config.ParameterStore whose reads (Get, GetByPath,
// History) are audited as config.read by Who, keyed by the name or path
// read. Put it under a config.Loader: the Loader reads the store only when
// its cache expires, so cache hits leave no record and each fetch leaves
// one. Writes pass through unaudited (the Manager's callers audit
// config.set and config.rollback with the operator's name). Audit failures
// go to OnError, never to the reader.
type ParameterStore struct {
	config.ParameterStore
	Recorder *Recorder
	Who      string
	OnError  func(error)
}

var _ config.ParameterStore = (*ParameterStore)(nil)

func (p *ParameterStore) note(ctx context.Context, name string, err error) {
	r := Record{Who: p.Who, What: WhatConfigRead, Key: name, Outcome: events.OutcomeSucceeded}
	if err != nil {
		r.Outcome, r.ErrorName = events.OutcomeFailed, errorName(err)
	}
	report(p.OnError, p.Recorder.Record(ctx, r))
}

// Get implements config.ParameterStore.
func (p *ParameterStore) Get(ctx context.Context, name, selector string) (config.Parameter, error) {
	v, err := p.ParameterStore.Get(ctx, name, selector)
	p.note(ctx, name, err)
	return v, err
}

// GetByPath implements config.ParameterStore.
func (p *ParameterStore) GetByPath(ctx context.Context, path string) ([]config.Parameter, error) {
	v, err := p.ParameterStore.GetByPath(ctx, path)
	p.note(ctx, path, err)
	return v, err
}

// History implements config.ParameterStore.
func (p *ParameterStore) History(ctx context.Context, name string) ([]config.Version, error) {
	v, err := p.ParameterStore.History(ctx, name)
	p.note(ctx, name, err)
	return v, err
}

func report(onError func(error), err error) {
	if err != nil && onError != nil {
		onError(err)
	}
}

// errorName names err for a record: a named error's name (secrets'
// Secrets.*, faas-style ErrorName), Config.* for configuration errors,
// else "Error". Never the message, which may quote what a target said.
func errorName(err error) string {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) {
		return named.ErrorName()
	}
	return ConfigErrorName(err)
}

// ConfigErrorName names a configuration error for the audit trail.
func ConfigErrorName(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{config.ErrNotFound, "Config.NotFound"}, {config.ErrUnknownEnv, "Config.UnknownEnv"},
		{config.ErrOutOfScope, "Config.OutOfScope"}, {config.ErrInvalidName, "Config.InvalidName"},
		{config.ErrInvalidValue, "Config.InvalidValue"},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "Error"
}
