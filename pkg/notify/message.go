package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Actions a Message carries, named as PagerDuty's event_action.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Severities, SEV1 the most severe.
const (
	SEV1 = "SEV1"
	SEV2 = "SEV2"
	SEV3 = "SEV3"
	SEV4 = "SEV4"
)

// MaxKeyLength bounds Message.Key so the store item key stays well inside
// DynamoDB's 1024-byte sort key.
const MaxKeyLength = 512

// Message is one notification about an incident to one target.
type Message struct {
	// Key is the idempotency key: one delivery per Key and channel. Build it
	// with MessageKey from the incident id, escalation level, target, channel
	// and action, so that a redelivered escalation step never pages twice but
	// the next level, a repeat of the policy or an acknowledgement does.
	Key string `json:"key"`
	// Action is ActionTrigger, ActionAcknowledge or ActionResolve.
	Action     string `json:"action"`
	IncidentID string `json:"incidentId"`
	Title      string `json:"title"`
	Service    string `json:"service,omitempty"`
	// Severity is SEV1..SEV4; required for ActionTrigger.
	Severity string `json:"severity,omitempty"`
	Summary  string `json:"summary,omitempty"`
	// URL links the incident (the Slack button, the PagerDuty link).
	URL string `json:"url,omitempty"`
	// DedupKey groups the messages of one incident at channels that
	// deduplicate (PagerDuty's dedup_key). Empty means IncidentID.
	DedupKey string `json:"dedupKey,omitempty"`
	// Target is the user id being notified.
	Target string `json:"target,omitempty"`
	// Time is when the incident changed; zero means unknown.
	Time    time.Time         `json:"time,omitzero"`
	Details map[string]string `json:"details,omitempty"`
}

// MessageKey builds the idempotency key of the notification of target at
// escalation level (counted across repeats of the policy) on channel for
// action. Parts are joined with "/" after escaping "%" and "/", so distinct
// parts never give the same key.
func MessageKey(incidentID string, level int, target, channel, action string) string {
	esc := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "%", "%25"), "/", "%2F")
	}
	return strings.Join([]string{esc(incidentID), strconv.Itoa(level), esc(target), esc(channel), esc(action)}, "/")
}

// dedupKey is the key channels that deduplicate group the incident by.
func (m Message) dedupKey() string {
	if m.DedupKey != "" {
		return m.DedupKey
	}
	return m.IncidentID
}

// Validate reports every problem of m at once.
func (m Message) Validate() error {
	var errs []error
	if m.Key == "" {
		errs = append(errs, errors.New("key: empty (build it with MessageKey)"))
	} else if len(m.Key) > MaxKeyLength {
		errs = append(errs, fmt.Errorf("key: %d bytes, at most %d", len(m.Key), MaxKeyLength))
	}
	switch m.Action {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	default:
		errs = append(errs, fmt.Errorf("action: %q is not trigger, acknowledge or resolve", m.Action))
	}
	if m.IncidentID == "" && m.DedupKey == "" {
		errs = append(errs, errors.New("incidentId: empty"))
	}
	switch {
	case m.Severity == "" && m.Action == ActionTrigger:
		errs = append(errs, errors.New("severity: empty, a trigger needs SEV1, SEV2, SEV3 or SEV4"))
	case m.Severity != "" && !validSeverity(m.Severity):
		errs = append(errs, fmt.Errorf("severity: %q is not SEV1, SEV2, SEV3 or SEV4", m.Severity))
	}
	if err := errors.Join(errs...); err != nil {
		return &Error{Name: NameInvalidMessage, Err: err}
	}
	return nil
}

func validSeverity(s string) bool { return s == SEV1 || s == SEV2 || s == SEV3 || s == SEV4 }

// status is the incident state an action leaves it in, for people.
func (m Message) status() string {
	switch m.Action {
	case ActionAcknowledge:
		return "Acknowledged"
	case ActionResolve:
		return "Resolved"
	}
	return "Triggered"
}

// Channel sends messages to one destination. Send reports failures as an
// *Error (or any error, which counts as retryable) so the Notifier knows
// whether to try again. Implementations are safe for concurrent use and
// honour ctx, which carries the attempt's timeout.
type Channel interface {
	// Name is the channel's configured name; breakers and idempotency
	// markers are kept per name.
	Name() string
	// Send delivers m once.
	Send(ctx context.Context, m Message) error
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 3 {
		return s[:n]
	}
	cut := n - 3
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
