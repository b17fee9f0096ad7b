package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Slack posts Block Kit messages to a Slack incoming webhook.
type Slack struct {
	name   string
	url    string
	client *http.Client
	now    func() time.Time
}

var _ Channel = (*Slack)(nil)

// SlackConfig configures a Slack channel.
type SlackConfig struct {
	// Name is the channel's name. Required.
	Name string
	// URL is the incoming webhook URL. Required; it is a credential and is
	// never put in errors.
	URL string
	// HTTPClient sends the requests; nil means a client without an overall
	// timeout (the Notifier bounds every attempt through its context).
	HTTPClient *http.Client
	// Now reads Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// NewSlack returns a Slack channel.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("slack: name: empty"))
	}
	if err := checkURL(cfg.URL); err != nil {
		errs = append(errs, errors.New("slack "+cfg.Name+": url: "+err.Error()))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Slack{name: cfg.Name, url: cfg.URL, client: clientOr(cfg.HTTPClient), now: nowOr(cfg.Now)}, nil
}

// Name returns the channel's name.
func (s *Slack) Name() string { return s.name }

// Send posts m. Slack answers 200 "ok"; 400/403/404/410 ("invalid_payload",
// "no_service", "channel_is_archived") are permanent, 429 and 5xx retried.
func (s *Slack) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(SlackPayload(m))
	if err != nil {
		return &Error{Name: NameInvalidMessage, Channel: s.name, Err: err}
	}
	return post(ctx, s.client, s.name, s.url, body, nil, s.now)
}

// Block Kit limits (api.slack.com/reference/block-kit/blocks).
const (
	slackHeaderMax  = 150
	slackTextMax    = 3000
	slackFieldMax   = 2000
	slackButtonURL  = 3000
	slackContextMax = 2000
)

// SlackPayload is the JSON body Send posts for m: a fallback text for
// notifications, and blocks: a header with severity and title, the summary,
// fields for severity, service and status, a context line with the
// incident id, target and time, and a button opening the incident.
func SlackPayload(m Message) map[string]any {
	title := m.Title
	if title == "" {
		title = m.IncidentID
	}
	head := title
	if m.Severity != "" {
		head = "[" + m.Severity + "] " + title
	}
	if m.Action != ActionTrigger {
		head = m.status() + ": " + head
	}
	text := func(t, s string) map[string]any { return map[string]any{"type": t, "text": s} }

	blocks := []any{map[string]any{"type": "header", "text": text("plain_text", truncate(head, slackHeaderMax))}}
	if m.Summary != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": text("mrkdwn", truncate(slackEscape(m.Summary), slackTextMax))})
	}
	fields := []any{
		text("mrkdwn", "*Severity*\n"+orDash(m.Severity)),
		text("mrkdwn", "*Service*\n"+truncate(slackEscape(orDash(m.Service)), slackFieldMax-20)),
		text("mrkdwn", "*Status*\n"+m.status()),
	}
	blocks = append(blocks, map[string]any{"type": "section", "fields": fields})

	ctxLine := "Incident " + slackEscape(m.IncidentID)
	if m.Target != "" {
		ctxLine += " · notifying " + slackEscape(m.Target)
	}
	if !m.Time.IsZero() {
		ctxLine += " · " + m.Time.UTC().Format(time.RFC3339)
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{text("mrkdwn", truncate(ctxLine, slackContextMax))}})

	if m.URL != "" && len(m.URL) <= slackButtonURL {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type":      "button",
			"action_id": "open_incident",
			"text":      text("plain_text", "Open incident"),
			"url":       m.URL,
		}}})
	}
	return map[string]any{
		"text":   truncate(head, slackTextMax),
		"blocks": blocks,
	}
}

// slackEscape escapes the three characters Slack's mrkdwn treats as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nowOr(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}
