package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// DefaultPagerDutyURL is the base URL of the PagerDuty Events API v2.
const DefaultPagerDutyURL = "https://events.pagerduty.com"

// PagerDuty sends events to the PagerDuty Events API v2
// (POST <base>/v2/enqueue). PagerDuty groups events by dedup_key into one
// alert: a trigger opens it (or adds to it), acknowledge and resolve change
// it, so a repeated trigger never opens a second alert there.
type PagerDuty struct {
	name       string
	routingKey string
	endpoint   string
	client     *http.Client
	now        func() time.Time
}

var _ Channel = (*PagerDuty)(nil)

// PagerDutyConfig configures a PagerDuty channel.
type PagerDutyConfig struct {
	// Name is the channel's name. Required.
	Name string
	// RoutingKey is the integration key of a PagerDuty service (32
	// characters). Required; never put in errors.
	RoutingKey string
	// BaseURL replaces DefaultPagerDutyURL (a test server, an EU endpoint).
	BaseURL string
	// HTTPClient sends the requests; nil means a client without an overall
	// timeout.
	HTTPClient *http.Client
	// Now reads Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// NewPagerDuty returns a PagerDuty channel.
func NewPagerDuty(cfg PagerDutyConfig) (*PagerDuty, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("pagerduty: name: empty"))
	}
	if cfg.RoutingKey == "" {
		errs = append(errs, errors.New("pagerduty "+cfg.Name+": routingKey: empty"))
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultPagerDutyURL
	}
	if err := checkURL(base); err != nil {
		errs = append(errs, errors.New("pagerduty "+cfg.Name+": url: "+err.Error()))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &PagerDuty{name: cfg.Name, routingKey: cfg.RoutingKey, endpoint: strings.TrimRight(base, "/") + "/v2/enqueue",
		client: clientOr(cfg.HTTPClient), now: nowOr(cfg.Now)}, nil
}

// Name returns the channel's name.
func (p *PagerDuty) Name() string { return p.name }

// PagerDutyEvent is the body of an Events API v2 request.
type PagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"`
	DedupKey    string            `json:"dedup_key"`
	Payload     *PagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
	Links       []PagerDutyLink   `json:"links,omitempty"`
}

// PagerDutyPayload describes the alert of a trigger event.
type PagerDutyPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// PagerDutyLink is a link shown on the alert.
type PagerDutyLink struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// PagerDutySeverity maps SEV1..SEV4 to PagerDuty's critical, error,
// warning and info; anything else is "error", PagerDuty's middle ground.
func PagerDutySeverity(sev string) string {
	switch sev {
	case SEV1:
		return "critical"
	case SEV2:
		return "error"
	case SEV3:
		return "warning"
	case SEV4:
		return "info"
	}
	return "error"
}

// PagerDuty's limits on payload.summary and dedup_key.
const (
	pagerDutySummaryMax = 1024
	pagerDutyDedupMax   = 255
)

// PagerDutyEventFor builds the event Send posts for m with routingKey.
// Acknowledge and resolve events carry only the routing key, action and
// dedup_key, as the API asks.
func PagerDutyEventFor(routingKey string, m Message) PagerDutyEvent {
	dk := m.dedupKey()
	if len(dk) > pagerDutyDedupMax {
		// PagerDuty refuses longer keys; a hash keeps every event of the
		// incident on one alert.
		sum := sha256.Sum256([]byte(dk))
		dk = hex.EncodeToString(sum[:])
	}
	ev := PagerDutyEvent{RoutingKey: routingKey, EventAction: m.Action, DedupKey: dk}
	if m.Action != ActionTrigger {
		return ev
	}
	source := m.Service
	if source == "" {
		source = "cogniforge"
	}
	summary := m.Title
	if m.Severity != "" {
		summary = "[" + m.Severity + "] " + summary
	}
	details := map[string]string{"incident_id": m.IncidentID}
	for k, v := range m.Details {
		details[k] = v
	}
	if m.Summary != "" {
		details["summary"] = m.Summary
	}
	if m.Target != "" {
		details["target"] = m.Target
	}
	if m.Severity != "" {
		details["severity"] = m.Severity
	}
	ev.Payload = &PagerDutyPayload{
		Summary:       truncate(summary, pagerDutySummaryMax),
		Source:        source,
		Severity:      PagerDutySeverity(m.Severity),
		Component:     m.Service,
		CustomDetails: details,
	}
	if !m.Time.IsZero() {
		ev.Payload.Timestamp = m.Time.UTC().Format(time.RFC3339)
	}
	ev.Client = "CogniForge"
	if m.URL != "" {
		ev.ClientURL = m.URL
		ev.Links = []PagerDutyLink{{Href: m.URL, Text: "Incident " + m.IncidentID}}
	}
	return ev
}

// Send posts m as an event. PagerDuty answers 202; 400 (an invalid event or
// routing key) is permanent, 429 and 5xx retried.
func (p *PagerDuty) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(PagerDutyEventFor(p.routingKey, m))
	if err != nil {
		return &Error{Name: NameInvalidMessage, Channel: p.name, Err: err}
	}
	return post(ctx, p.client, p.name, p.endpoint, body, nil, p.now, p.routingKey)
}
