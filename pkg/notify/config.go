package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"
)

// Channel types a ChannelConfig may name.
const (
	TypeSlack     = "slack"
	TypePagerDuty = "pagerduty"
	TypeWebhook   = "webhook"
	TypeSNS       = "sns"
)

// ChannelConfig is one entry of the channels file:
//
//	channels:
//	  - name: ops-slack          # required, unique; escalation policies name it
//	    type: slack              # slack | pagerduty | webhook | sns
//	    url: https://hooks.slack.com/services/...
//	  - name: pager
//	    type: pagerduty
//	    routingKeyEnv: PD_KEY    # or routingKey: <integration key>
//	    url: https://events.eu.pagerduty.com   # optional base URL
//	  - name: hook
//	    type: webhook
//	    url: https://example.com/hooks/incidents
//	    secretEnv: HOOK_SECRET   # or secret: <shared secret>
//	  - name: sms
//	    type: sns
//	    topicArn: arn:aws:sns:eu-west-1:123456789012:oncall
//
// Secrets (Secret, RoutingKey and a Slack URL, which embeds its token) are
// masked by String, GoString and LogValue, so printing or logging a
// ChannelConfig never shows them. Prefer the *Env forms, which keep the
// secret out of the file.
type ChannelConfig struct {
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type" json:"type"`
	// URL: the Slack webhook, the webhook receiver, or PagerDuty's base
	// URL (optional, DefaultPagerDutyURL).
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// RoutingKey or RoutingKeyEnv (the name of an environment variable
	// holding it): PagerDuty's integration key.
	RoutingKey    string `yaml:"routingKey,omitempty" json:"routingKey,omitempty"`
	RoutingKeyEnv string `yaml:"routingKeyEnv,omitempty" json:"routingKeyEnv,omitempty"`
	// Secret or SecretEnv: the webhook's signing secret.
	Secret    string `yaml:"secret,omitempty" json:"secret,omitempty"`
	SecretEnv string `yaml:"secretEnv,omitempty" json:"secretEnv,omitempty"`
	// TopicARN: the SNS topic.
	TopicARN string `yaml:"topicArn,omitempty" json:"topicArn,omitempty"`
}

// channelsFile is the document ParseChannels reads.
type channelsFile struct {
	Channels []ChannelConfig `yaml:"channels"`
}

// masked is what String and LogValue show in place of a secret.
const masked = "***"

func mask(s string) string {
	if s == "" {
		return ""
	}
	return masked
}

// redacted returns a copy of c with its secrets masked.
func (c ChannelConfig) redacted() ChannelConfig {
	c.Secret, c.RoutingKey = mask(c.Secret), mask(c.RoutingKey)
	if c.Type == TypeSlack || c.Type == TypeWebhook {
		// Webhook URLs often carry a token in the path or query too.
		if c.URL != "" {
			c.URL = redact(c.URL) + "/" + masked
		}
	}
	return c
}

// String shows c with its secrets masked.
func (c ChannelConfig) String() string {
	r := c.redacted()
	return fmt.Sprintf("{name:%s type:%s url:%s routingKey:%s routingKeyEnv:%s secret:%s secretEnv:%s topicArn:%s}",
		r.Name, r.Type, r.URL, r.RoutingKey, r.RoutingKeyEnv, r.Secret, r.SecretEnv, r.TopicARN)
}

// GoString shows c with its secrets masked (for %#v).
func (c ChannelConfig) GoString() string { return "notify.ChannelConfig" + c.String() }

