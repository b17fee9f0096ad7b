package incident

import (
	"errors"
	"fmt"
	"time"
)

// SeverityRule maps alerts to a severity: empty fields match anything.
type SeverityRule struct {
	Source         string   `yaml:"source" json:"source,omitempty"`
	SourceSeverity string   `yaml:"sourceSeverity" json:"sourceSeverity,omitempty"`
	Service        string   `yaml:"service" json:"service,omitempty"`
	Severity       Severity `yaml:"severity" json:"severity"`
}

// SeverityMap is an ordered list of rules: the first that matches wins;
// Default when none does.
type SeverityMap struct {
	Rules   []SeverityRule `yaml:"rules" json:"rules"`
	Default Severity       `yaml:"default" json:"default"`
}

// DefaultSeverities: an SLO page is SEV2 and an SLO ticket SEV4, a stuck
// saga SEV2, an aborted chaos experiment SEV3, anything else SEV3.
func DefaultSeverities() *SeverityMap {
	return &SeverityMap{Default: SEV3, Rules: []SeverityRule{
		{Source: SourceSLO, SourceSeverity: "page", Severity: SEV2},
		{Source: SourceSLO, SourceSeverity: "ticket", Severity: SEV4},
		{Source: SourceSaga, Severity: SEV2},
		{Source: SourceChaos, Severity: SEV3},
	}}
}

// Validate reports every problem of sm.
func (sm *SeverityMap) Validate() error {
	var errs []error
	if sm.Default != "" && !sm.Default.Valid() {
		errs = append(errs, fmt.Errorf("default: %q is not SEV1..SEV4", sm.Default))
	}
	for i, r := range sm.Rules {
		if !r.Severity.Valid() {
			errs = append(errs, fmt.Errorf("rules[%d].severity: %q is not SEV1..SEV4", i, r.Severity))
		}
	}
	return errors.Join(errs...)
}

// Map returns the severity of an alert.
func (sm *SeverityMap) Map(source, sourceSeverity, service string) Severity {
	for _, r := range sm.Rules {
		if (r.Source == "" || r.Source == source) && (r.SourceSeverity == "" || r.SourceSeverity == sourceSeverity) &&
			(r.Service == "" || r.Service == service) {
			return r.Severity
		}
	}
	if sm.Default != "" {
		return sm.Default
	}
	return SEV3
}

// Maintenance holds a service's alerts for a time range: no incident is
// opened for them (the alert is remembered, so its redelivery after the
// window does not open one either).
type Maintenance struct {
	Service string    `yaml:"service" json:"service"`
	From    time.Time `yaml:"from" json:"from"`
	To      time.Time `yaml:"to" json:"to"`
	Reason  string    `yaml:"reason" json:"reason,omitempty"`
}

// Validate reports every problem of w.
func (w Maintenance) Validate() error {
	var errs []error
	if w.Service == "" {
		errs = append(errs, errors.New("service: required"))
	}
	if w.From.IsZero() || w.To.IsZero() || !w.To.After(w.From) {
		errs = append(errs, fmt.Errorf("from/to: %s to %s is not a time range", w.From, w.To))
	}
	return errors.Join(errs...)
}

// Holds reports whether an alert of service at t is held.
func (w Maintenance) Holds(service string, t time.Time) bool {
	return service == w.Service && !t.Before(w.From) && t.Before(w.To)
}
