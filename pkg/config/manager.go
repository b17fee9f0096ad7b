package config

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// checker is what the Manager needs of a registered Schema[T].
type checker interface {
	check(values map[string]string) error
	Field(key string) (known, secure bool)
}

// Manager is the operator's side of configuration, by (env, function, key):
// what `cogniforge config get|set|history|rollback` calls. With a schema
// registered for the function, Set and Rollback refuse a value that fails
// its type or validation before anything is written, so the store never
// gets a version the function would refuse. It is safe for concurrent use.
type Manager struct {
	ps ParameterStore

	mu      sync.RWMutex
	schemas map[string]checker
}

// NewManager returns a Manager over ps with no schemas registered.
func NewManager(ps ParameterStore) *Manager {
	return &Manager{ps: ps, schemas: map[string]checker{}}
}

// Register makes m check writes to function's parameters against T's
// schema and validate (nil for none), the same check the function's Loader
// applies at run time.
func Register[T any](m *Manager, function string, validate func(T) error) error {
	if !segRE.MatchString(function) {
		return fmt.Errorf("%w: function %q", ErrInvalidName, function)
	}
	s, err := NewSchema(validate)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.schemas[function] = s
	return nil
}

func (m *Manager) schema(function string) checker {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.schemas[function]
}

// Set writes value as the new version of key and returns that version.
// With a schema registered for function, a key it does not know or a value
// that makes the function's configuration fail its type or validation is
// refused (ErrInvalidValue) and nothing is written; the key is stored as a
// SecureString when its field is tagged secure. Without a schema the value
// is stored as given, secure if the current version is.
func (m *Manager) Set(ctx context.Context, env, function, key, value string) (int64, error) {
	name, err := Path(env, function, key)
	if err != nil {
		return 0, err
	}
	secure, err := m.check(ctx, env, function, key, value)
	if err != nil {
		return 0, err
	}
	return m.ps.Put(ctx, name, value, secure)
}

// SetSecure is Set for a value that must be stored as a SecureString
// whatever the schema says.
func (m *Manager) SetSecure(ctx context.Context, env, function, key, value string) (int64, error) {
	name, err := Path(env, function, key)
	if err != nil {
		return 0, err
	}
	if _, err := m.check(ctx, env, function, key, value); err != nil {
		return 0, err
	}
	return m.ps.Put(ctx, name, value, true)
}

// check validates the function's configuration with key set to value and
// returns whether key is secure.
func (m *Manager) check(ctx context.Context, env, function, key, value string) (bool, error) {
	base, err := FunctionPath(env, function)
	if err != nil {
		return false, err
	}
	s := m.schema(function)
	if s == nil {
		cur, err := m.ps.Get(ctx, base+key, "")
		switch {
		case errors.Is(err, ErrNotFound):
			return false, nil // a new parameter starts as a plain String
		case err != nil:
			return false, err
		}
		return cur.Secure, nil
	}
	known, secure := s.Field(key)
	if !known {
		return false, fmt.Errorf("%w: %s has no key %q in its schema", ErrInvalidValue, function, key)
	}
	values, err := readValues(ctx, m.ps, base)
	if err != nil {
		return false, err
	}
	values[key] = value
	if err := s.check(values); err != nil {
		return false, fmt.Errorf("config: refusing %s%s: %w", base, key, err)
	}
	return secure, nil
}

// Get returns the version of key that selector picks ("" the latest, a
// version number, or a label).
func (m *Manager) Get(ctx context.Context, env, function, key, selector string) (Parameter, error) {
	name, err := Path(env, function, key)
	if err != nil {
		return Parameter{}, err
	}
	return m.ps.Get(ctx, name, selector)
}

// History returns every version of key, oldest first, secure values masked.
func (m *Manager) History(ctx context.Context, env, function, key string) ([]Version, error) {
	name, err := Path(env, function, key)
	if err != nil {
		return nil, err
	}
	return m.ps.History(ctx, name)
}

// RollbackLabel is the label a rollback puts on the version it writes:
// "rollback-from-<the version it replaced>".
func RollbackLabel(from int64) string { return fmt.Sprintf("rollback-from-%d", from) }

// Rollback makes the version before the current one current again by
// writing its value as a new version (history stays append-only) labelled
// RollbackLabel(current), and returns the new version. The restored value
// is checked against the schema like any Set. A key with one version has
// nothing to roll back to (ErrNotFound).
func (m *Manager) Rollback(ctx context.Context, env, function, key string) (int64, error) {
	name, err := Path(env, function, key)
	if err != nil {
		return 0, err
	}
	cur, err := m.ps.Get(ctx, name, "")
	if err != nil {
		return 0, err
	}
	if cur.Version < 2 {
		return 0, fmt.Errorf("%w: %s has only version %d, nothing to roll back to", ErrNotFound, name, cur.Version)
	}
	prev, err := m.ps.Get(ctx, name, fmt.Sprint(cur.Version-1))
	if err != nil {
		return 0, err
	}
	if _, err := m.check(ctx, env, function, key, prev.Value); err != nil {
		return 0, err
	}
	v, err := m.ps.Put(ctx, name, prev.Value, prev.Secure)
	if err != nil {
		return 0, err
	}
	if err := m.ps.Label(ctx, name, v, RollbackLabel(cur.Version)); err != nil {
		return v, fmt.Errorf("config: rolled back %s to version %d's value as version %d, but labelling failed: %w", name, prev.Version, v, err)
	}
	return v, nil
}