// LogValue shows c with its secrets masked, for log/slog.
func (c ChannelConfig) LogValue() slog.Value {
	r := c.redacted()
	attrs := []slog.Attr{slog.String("name", r.Name), slog.String("type", r.Type)}
	for _, kv := range [][2]string{{"url", r.URL}, {"routingKey", r.RoutingKey}, {"routingKeyEnv", r.RoutingKeyEnv},
		{"secret", r.Secret}, {"secretEnv", r.SecretEnv}, {"topicArn", r.TopicARN}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	return slog.GroupValue(attrs...)
}

// ParseChannels reads a channels file and checks every entry, reporting
// every problem at once, each naming the entry (its index and name) and the
// field. Unknown fields are errors, so a misspelt "secretEnv" is not
// silently a webhook without a secret. An empty list is an error.
func ParseChannels(data []byte) ([]ChannelConfig, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f channelsFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("channels: the file is empty")
		}
		return nil, fmt.Errorf("channels: %w", err)
	}
	if len(f.Channels) == 0 {
		return nil, errors.New("channels: no channels listed (want channels: [{name, type, ...}])")
	}
	var errs []error
	seen := map[string]int{}
	for i, c := range f.Channels {
		if c.Name != "" {
			if j, dup := seen[c.Name]; dup {
				errs = append(errs, fmt.Errorf("channels[%d] %q: name: already used by channels[%d]", i, c.Name, j))
			} else {
				seen[c.Name] = i
			}
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("channels[%d] %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Channels, nil
}

// Validate checks c on its own: the fields its type needs, and no field
// it does not use. The error names the channel and the field, never a
// secret's value.
func (c ChannelConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	unused := func(fields map[string]string) {
		for _, f := range []string{"url", "routingKey", "routingKeyEnv", "secret", "secretEnv", "topicArn"} {
			if fields[f] != "" {
				bad(f, "not used by type %s", c.Type)
			}
		}
	}
	all := map[string]string{"url": c.URL, "routingKey": c.RoutingKey, "routingKeyEnv": c.RoutingKeyEnv,
		"secret": c.Secret, "secretEnv": c.SecretEnv, "topicArn": c.TopicARN}
	without := func(keep ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, k := range keep {
			delete(m, k)
		}
		return m
	}
	oneOf := func(a, b, va, vb string) {
		switch {
		case va == "" && vb == "":
			bad(a, "empty: set %s or %s", a, b)
		case va != "" && vb != "":
			bad(a, "set either %s or %s, not both", a, b)
		}
	}
	if c.Name == "" {
		bad("name", "empty")
	}
	switch c.Type {
	case TypeSlack:
		if err := checkURL(c.URL); err != nil {
			bad("url", "%v", err)
		}
		unused(without("url"))
	case TypePagerDuty:
		oneOf("routingKey", "routingKeyEnv", c.RoutingKey, c.RoutingKeyEnv)
		if c.URL != "" {
			if err := checkURL(c.URL); err != nil {
				bad("url", "%v", err)
			}
		}
		unused(without("url", "routingKey", "routingKeyEnv"))
	case TypeWebhook:
		if err := checkURL(c.URL); err != nil {
			bad("url", "%v", err)
		}
		oneOf("secret", "secretEnv", c.Secret, c.SecretEnv)
		unused(without("url", "secret", "secretEnv"))
	case TypeSNS:
		if err := checkTopicARN(c.TopicARN); err != nil {
			bad("topicArn", "%v", err)
		}
		unused(without("topicArn"))
	case "":
		bad("type", "empty: want slack, pagerduty, webhook or sns")
	default:
		bad("type", "%q: want slack, pagerduty, webhook or sns", c.Type)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%q: %w", c.Name, err)
	}
	return nil
}

// Deps are what Build needs from the wiring.
type Deps struct {
	// HTTPClient sends the HTTP channels' requests; nil means a client
	// without an overall timeout (the Notifier bounds each attempt).
	HTTPClient *http.Client
	// Getenv resolves secretEnv and routingKeyEnv; the wiring passes
	// os.Getenv. Nil makes a config that uses them an error.
	Getenv func(string) string
	// SNS publishes for sns channels (snsnotify.New(client)); required
	// only when one is configured.
	SNS SNSPublisher
	// Now is the channels' clock (webhook signing time); nil means
	// time.Now.
	Now func() time.Time
}

// Build turns a checked ChannelConfig into its Channel, resolving secrets
// from the environment through deps.Getenv. An environment variable that is
// unset or empty is an error naming the variable, not its value.
func Build(cfg ChannelConfig, deps Deps) (Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("channel %w", err)
	}
	env := func(field, name string) (string, error) {
		if deps.Getenv == nil {
			return "", fmt.Errorf("channel %q: %s: %s is set but no environment was given to Build (Deps.Getenv)", cfg.Name, field, name)
		}
		v := deps.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("channel %q: %s: environment variable %s is unset or empty", cfg.Name, field, name)
		}
		return v, nil
	}
	switch cfg.Type {
	case TypeSlack:
		return NewSlack(SlackConfig{Name: cfg.Name, URL: cfg.URL, HTTPClient: deps.HTTPClient, Now: deps.Now})
	case TypePagerDuty:
		key := cfg.RoutingKey
		if cfg.RoutingKeyEnv != "" {
			var err error
			if key, err = env("routingKeyEnv", cfg.RoutingKeyEnv); err != nil {
				return nil, err
			}
		}
		return NewPagerDuty(PagerDutyConfig{Name: cfg.Name, RoutingKey: key, BaseURL: cfg.URL, HTTPClient: deps.HTTPClient, Now: deps.Now})
	case TypeWebhook:
		secret := cfg.Secret
		if cfg.SecretEnv != "" {
			var err error
			if secret, err = env("secretEnv", cfg.SecretEnv); err != nil {
				return nil, err
			}
		}
		return NewWebhook(WebhookConfig{Name: cfg.Name, URL: cfg.URL, Secret: []byte(secret), HTTPClient: deps.HTTPClient, Now: deps.Now})
	case TypeSNS:
		if deps.SNS == nil {
			return nil, fmt.Errorf("channel %q: type sns needs an SNS publisher (Deps.SNS)", cfg.Name)
		}
		return NewSNS(SNSConfig{Name: cfg.Name, TopicARN: cfg.TopicARN, Publisher: deps.SNS})
	}
	return nil, fmt.Errorf("channel %q: type: %q is not a channel type", cfg.Name, cfg.Type)
}

// BuildAll builds every channel, keyed by name, reporting every failure.
func BuildAll(cfgs []ChannelConfig, deps Deps) (map[string]Channel, error) {
	out := make(map[string]Channel, len(cfgs))
	var errs []error
	for _, c := range cfgs {
		ch, err := Build(c, deps)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[c.Name] = ch
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
