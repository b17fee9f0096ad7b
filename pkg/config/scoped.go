package config

import (
	"context"
	"strings"
)

// Scoped is a function's view of a ParameterStore: every name and path must
// lie under /cogniforge/<env>/<function>/, anything else is refused with
// ErrOutOfScope before the store is asked. Wiring hands a function a Scoped
// store, so a bug or an injected name cannot read another function's or
// another environment's parameters (in AWS the function's IAM policy should
// say the same; this makes the local runtime refuse it too).
type Scoped struct {
	ps                  ParameterStore
	env, function, base string
}

var _ ParameterStore = (*Scoped)(nil)

// NewScoped returns ps restricted to function's path in env.
func NewScoped(ps ParameterStore, env, function string) (*Scoped, error) {
	base, err := FunctionPath(env, function)
	if err != nil {
		return nil, err
	}
	return &Scoped{ps: ps, env: env, function: function, base: base}, nil
}

// Base is the path the store is restricted to, with a trailing slash.
func (s *Scoped) Base() string { return s.base }

// Put implements ParameterStore.
func (s *Scoped) Put(ctx context.Context, name, value string, secure bool) (int64, error) {
	if err := s.check(name); err != nil {
		return 0, err
	}
	return s.ps.Put(ctx, name, value, secure)
}

// Get implements ParameterStore.
func (s *Scoped) Get(ctx context.Context, name, selector string) (Parameter, error) {
	if err := s.check(name); err != nil {
		return Parameter{}, err
	}
	return s.ps.Get(ctx, name, selector)
}

// History implements ParameterStore.
func (s *Scoped) History(ctx context.Context, name string) ([]Version, error) {
	if err := s.check(name); err != nil {
		return nil, err
	}
	return s.ps.History(ctx, name)
}

// Label implements ParameterStore.
func (s *Scoped) Label(ctx context.Context, name string, version int64, labels ...string) error {
	if err := s.check(name); err != nil {
		return err
	}
	return s.ps.Label(ctx, name, version, labels...)
}

// GetByPath implements ParameterStore. path must be the function's own path
// or a hierarchy under it.
func (s *Scoped) GetByPath(ctx context.Context, path string) ([]Parameter, error) {
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if path != s.base {
		if err := s.check(strings.TrimSuffix(path, "/")); err != nil {
			return nil, err
		}
	}
	return s.ps.GetByPath(ctx, path)
}

func (s *Scoped) check(name string) error {
	if err := CheckScope(s.env, s.function, name); err != nil {
		return err
	}
	return CheckName(name)
}
