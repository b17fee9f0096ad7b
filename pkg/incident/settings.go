package incident

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Settings are the users' incident settings (config/incidents/*.yaml):
//
//	severities:            # first matching rule wins; default when none
//	  default: SEV3
//	  rules:
//	    - {source: slo, sourceSeverity: page, severity: SEV2}
//	    - {source: slo, sourceSeverity: page, service: payments, severity: SEV1}
//	maintenance:           # alerts of the service in the range open nothing
//	  - {service: checkout, from: "2026-12-05T22:00:00Z", to: "2026-12-06T02:00:00Z", reason: DB upgrade}
type Settings struct {
	Severities  *SeverityMap  `yaml:"severities"`
	Maintenance []Maintenance `yaml:"maintenance"`
}

// ParseSettings reads one settings file strictly: unknown fields are
// errors naming the source.
func ParseSettings(source string, data []byte) (Settings, error) {
	var s Settings
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Settings{}, fmt.Errorf("%s: %w", source, err)
	}
	var errs []error
	if s.Severities != nil {
		if err := s.Severities.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: severities: %w", source, err))
		}
	}
	for i, m := range s.Maintenance {
		if err := m.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: maintenance[%d]: %w", source, i, err))
		}
	}
	return s, errors.Join(errs...)
}

// Merge adds other's severities (its rules after s's) and maintenance.
func (s *Settings) Merge(other Settings) {
	if other.Severities != nil {
		if s.Severities == nil {
			s.Severities = &SeverityMap{}
		}
		s.Severities.Rules = append(s.Severities.Rules, other.Severities.Rules...)
		if other.Severities.Default != "" {
			s.Severities.Default = other.Severities.Default
		}
	}
	s.Maintenance = append(s.Maintenance, other.Maintenance...)
}
