package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gopkg.in/yaml.v3"
)

// MonkeyConfig is the chaos monkey's configuration (config/chaos-monkey/
// *.yaml): which functions opted in, which faults it may pick, for how long.
type MonkeyConfig struct {
	// Enabled turns the monkey on; off it does nothing.
	Enabled bool `json:"enabled"`
	// Functions are the opted-in functions; the monkey picks one at random.
	Functions []string `json:"functions"`
	// Faults are the templates it picks from (function, expiry and id are
	// set by the monkey); none means an error fault at rate 0.1.
	Faults []Fault `json:"faults,omitempty"`
	// For is how long each fault lasts (default 5m), at most MaxFor.
	For Duration `json:"for,omitempty"`
	// Probability is the chance a scheduled run strikes at all (default 1).
	Probability *float64 `json:"probability,omitempty"`
}

// MaxMonkeyFor bounds a monkey fault's life: short faults only.
const MaxMonkeyFor = time.Hour

// ParseMonkeyConfig reads and validates the monkey's YAML strictly.
func ParseMonkeyConfig(name string, data []byte, limits Limits) (MonkeyConfig, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return MonkeyConfig{}, fmt.Errorf("%s: %w", name, err)
	}
	b, _ := json.Marshal(raw)
	var c MonkeyConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return MonkeyConfig{}, fmt.Errorf("%s: %w", name, err)
	}
	if c.For == 0 {
		c.For = Duration(5 * time.Minute)
	}
	var errs []error
	if c.For < 0 || c.For.D() > MaxMonkeyFor {
		errs = append(errs, fmt.Errorf("%s: for: %s is not in (0, %s]", name, c.For, MaxMonkeyFor))
	}
	if c.Probability != nil && (*c.Probability < 0 || *c.Probability > 1) {
		errs = append(errs, fmt.Errorf("%s: probability: %v is outside [0,1]", name, *c.Probability))
	}
	if c.Enabled && len(c.Functions) == 0 {
		errs = append(errs, fmt.Errorf("%s: functions: an enabled monkey needs opted-in functions", name))
	}
	now := time.Now()
	for _, fn := range c.Functions {
		for i, t := range c.templates() {
			t.Function, t.ExpiresAt = fn, now.Add(c.For.D())
			if err := t.Validate(limits, now); err != nil {
				errs = append(errs, fmt.Errorf("%s: faults[%d] on %s: %w", name, i, fn, err))
			}
		}
	}
	return c, errors.Join(errs...)
}

func (c MonkeyConfig) templates() []Fault {
	if len(c.Faults) > 0 {
		return c.Faults
	}
	r := 0.1
	return []Fault{{Kind: KindError, Rate: &r}}
}

// Monkey strikes one opted-in function at random with one of its faults.
type Monkey struct {
	Service *Service
	Config  MonkeyConfig
	// Rand picks (default math/rand/v2).
	Rand *rand.Rand
}

// ErrMonkeyIdle: the monkey did not strike (disabled, dice, or a monkey
// fault still active).
var ErrMonkeyIdle = errors.New("chaos: monkey idle")

// MonkeyName marks the monkey's faults (CreatedBy, Experiment).
const MonkeyName = "chaos-monkey"

// Strike injects one fault, unless the monkey is off, the dice say no, or
// one of its faults is still active (one at a time).
func (m *Monkey) Strike(ctx context.Context) (Fault, error) {
	if !m.Config.Enabled || len(m.Config.Functions) == 0 {
		return Fault{}, ErrMonkeyIdle
	}
	intn := rand.IntN
	float := rand.Float64
	if m.Rand != nil {
		intn, float = m.Rand.IntN, m.Rand.Float64
	}
	if p := m.Config.Probability; p != nil && float() >= *p {
		return Fault{}, ErrMonkeyIdle
	}
	active, err := m.Service.Manager.List(ctx)
	if err != nil {
		return Fault{}, err
	}
	for _, f := range active {
		if f.Experiment == MonkeyName {
			return Fault{}, ErrMonkeyIdle
		}
	}
	ts := m.Config.templates()
	f := ts[intn(len(ts))]
	f.Function = m.Config.Functions[intn(len(m.Config.Functions))]
	f.ID, f.ExpiresAt, f.For = "", time.Time{}, m.Config.For
	f.CreatedBy, f.Experiment = MonkeyName, MonkeyName
	return m.Service.Inject(ctx, f)
}
