package secrets

import (
	"context"
	"encoding/json"
)

// Generic rotates API keys and random strings: createSecret replaces the
// JSON field Key of the secret with a random string of Policy; setSecret
// does nothing (the consumer reads the secret) and testSecret runs Check
// when set, e.g. a call to the API with the new key.
type Generic struct {
	Key    string
	Policy PasswordPolicy
	Check  func(ctx context.Context, pending []byte) error
}

// Set does nothing: the secret is the source of truth for a generic key.
func (g *Generic) Set(context.Context, []byte, []byte) error { return nil }

// Test runs Check on the pending value, if any.
func (g *Generic) Test(ctx context.Context, pending []byte) error {
	if g.Check == nil {
		return nil
	}
	return g.Check(ctx, pending)
}

// NewValue returns current with Key set to a new random string; every
// other field is kept. current must be a JSON object holding Key.
func (g *Generic) NewValue(ctx context.Context, current []byte, password func(context.Context, PasswordPolicy) (string, error)) ([]byte, error) {
	if g.Key == "" {
		return nil, errorf(ErrInvalidRequest, nil, "generic rotator: Key is required")
	}
	var m map[string]any
	if err := json.Unmarshal(current, &m); err != nil || m == nil {
		return nil, errorf(ErrInvalidSecret, err, "AWSCURRENT value is not a JSON object")
	}
	// A missing field means the rotator is configured for another secret
	// shape: adding the field would leave the consumer on the old value.
	if _, ok := m[g.Key]; !ok {
		return nil, errorf(ErrInvalidSecret, nil, "AWSCURRENT value has no field %q", g.Key)
	}
	p, err := password(ctx, g.Policy)
	if err != nil {
		return nil, err
	}
	m[g.Key] = p
	return json.Marshal(m)
}
