package notify

import "log/slog"

// The channels hold credentials (a Slack URL, a routing key, a signing
// secret). These methods make printing or logging a channel, with any verb
// or slog handler, show its name and host only.

// String describes the channel without its credential.
func (s *Slack) String() string { return "slack channel " + s.name + " (" + redact(s.url) + ")" }

// GoString is String, for %#v.
func (s *Slack) GoString() string { return s.String() }

// LogValue is String, for log/slog.
func (s *Slack) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String describes the channel without its routing key.
func (p *PagerDuty) String() string {
	return "pagerduty channel " + p.name + " (" + redact(p.endpoint) + ")"
}

// GoString is String, for %#v.
func (p *PagerDuty) GoString() string { return p.String() }

// LogValue is String, for log/slog.
func (p *PagerDuty) LogValue() slog.Value { return slog.StringValue(p.String()) }

// String describes the channel without its secret.
func (w *Webhook) String() string { return "webhook channel " + w.name + " (" + redact(w.url) + ")" }

// GoString is String, for %#v.
func (w *Webhook) GoString() string { return w.String() }

// LogValue is String, for log/slog.
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

// String describes the channel.
func (s *SNS) String() string { return "sns channel " + s.name + " (" + s.topicARN + ")" }

// GoString is String, for %#v.
func (s *SNS) GoString() string { return s.String() }

// LogValue is String, for log/slog.
func (s *SNS) LogValue() slog.Value { return slog.StringValue(s.String()) }
