package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// SNSPublishInput is what the SNS channel publishes: the fields of the SNS
// Publish call it uses, in plain Go so the core links no AWS SDK.
type SNSPublishInput struct {
	TopicARN string
	// Message is a JSON object with a text per protocol: "default", "sms"
	// (short) and "email" (the long form); MessageStructure is "json".
	Message          string
	MessageStructure string
	// Subject is the e-mail subject (at most 100 ASCII characters).
	Subject string
	// Attributes become String message attributes (incident_id, action,
	// severity, service), for subscription filter policies.
	Attributes map[string]string
	// MessageGroupID and MessageDeduplicationID are set for FIFO topics
	// (an ARN ending in ".fifo") only: the group is the incident, the
	// deduplication id a hash of the message key, so SNS drops a duplicate
	// published within its five-minute window.
	MessageGroupID         string
	MessageDeduplicationID string
}

// SNSPublisher publishes to SNS. The wiring passes snsnotify.New(client);
// tests pass a fake. Errors should be marked with Rejected or Unavailable;
// any other error counts as retryable.
type SNSPublisher interface {
	Publish(ctx context.Context, in SNSPublishInput) (messageID string, err error)
}

// SNS publishes incident notifications to an SNS topic, whose SMS and
// e-mail subscribers each get a text of their own.
type SNS struct {
	name      string
	topicARN  string
	publisher SNSPublisher
}

var _ Channel = (*SNS)(nil)

// SNSConfig configures an SNS channel.
type SNSConfig struct {
	// Name is the channel's name. Required.
	Name string
	// TopicARN is the topic published to. Required.
	TopicARN string
	// Publisher reaches SNS. Required.
	Publisher SNSPublisher
}

// NewSNS returns an SNS channel.
func NewSNS(cfg SNSConfig) (*SNS, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("sns: name: empty"))
	}
	if err := checkTopicARN(cfg.TopicARN); err != nil {
		errs = append(errs, fmt.Errorf("sns %s: topicArn: %w", cfg.Name, err))
	}
	if cfg.Publisher == nil {
		errs = append(errs, fmt.Errorf("sns %s: no SNS publisher given (the wiring passes snsnotify.New)", cfg.Name))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &SNS{name: cfg.Name, topicARN: cfg.TopicARN, publisher: cfg.Publisher}, nil
}

// checkTopicARN accepts arn:<partition>:sns:<region>:<account>:<topic>.
func checkTopicARN(arn string) error {
	if arn == "" {
		return errors.New("empty")
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sns" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return fmt.Errorf("%q is not arn:aws:sns:<region>:<account>:<topic>", arn)
	}
	return nil
}

// Name returns the channel's name.
func (s *SNS) Name() string { return s.name }

// Send publishes m.
func (s *SNS) Send(ctx context.Context, m Message) error {
	in, err := SNSInputFor(s.topicARN, m)
	if err != nil {
		return &Error{Name: NameInvalidMessage, Channel: s.name, Err: err}
	}
	if _, err := s.publisher.Publish(ctx, in); err != nil {
		var e *Error
		if errors.As(err, &e) {
			c := *e
			c.Channel = s.name
			return &c
		}
		return &Error{Name: NameUnavailable, Channel: s.name, Retryable: true, Err: err}
	}
	return nil
}

// Text limits: one SMS segment of GSM-7 text, SNS's e-mail subject.
const (
	SMSMax        = 140
	snsSubjectMax = 100
)

// SNSInputFor builds the Publish input Send uses for m.
func SNSInputFor(topicARN string, m Message) (SNSPublishInput, error) {
	short := SMSText(m)
	body, err := json.Marshal(map[string]string{"default": short, "sms": short, "email": emailText(m)})
	if err != nil {
		return SNSPublishInput{}, err
	}
	subject := "[" + orDash(m.Severity) + "] " + m.status() + ": " + m.Title
	in := SNSPublishInput{
		TopicARN:         topicARN,
		Message:          string(body),
		MessageStructure: "json",
		Subject:          truncate(asciiLine(subject), snsSubjectMax),
		Attributes:       map[string]string{"incident_id": m.IncidentID, "action": m.Action},
	}
	if m.Severity != "" {
		in.Attributes["severity"] = m.Severity
	}
	if m.Service != "" {
		in.Attributes["service"] = m.Service
	}
	if strings.HasSuffix(topicARN, ".fifo") {
		sum := sha256.Sum256([]byte(m.Key))
		in.MessageGroupID = truncate(m.dedupKey(), 128)
		in.MessageDeduplicationID = hex.EncodeToString(sum[:])
	}
	return in, nil
}

// SMSText is the short text SMS subscribers get: severity, state, service,
// title and, when it fits whole, the incident URL, in at most SMSMax bytes.
func SMSText(m Message) string {
	head := orDash(m.Severity) + " " + strings.ToUpper(m.status())
	if m.Service != "" {
		head += " " + m.Service
	}
	head += ": "
	title := m.Title
	if title == "" {
		title = m.IncidentID
	}
	tail := ""
	if m.URL != "" && len(head)+len(m.URL)+1+20 <= SMSMax {
		tail = " " + m.URL
	}
	return truncate(asciiLine(head+truncate(title, max(0, SMSMax-len(head)-len(tail)))+tail), SMSMax)
}

// emailText is the long form for e-mail subscribers.
func emailText(m Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", m.Title)
	fmt.Fprintf(&b, "Incident: %s\nStatus:   %s\nSeverity: %s\nService:  %s\n", m.IncidentID, m.status(), orDash(m.Severity), orDash(m.Service))
	if m.Target != "" {
		fmt.Fprintf(&b, "Notified: %s\n", m.Target)
	}
	if !m.Time.IsZero() {
		fmt.Fprintf(&b, "Time:     %s\n", m.Time.UTC().Format(time.RFC3339))
	}
	if m.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", m.Summary)
	}
	if len(m.Details) > 0 {
		keys := make([]string, 0, len(m.Details))
		for k := range m.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("\nDetails:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\n", k, m.Details[k])
		}
	}
	if m.URL != "" {
		fmt.Fprintf(&b, "\n%s\n", m.URL)
	}
	return b.String()
}

// asciiLine replaces control characters and non-ASCII runes, which SMS
// (GSM-7) and e-mail subjects do not carry reliably, with '?' and spaces.
func asciiLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		case r > 0x7e:
			return '?'
		}
		return r
	}, s)
}
