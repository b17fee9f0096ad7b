package streams

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Stream is a named group of event types with a retention.
type Stream struct {
	// Name is lower-case letters, digits and dashes (it is part of store
	// keys and of the EventBridge archive's name).
	Name string `yaml:"name" json:"name"`
	// Retention is how long an archived event is kept. Positive.
	Retention time.Duration `yaml:"-" json:"retention"`
	// Types are exact event types, or prefixes ending in "*".
	Types []string `yaml:"types" json:"types"`
}

// Config is the set of streams. The first stream with a matching pattern
// takes an event; an event no pattern matches goes to Default.
type Config struct {
	Streams []Stream
	// Default names the stream of unmatched types; empty means "system".
	Default string
}

// The default streams' names and retentions.
const (
	StreamAPI      = "api"
	StreamSecurity = "security"
	StreamSystem   = "system"

	DefaultAPIRetention      = 7 * 24 * time.Hour
	DefaultSecurityRetention = 30 * 24 * time.Hour
	DefaultSystemRetention   = 14 * 24 * time.Hour
)

// DefaultConfig is the configuration used when no file is given: api 7
// days (requests, gateway, queries), security 30 days (secrets, audit),
// system 14 days (everything else).
func DefaultConfig() Config {
	return Config{Default: StreamSystem, Streams: []Stream{
		{Name: StreamAPI, Retention: DefaultAPIRetention, Types: []string{
			"dev.cogniforge.request.*", "dev.cogniforge.gateway.*", "dev.cogniforge.slo.query.*", "dev.cogniforge.incident.request.*"}},
		{Name: StreamSecurity, Retention: DefaultSecurityRetention, Types: []string{"dev.cogniforge.secret.*", "dev.cogniforge.audit.*"}},
		{Name: StreamSystem, Retention: DefaultSystemRetention, Types: []string{"dev.cogniforge.*"}},
	}}
}

var streamName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,47}$`)

// Validate reports every problem, naming the stream and field.
func (c Config) Validate() error {
	var errs []error
	if len(c.Streams) == 0 {
		errs = append(errs, errors.New("streams: no streams"))
	}
	seen := map[string]bool{}
	for i, s := range c.Streams {
		at := fmt.Sprintf("streams[%d]", i)
		if s.Name != "" {
			at = fmt.Sprintf("streams[%d] (%s)", i, s.Name)
		}
		switch {
		case !streamName.MatchString(s.Name):
			errs = append(errs, fmt.Errorf("streams: %s.name %q: want lower-case letters, digits and dashes, starting with a letter", at, s.Name))
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("streams: %s.name: stream %q is defined twice", at, s.Name))
		}
		seen[s.Name] = true
		if s.Retention <= 0 {
			errs = append(errs, fmt.Errorf("streams: %s.retention: must be positive, got %s", at, s.Retention))
		}
		for j, p := range s.Types {
			if p == "" || p == "*" || strings.Contains(strings.TrimSuffix(p, "*"), "*") {
				errs = append(errs, fmt.Errorf("streams: %s.types[%d] %q: want an event type or a prefix ending in *", at, j, p))
			}
		}
	}
	if d := c.defaultName(); !seen[d] && len(c.Streams) > 0 {
		errs = append(errs, fmt.Errorf("streams: default %q is not a defined stream", d))
	}
	return errors.Join(errs...)
}

func (c Config) defaultName() string {
	if c.Default == "" {
		return StreamSystem
	}
	return c.Default
}

// StreamFor returns the stream that archives events of type t.
func (c Config) StreamFor(t string) Stream {
	for _, s := range c.Streams {
		for _, p := range s.Types {
			if pre, ok := strings.CutSuffix(p, "*"); ok {
				if strings.HasPrefix(t, pre) {
					return s
				}
			} else if p == t {
				return s
			}
		}
	}
	s, _ := c.Stream(c.defaultName())
	return s
}

// Stream returns the stream named name.
func (c Config) Stream(name string) (Stream, bool) {
	for _, s := range c.Streams {
		if s.Name == name {
			return s, true
		}
	}
	return Stream{}, false
}

// Names lists the streams' names in configuration order.
func (c Config) Names() []string {
	out := make([]string, len(c.Streams))
	for i, s := range c.Streams {
		out[i] = s.Name
	}
	return out
}

// fileConfig is the YAML shape of config/streams/*.yaml.
type fileConfig struct {
	Default string `yaml:"default"`
	Streams []struct {
		Name      string   `yaml:"name"`
		Retention string   `yaml:"retention"`
		Types     []string `yaml:"types"`
	} `yaml:"streams"`
}

// ParseConfig reads the YAML configuration (see config/streams/streams.yaml):
// a default stream name and a list of streams with name, retention (a Go
// duration or whole days, "7d") and types. Unknown fields are errors.
func ParseConfig(b []byte) (Config, error) {
	var f fileConfig
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("streams: %w", err)
	}
	c := Config{Default: f.Default}
	var errs []error
	for i, s := range f.Streams {
		r, err := ParseRetention(s.Retention)
		if err != nil {
			errs = append(errs, fmt.Errorf("streams: streams[%d] (%s).retention: %w", i, s.Name, err))
		}
		c.Streams = append(c.Streams, Stream{Name: s.Name, Retention: r, Types: s.Types})
	}
	if err := errors.Join(append(errs, c.Validate())...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads dir/streams.yaml (dir is a config/streams directory);
// a missing file gives DefaultConfig.
func LoadConfig(dir string) (Config, error) {
	p := filepath.Join(dir, "streams.yaml")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", p, err)
	}
	return c, nil
}

// ParseRetention parses "7d" (whole days) or a Go duration ("36h").
func ParseRetention(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("missing (want e.g. 7d or 36h)")
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want e.g. 7d or 36h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return d, nil
}
