// Package incident is the incident capability's core: incidents with
// severities and a timeline of every change, opened from alerts (SLO burn
// rates, stuck sagas, aborted chaos experiments, any API caller), where
// alerts with the same dedup key attach to the open incident instead of
// opening another (PagerDuty's semantics) and a resolve alert resolves it.
//
// State lives in the store port: every change is one conditional write (a
// transaction where an index or a dedup key moves with it), so two
// deliveries of one alert, or an ack racing a resolve, leave one consistent
// incident. Changes are published as dev.cogniforge.incident.*.v1 events,
// at least once: an event not yet published is kept on the incident and
// sent again by the next change or delivery. The package knows no platform.
package incident

import (
	"errors"
	"fmt"
	"time"
)

// Severity is SEV1 (most severe) to SEV4.
type Severity string

// The severities.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Valid reports whether s is one of SEV1..SEV4.
func (s Severity) Valid() bool { return s == SEV1 || s == SEV2 || s == SEV3 || s == SEV4 }

// State is where an incident is in its life.
type State string

// The states: triggered → acknowledged → resolved (or triggered →
// resolved).
const (
	Triggered    State = "triggered"
	Acknowledged State = "acknowledged"
	Resolved     State = "resolved"
)

// Alert actions.
const (
	ActionTrigger = "trigger"
	ActionResolve = "resolve"
)

// Sources of alerts.
const (
	SourceSLO   = "slo"
	SourceSaga  = "saga"
	SourceChaos = "chaos"
	SourceAPI   = "api"
)

// Link is a URL attached to an incident (a dashboard, a runbook).
type Link struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// Alert opens an incident, attaches to the open one with its dedup key, or
// resolves it.
type Alert struct {
	// ID identifies the alert (the CloudEvent id): a redelivered alert
	// changes nothing.
	ID string `json:"id"`
	// Action is ActionTrigger (default) or ActionResolve.
	Action   string `json:"action,omitempty"`
	Source   string `json:"source"`
	DedupKey string `json:"dedupKey"`
	Title    string `json:"title"`
	Service  string `json:"service,omitempty"`
	// Severity, when set, is the incident's severity; otherwise the
	// severity map turns SourceSeverity (e.g. an SLO alert's "page") into
	// one.
	Severity       Severity          `json:"severity,omitempty"`
	SourceSeverity string            `json:"sourceSeverity,omitempty"`
	Details        map[string]string `json:"details,omitempty"`
	Links          []Link            `json:"links,omitempty"`
	Time           time.Time         `json:"time"`
	// SLO and BudgetRemaining are set by SLO alerts: the incident records
	// the budget at open and at resolve, as the post-incident review needs.
	SLO             string   `json:"slo,omitempty"`
	BudgetRemaining *float64 `json:"budgetRemaining,omitempty"`
}

// Validate reports every problem of a.
func (a *Alert) Validate() error {
	var errs []error
	if a.ID == "" {
		errs = append(errs, errors.New("id: required (the alert's unique id, so a redelivery is recognised)"))
	}
	switch a.Action {
	case "", ActionTrigger, ActionResolve:
	default:
		errs = append(errs, fmt.Errorf("action: %q is not trigger or resolve", a.Action))
	}
	if a.DedupKey == "" {
		errs = append(errs, errors.New("dedupKey: required"))
	}
	if a.Action != ActionResolve && a.Title == "" {
		errs = append(errs, errors.New("title: required to open an incident"))
	}
	if a.Severity != "" && !a.Severity.Valid() {
		errs = append(errs, fmt.Errorf("severity: %q is not SEV1, SEV2, SEV3 or SEV4", a.Severity))
	}
	if len(a.Title) > 1024 {
		errs = append(errs, fmt.Errorf("title: %d characters, at most 1024", len(a.Title)))
	}
	return errors.Join(errs...)
}

// SLOImpact is what an SLO-linked incident cost.
type SLOImpact struct {
	SLO             string   `json:"slo"`
	BudgetAtOpen    *float64 `json:"budgetAtOpen,omitempty"`
	BudgetAtResolve *float64 `json:"budgetAtResolve,omitempty"`
}

