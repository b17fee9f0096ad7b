package notify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/notify"
)

const channelsYAML = `
channels:
  - {name: ops-slack, type: slack, url: "https://hooks.slack.com/services/T0/B0/SLACKTOKEN"}
  - name: pager
    type: pagerduty
    routingKeyEnv: PD_KEY
  - name: pager-eu
    type: pagerduty
    routingKey: PDINLINEKEY
    url: https://events.eu.pagerduty.com
  - {name: hook, type: webhook, url: "https://example.com/hook?token=QUERYTOKEN", secret: HOOKSECRET}
  - {name: hook-env, type: webhook, url: "https://example.com/hook", secretEnv: HOOK_SECRET}
  - {name: sms, type: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall"}
`

func TestParseChannels(t *testing.T) {
	cfgs, err := notify.ParseChannels([]byte(channelsYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 6 || cfgs[1].RoutingKeyEnv != "PD_KEY" || cfgs[3].Secret != "HOOKSECRET" || cfgs[5].TopicARN == "" {
		t.Fatalf("parsed %+v", cfgs)
	}
	env := map[string]string{"PD_KEY": "PDENVKEY", "HOOK_SECRET": "ENVSECRET"}
	chans, err := notify.BuildAll(cfgs, notify.Deps{Getenv: func(k string) string { return env[k] }, SNS: &fakeSNS{}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"ops-slack": "*notify.Slack", "pager": "*notify.PagerDuty", "pager-eu": "*notify.PagerDuty",
		"hook": "*notify.Webhook", "hook-env": "*notify.Webhook", "sms": "*notify.SNS"} {
		if got := fmt.Sprintf("%T", chans[name]); got != want || chans[name].Name() != name {
			t.Errorf("%s: built %s named %q, want %s", name, got, chans[name].Name(), want)
		}
	}
}

// The example file users copy parses and builds.
func TestExampleChannelsFile(t *testing.T) {
	data, err := os.ReadFile("../../config/oncall/channels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := notify.ParseChannels(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := notify.BuildAll(cfgs, notify.Deps{Getenv: func(string) string { return "x" }, SNS: &fakeSNS{}}); err != nil {
		t.Fatal(err)
	}
}

func TestParseChannelsBadInput(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"empty file", "", []string{"the file is empty"}},
		{"no channels", "channels: []", []string{"no channels listed"}},
		{"not yaml", "channels: [", []string{"channels: yaml"}},
		{"unknown field", "channels: [{name: a, type: webhook, url: 'https://x', secretenv: S}]", []string{"field secretenv not found"}},
		{"no name", "channels: [{type: sns, topicArn: 'arn:aws:sns:r:1:t'}]", []string{`channels[0] "": name: empty`}},
		{"duplicate name", "channels: [{name: a, type: sns, topicArn: 'arn:aws:sns:r:1:t'}, {name: a, type: sns, topicArn: 'arn:aws:sns:r:1:u'}]",
			[]string{`channels[1] "a": name: already used by channels[0]`}},
		{"no type", "channels: [{name: a}]", []string{`channels[0] "a": type: empty`}},
		{"unknown type", "channels: [{name: a, type: email}]", []string{`"a": type: "email": want slack, pagerduty, webhook or sns`}},
		{"slack without url", "channels: [{name: s, type: slack}]", []string{`"s": url: empty`}},
		{"slack bad scheme", "channels: [{name: s, type: slack, url: 'ftp://hooks'}]", []string{`"s": url: scheme "ftp"`}},
		{"pagerduty without key", "channels: [{name: p, type: pagerduty}]", []string{`"p": routingKey: empty: set routingKey or routingKeyEnv`}},
		{"pagerduty with both keys", "channels: [{name: p, type: pagerduty, routingKey: K, routingKeyEnv: E}]", []string{`"p": routingKey: set either`}},
		{"webhook without secret", "channels: [{name: w, type: webhook, url: 'https://x'}]", []string{`"w": secret: empty: set secret or secretEnv`}},
		{"webhook with both secrets", "channels: [{name: w, type: webhook, url: 'https://x', secret: S, secretEnv: E}]", []string{`"w": secret: set either`}},
		{"sns bad arn", "channels: [{name: n, type: sns, topicArn: 'arn:aws:sqs:r:1:q'}]", []string{`"n": topicArn: "arn:aws:sqs:r:1:q" is not`}},
		{"field of another type", "channels: [{name: n, type: sns, topicArn: 'arn:aws:sns:r:1:t', url: 'https://x', secret: S}]",
			[]string{`"n": url: not used by type sns`, "secret: not used by type sns"}},
		{"every entry reported", "channels: [{name: a, type: slack}, {name: b, type: sns}]", []string{`channels[0] "a"`, `channels[1] "b"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.ParseChannels([]byte(tc.yaml))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("ParseChannels = %v, want it to say %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestBuildErrorsNameTheChannel(t *testing.T) {
	cases := []struct {
		name string
		cfg  notify.ChannelConfig
		deps notify.Deps
		want string
	}{
		{"env unset", notify.ChannelConfig{Name: "pager", Type: "pagerduty", RoutingKeyEnv: "PD_KEY"},
			notify.Deps{Getenv: func(string) string { return "" }}, `channel "pager": routingKeyEnv: environment variable PD_KEY is unset or empty`},
		{"no environment", notify.ChannelConfig{Name: "hook", Type: "webhook", URL: "https://x", SecretEnv: "S"},
			notify.Deps{}, `channel "hook": secretEnv: S is set but no environment was given`},
		{"sns without publisher", notify.ChannelConfig{Name: "sms", Type: "sns", TopicARN: "arn:aws:sns:r:1:t"},
			notify.Deps{}, `channel "sms": type sns needs an SNS publisher`},
		{"invalid config", notify.ChannelConfig{Name: "s", Type: "slack"}, notify.Deps{}, `channel "s": url: empty`},
	}
	for _, tc := range cases {
		if _, err := notify.Build(tc.cfg, tc.deps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Printing or logging a ChannelConfig never shows a secret, whatever the
// verb or handler.
func TestSecretsNeverPrinted(t *testing.T) {
	cfgs, err := notify.ParseChannels([]byte(channelsYAML))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, c := range cfgs {
		fmt.Fprintf(&buf, "%v %+v %#v %s\n", c, c, c, c)
		fmt.Fprintf(&buf, "%v\n", []notify.ChannelConfig{c})
		log.Info("channel", "cfg", c)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("channel", "cfg", c)
	}
	env := map[string]string{"PD_KEY": "PDENVKEY", "HOOK_SECRET": "ENVSECRET"}
	chans, err := notify.BuildAll(cfgs, notify.Deps{Getenv: func(k string) string { return env[k] }, SNS: &fakeSNS{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		fmt.Fprintf(&buf, "%v %+v %#v %s\n", ch, ch, ch, ch)
		log.Info("channel", "ch", ch)
	}
	out := buf.String()
	for _, secret := range []string{"PDENVKEY", "ENVSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s printed:\n%s", secret, out)
		}
	}
	for _, secret := range []string{"SLACKTOKEN", "PDINLINEKEY", "QUERYTOKEN", "HOOKSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s printed:\n%s", secret, out)
		}
	}
	for _, shown := range []string{"ops-slack", "hooks.slack.com", "PD_KEY", "HOOK_SECRET", "arn:aws:sns:eu-west-1:123456789012:oncall"} {
		if !strings.Contains(out, shown) {
			t.Errorf("%s not shown; masking hid too much:\n%s", shown, out)
		}
	}
	// JSON is for storing configs, not logs: it keeps the value, which is
	// why LogValue exists.
	if b, _ := json.Marshal(cfgs[3]); !strings.Contains(string(b), "HOOKSECRET") {
		t.Errorf("JSON %s lost the secret", b)
	}
}

func FuzzParseChannels(f *testing.F) {
	f.Add([]byte(channelsYAML))
	f.Add([]byte("channels: [{name: a, type: sns, topicArn: 'arn:aws:sns:r:1:t'}]"))
	f.Add([]byte("channels: {a: b}"))
	f.Add([]byte("- 1\n- 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfgs, err := notify.ParseChannels(data)
		if err != nil {
			return
		}
		// What parses builds, given the environment and SNS.
		if _, err := notify.BuildAll(cfgs, notify.Deps{Getenv: func(string) string { return "x" }, SNS: &fakeSNS{}}); err != nil {
			t.Fatalf("parsed but did not build: %v", err)
		}
	})
}
