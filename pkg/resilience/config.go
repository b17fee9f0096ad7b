package resilience

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Kind is what a downstream is; it picks the bulkhead defaults.
type Kind string

// The kinds of downstream.
const (
	KindDatabase Kind = "database"
	KindLLM      Kind = "llm"
	KindExternal Kind = "external"
	KindFile     Kind = "file"
)

// DefaultBulkheads is the table of bulkhead limits per kind of downstream
// that Config.Bulkheads overrides.
var DefaultBulkheads = map[Kind]BulkheadLimits{
	KindDatabase: {MaxConcurrent: 20, MaxQueued: 50, QueueTimeout: 30 * time.Second},
	KindLLM:      {MaxConcurrent: 10, MaxQueued: 100, QueueTimeout: 60 * time.Second},
	KindExternal: {MaxConcurrent: 15, MaxQueued: 50, QueueTimeout: 30 * time.Second},
	KindFile:     {MaxConcurrent: 5, MaxQueued: 20, QueueTimeout: 20 * time.Second},
}

// Downstream configures the policies of the calls to one downstream. Zero
// fields take the defaults of RetryPolicy, BreakerSettings and the kind's
// bulkhead.
type Downstream struct {
	// Kind picks the bulkhead defaults. Required.
	Kind Kind `json:"kind" yaml:"kind"`
	// Timeout bounds a whole call, retries included (zero: the
	// invocation's deadline only); AttemptTimeout each attempt.
	Timeout        time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	AttemptTimeout time.Duration `json:"attemptTimeout,omitempty" yaml:"attemptTimeout,omitempty"`
	// Idempotent says the calls may be repeated; only then are they
	// retried.
	Idempotent bool `json:"idempotent,omitempty" yaml:"idempotent,omitempty"`
	// Retry, Breaker: the policies' settings.
	Retry   RetryPolicy     `json:"retry,omitempty" yaml:"retry,omitempty"`
	Breaker BreakerSettings `json:"breaker,omitempty" yaml:"breaker,omitempty"`
	// NoBreaker leaves the breaker out (a downstream with its own).
	NoBreaker bool `json:"noBreaker,omitempty" yaml:"noBreaker,omitempty"`
	// Bulkhead overrides the kind's limits for this downstream.
	Bulkhead *BulkheadLimits `json:"bulkhead,omitempty" yaml:"bulkhead,omitempty"`
}

// Config is the resilience configuration of one function: the bulkhead
// table's overrides and the downstreams' settings. Users write it in
// config/resilience/<function>.yaml (or the $COGNIFORGE_RESILIENCE JSON);
// it overrides the downstreams the function declares in code.
type Config struct {
	// Bulkheads overrides rows of DefaultBulkheads.
	Bulkheads map[Kind]BulkheadLimits `json:"bulkheads,omitempty" yaml:"bulkheads,omitempty"`
	// Downstreams by name.
	Downstreams map[string]Downstream `json:"downstreams,omitempty" yaml:"downstreams,omitempty"`

	// raw holds each downstream's entry as written, so Resolve applies
	// only the fields the user set over the declared ones.
	raw map[string]yaml.Node
}

// ParseConfig reads a Config in YAML or JSON, refusing unknown fields;
// name says where it came from, for errors. Nothing is validated here:
// Resolve does that against the function's downstreams.
func ParseConfig(name string, data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("resilience: %s: %w", name, err)
	}
	var raw struct {
		Downstreams map[string]yaml.Node `yaml:"downstreams"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Config{}, fmt.Errorf("resilience: %s: %w", name, err)
	}
	c.raw = raw.Downstreams
	return c, nil
}

// Resolve merges the user's configuration over the downstreams a
// function declares and validates the result, returning every problem
// with its field path (downstreams.event-bus.breaker.failureRate). A
// downstream the function does not declare is an error, as is an unknown
// kind. A parsed entry sets only the fields it names over the declared
// ones (breaker.failureThreshold alone keeps the declared idempotency and
// retry); an entry built in Go replaces the declared one, its empty kind
// taking the declared kind. Nothing is applied when anything is wrong.
func Resolve(declared map[string]Downstream, user Config) (map[string]Downstream, map[Kind]BulkheadLimits, error) {
	var errs []error
	table := maps.Clone(DefaultBulkheads)
	for _, k := range slices.Sorted(maps.Keys(user.Bulkheads)) {
		l := user.Bulkheads[k]
		if _, ok := DefaultBulkheads[k]; !ok {
			errs = append(errs, fmt.Errorf("bulkheads.%s: unknown kind (have %s)", k, kinds()))
			continue
		}
		if err := l.Validate(); err != nil {
			errs = append(errs, prefixed("bulkheads."+string(k)+".", err))
			continue
		}
		table[k] = l
	}
	out := maps.Clone(declared)
	if out == nil {
		out = map[string]Downstream{}
	}
	for _, name := range slices.Sorted(maps.Keys(user.Downstreams)) {
		d := user.Downstreams[name]
		base, ok := declared[name]
		if !ok {
			errs = append(errs, fmt.Errorf("downstreams.%s: unknown downstream (this function calls %v)", name, slices.Sorted(maps.Keys(declared))))
			continue
		}
		if node, ok := user.raw[name]; ok {
			d = base
			if base.Bulkhead != nil {
				l := *base.Bulkhead
				d.Bulkhead = &l
			}
			if err := node.Decode(&d); err != nil {
				errs = append(errs, fmt.Errorf("downstreams.%s: %w", name, err))
				continue
			}
		}
		if d.Kind == "" {
			d.Kind = base.Kind
		}
		out[name] = d
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if err := out[name].validate(); err != nil {
			errs = append(errs, prefixed("downstreams."+name+".", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return out, table, nil
}

// Validate checks c on its own, before any function declares its
// downstreams (what `cogniforge config set` runs on a resilience
// parameter): every bulkhead row and every downstream's fields, each
// downstream taken as declared with its own kind (external when it names
// none). Which downstreams a function calls is checked when it starts.
func (c Config) Validate() error {
	declared := make(map[string]Downstream, len(c.Downstreams))
	for name, d := range c.Downstreams {
		k := d.Kind
		if k == "" {
			k = KindExternal
		}
		declared[name] = Downstream{Kind: k}
	}
	_, _, err := Resolve(declared, c)
	return err
}

func kinds() []Kind { return slices.Sorted(maps.Keys(DefaultBulkheads)) }

func (d Downstream) validate() error {
	var errs []error
	if _, ok := DefaultBulkheads[d.Kind]; !ok {
		errs = append(errs, fmt.Errorf("kind: %q is not one of %v", d.Kind, kinds()))
	}
	if d.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative", d.Timeout))
	}
	if d.AttemptTimeout < 0 {
		errs = append(errs, fmt.Errorf("attemptTimeout: %s is negative", d.AttemptTimeout))
	}
	errs = append(errs, prefixed("retry.", d.Retry.Validate()), prefixed("breaker.", d.Breaker.Validate()))
	if d.Bulkhead != nil {
		errs = append(errs, prefixed("bulkhead.", d.Bulkhead.Validate()))
	}
	return errors.Join(errs...)
}