// Entry kinds of the timeline.
const (
	EntryTriggered    = "triggered"
	EntryAlert        = "alert"
	EntryAcknowledged = "acknowledged"
	EntryResolved     = "resolved"
	EntryNote         = "note"
	EntryNotified     = "notified"
	EntryNotifyFailed = "notify_failed"
	EntryEscalated    = "escalated"
	EntryReview       = "review"
)

// Entry is one line of an incident's timeline: what happened, who did it
// and when.
type Entry struct {
	At   time.Time         `json:"at"`
	Kind string            `json:"kind"`
	Who  string            `json:"who,omitempty"`
	Text string            `json:"text,omitempty"`
	Data map[string]string `json:"data,omitempty"`
}

// ActionItem is a follow-up of a review.
type ActionItem struct {
	Title string `json:"title"`
	Owner string `json:"owner"`
	Due   string `json:"due,omitempty"` // YYYY-MM-DD
	Done  bool   `json:"done,omitempty"`
}

// Review is the post-incident review.
type Review struct {
	Summary             string       `json:"summary"`
	Impact              string       `json:"impact,omitempty"`
	ContributingFactors []string     `json:"contributingFactors,omitempty"`
	ActionItems         []ActionItem `json:"actionItems,omitempty"`
}

// Incident is one incident with its whole timeline.
type Incident struct {
	ID             string            `json:"id"`
	Title          string            `json:"title"`
	Service        string            `json:"service,omitempty"`
	Severity       Severity          `json:"severity"`
	State          State             `json:"state"`
	Source         string            `json:"source"`
	DedupKey       string            `json:"dedupKey"`
	Details        map[string]string `json:"details,omitempty"`
	Links          []Link            `json:"links,omitempty"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	AcknowledgedAt *time.Time        `json:"acknowledgedAt,omitempty"`
	AcknowledgedBy string            `json:"acknowledgedBy,omitempty"`
	ResolvedAt     *time.Time        `json:"resolvedAt,omitempty"`
	ResolvedBy     string            `json:"resolvedBy,omitempty"`
	// Alerts counts the alerts attached (the first included).
	Alerts   int        `json:"alerts"`
	SLO      *SLOImpact `json:"slo,omitempty"`
	Timeline []Entry    `json:"timeline"`
	Review   *Review    `json:"review,omitempty"`
	// Pending are change events not yet published (at-least-once).
	Pending []Change `json:"pending,omitempty"`
}

// Summary is an incident without its timeline: what lists show.
type Summary struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Service        string     `json:"service,omitempty"`
	Severity       Severity   `json:"severity"`
	State          State      `json:"state"`
	Source         string     `json:"source"`
	DedupKey       string     `json:"dedupKey"`
	CreatedAt      time.Time  `json:"createdAt"`
	AcknowledgedAt *time.Time `json:"acknowledgedAt,omitempty"`
	ResolvedAt     *time.Time `json:"resolvedAt,omitempty"`
	Alerts         int        `json:"alerts"`
}

// Summarize drops the timeline.
func (in *Incident) Summarize() Summary {
	return Summary{ID: in.ID, Title: in.Title, Service: in.Service, Severity: in.Severity, State: in.State, Source: in.Source,
		DedupKey: in.DedupKey, CreatedAt: in.CreatedAt, AcknowledgedAt: in.AcknowledgedAt, ResolvedAt: in.ResolvedAt, Alerts: in.Alerts}
}

// Change is a published incident change (dev.cogniforge.incident.<Kind>.v1).
type Change struct {
	// ID is stable for one change, so a change published twice is
	// recognised.
	ID   string    `json:"id"`
	Kind string    `json:"kind"` // triggered, acknowledged, resolved, updated
	At   time.Time `json:"at"`
	Who  string    `json:"who,omitempty"`
	Text string    `json:"text,omitempty"`
}

// Error names ASL Catch and HTTP problems see.
const (
	ErrNameNotFound          = "Incident.NotFound"
	ErrNameInvalidTransition = "Incident.InvalidTransition"
	ErrNameInvalidRequest    = "Incident.InvalidRequest"
	ErrNameConflict          = "Incident.Conflict"
)

// Error is a named incident error.
type Error struct {
	Name    string
	Message string
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// ErrorName is the name adapters report.
func (e *Error) ErrorName() string { return e.Name }

func errorf(name, format string, args ...any) *Error {
	return &Error{Name: name, Message: fmt.Sprintf(format, args...)}
}
