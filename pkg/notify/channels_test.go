package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cogniforge/cogniforge/pkg/notify"
)

// checkBlockKit validates a Slack webhook body against the Block Kit rules
// the message uses: known block types, text objects of a known type and
// within their limits, buttons with a label and an http(s) URL.
func checkBlockKit(body []byte) (map[string]any, error) {
	var p struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a webhook payload: %v", err)
	}
	if p.Text == "" {
		return nil, errors.New("text (the notification fallback) is empty")
	}
	if len(p.Blocks) == 0 || len(p.Blocks) > 50 {
		return nil, fmt.Errorf("%d blocks, want 1..50", len(p.Blocks))
	}
	textObj := func(v any, kind string, max int) error {
		o, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("text object is %T", v)
		}
		if kind != "" && o["type"] != kind {
			return fmt.Errorf("text type %v, want %s", o["type"], kind)
		}
		if o["type"] != "plain_text" && o["type"] != "mrkdwn" {
			return fmt.Errorf("text type %v", o["type"])
		}
		s, _ := o["text"].(string)
		if s == "" || utf8.RuneCountInString(s) > max {
			return fmt.Errorf("text %q: empty or over %d", s, max)
		}
		return nil
	}
	found := map[string]map[string]any{}
	for i, b := range p.Blocks {
		typ, _ := b["type"].(string)
		found[typ] = b
		var err error
		switch typ {
		case "header":
			err = textObj(b["text"], "plain_text", 150)
		case "section":
			if b["text"] != nil {
				err = textObj(b["text"], "", 3000)
			}
			fields, _ := b["fields"].([]any)
			if b["text"] == nil && len(fields) == 0 {
				err = errors.New("section without text or fields")
			}
			if len(fields) > 10 {
				err = fmt.Errorf("%d fields, at most 10", len(fields))
			}
			for _, f := range fields {
				if err == nil {
					err = textObj(f, "", 2000)
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				err = fmt.Errorf("context with %d elements", len(els))
			}
			for _, e := range els {
				if err == nil {
					err = textObj(e, "", 2000)
				}
			}
		case "actions":
			els, _ := b["elements"].([]any)
			for _, e := range els {
				btn, _ := e.(map[string]any)
				if btn["type"] != "button" {
					err = fmt.Errorf("action element %v", btn["type"])
					break
				}
				err = textObj(btn["text"], "plain_text", 75)
				if u, _ := btn["url"].(string); !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
					err = fmt.Errorf("button url %q", u)
				}
			}
		default:
			err = fmt.Errorf("unknown block type %q", typ)
		}
		if err != nil {
			return nil, fmt.Errorf("blocks[%d] %s: %v", i, typ, err)
		}
	}
	return map[string]any{"found": found, "text": p.Text}, nil
}

func TestSlackSendsValidBlockKit(t *testing.T) {
	long := message()
	long.Title = strings.Repeat("é", 200)
	resolve := message()
	resolve.Action, resolve.URL = notify.ActionResolve, ""
	cases := []struct {
		name       string
		msg        notify.Message
		wantButton bool
		wantHeader string
	}{
		{"trigger", message(), true, "[SEV1] checkout availability burning budget"},
		{"resolve without URL", resolve, false, "Resolved: [SEV1] checkout availability burning budget"},
		{"long title cut to 150", long, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request, body []byte) {
				if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
					http.Error(w, "invalid_payload", http.StatusBadRequest)
					return
				}
				if _, err := checkBlockKit(body); err != nil {
					http.Error(w, "invalid_blocks: "+err.Error(), http.StatusBadRequest)
					return
				}
				fmt.Fprint(w, "ok")
			})
			ch, err := notify.NewSlack(notify.SlackConfig{Name: "ops", URL: srv.URL + "/services/T0/B0/token"})
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Send(context.Background(), tc.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got, _ := checkBlockKit(srv.bodies[0])
			found := got["found"].(map[string]map[string]any)
			header := found["header"]["text"].(map[string]any)["text"].(string)
			if tc.wantHeader != "" && header != tc.wantHeader {
				t.Errorf("header %q, want %q", header, tc.wantHeader)
			}
			if _, ok := found["actions"]; ok != tc.wantButton {
				t.Errorf("button present %v, want %v", ok, tc.wantButton)
			}
			if tc.wantButton {
				btn := found["actions"]["elements"].([]any)[0].(map[string]any)
				if btn["url"] != tc.msg.URL {
					t.Errorf("button url %v, want %s", btn["url"], tc.msg.URL)
				}
			}
			fields := fmt.Sprint(found["section"]["fields"])
			for _, want := range []string{"*Severity*\nSEV1", "*Service*\ncheckout", "*Status*\n"} {
				if !strings.Contains(fields, want) {
					t.Errorf("fields %s lack %q", fields, want)
				}
			}
			if !strings.Contains(fmt.Sprint(found["context"]), "INC-42") {
				t.Errorf("context line %v lacks the incident id", found["context"])
			}
		})
	}
}

// Every HTTP channel classifies answers alike; the error never shows the
// URL's path, which holds a Slack webhook's token.
func TestHTTPAnswersAreClassified(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		wantName   string
		retryable  bool
		wantWait   time.Duration
	}{
		{200, "", "", false, 0},
		{204, "", "", false, 0},
		{400, "", notify.NameRejected, false, 0},
		{403, "", notify.NameRejected, false, 0},
		{404, "", notify.NameRejected, false, 0},
		{410, "", notify.NameRejected, false, 0},
		{408, "", notify.NameUnavailable, true, 0},
		{429, "7", notify.NameUnavailable, true, 7 * time.Second},
		{429, t0.Add(90 * time.Second).Format(http.TimeFormat), notify.NameUnavailable, true, 90 * time.Second},
		{429, "soon", notify.NameUnavailable, true, 0},
		{500, "", notify.NameUnavailable, true, 0},
		{503, "2", notify.NameUnavailable, true, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status, tc.retryAfter), func(t *testing.T) {
			srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, "answer body")
			})
			ch, err := notify.NewSlack(notify.SlackConfig{Name: "ops", URL: srv.URL + "/services/T0/B0/XOXBTOKEN", Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), message())
			if tc.wantName == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *notify.Error", err, err)
			}
			if e.Name != tc.wantName || e.Retryable != tc.retryable || e.RetryAfter != tc.wantWait || e.StatusCode != tc.status || e.Channel != "ops" {
				t.Errorf("error %+v, want name %s retryable %v wait %s", e, tc.wantName, tc.retryable, tc.wantWait)
			}
			if notify.Retryable(err) != tc.retryable {
				t.Errorf("Retryable = %v", !tc.retryable)
			}
			if strings.Contains(err.Error(), "XOXBTOKEN") {
				t.Errorf("error %q shows the webhook token", err)
			}
		})
	}
}

func TestNetworkErrorHidesURLAndRetries(t *testing.T) {
	srv := newServer(t, statuses(200))
	url := srv.URL + "/services/T0/B0/XOXBTOKEN"
	srv.Close() // nothing listens any more
	ch, err := notify.NewSlack(notify.SlackConfig{Name: "ops", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), message())
	if !errors.Is(err, notify.ErrUnavailable) || !notify.Retryable(err) {
		t.Fatalf("error %v, want a retryable Notify.Unavailable", err)
	}
	if strings.Contains(err.Error(), "XOXBTOKEN") {
		t.Errorf("error %q shows the webhook token", err)
	}
}

// pagerDutyServer checks requests against the Events API v2 rules and
// answers like PagerDuty: 202 with the dedup key, 400 naming the problem.
func pagerDutyServer(t *testing.T, routingKey string) *server {
	return newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request, body []byte) {
		fail := func(format string, args ...any) {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "errors": []string{fmt.Sprintf(format, args...)}})
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
			fail("%s %s", r.Method, r.URL.Path)
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			fail("json: %v", err)
			return
		}
		if ev["routing_key"] != routingKey {
			fail("routing_key %v", ev["routing_key"])
			return
		}
		dk, _ := ev["dedup_key"].(string)
		if dk == "" || len(dk) > 255 {
			fail("dedup_key %q", dk)
			return
		}
		switch ev["event_action"] {
		case "trigger":
			p, ok := ev["payload"].(map[string]any)
			if !ok {
				fail("trigger without payload")
				return
			}
			for _, f := range []string{"summary", "source", "severity"} {
				if s, _ := p[f].(string); s == "" {
					fail("payload.%s missing", f)
					return
				}
			}
			if s := p["summary"].(string); len(s) > 1024 {
				fail("summary over 1024")
				return
			}
			switch p["severity"] {
			case "critical", "error", "warning", "info":
			default:
				fail("severity %v", p["severity"])
				return
			}
			if ts, ok := p["timestamp"].(string); ok {
				if _, err := time.Parse(time.RFC3339, ts); err != nil {
					fail("timestamp %q", ts)
					return
				}
			}
			if _, ok := p["custom_details"].(map[string]any); !ok {
				fail("custom_details %v", p["custom_details"])
				return
			}
		case "acknowledge", "resolve":
			if _, ok := ev["payload"]; ok {
				fail("%v carries a payload", ev["event_action"])
				return
			}
		default:
			fail("event_action %v", ev["event_action"])
			return
		}
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": dk})
	})
}

func TestPagerDutyEventsV2(t *testing.T) {
	const key = "R0UT1NGKEY0123456789abcdefABCDEF"
	cases := []struct {
		action, sev, dedup, wantSev, wantDedup string
	}{
		{notify.ActionTrigger, notify.SEV1, "", "critical", "INC-42"},
		{notify.ActionTrigger, notify.SEV2, "slo/checkout", "error", "slo/checkout"},
		{notify.ActionTrigger, notify.SEV3, "", "warning", "INC-42"},
		{notify.ActionTrigger, notify.SEV4, "", "info", "INC-42"},
		{notify.ActionAcknowledge, notify.SEV1, "", "", "INC-42"},
		{notify.ActionResolve, "", "slo/checkout", "", "slo/checkout"},
	}
	for _, tc := range cases {
		t.Run(tc.action+"/"+tc.sev, func(t *testing.T) {
			srv := pagerDutyServer(t, key)
			ch, err := notify.NewPagerDuty(notify.PagerDutyConfig{Name: "pager", RoutingKey: key, BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			m := message()
			m.Action, m.Severity, m.DedupKey = tc.action, tc.sev, tc.dedup
			if err := ch.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			var ev notify.PagerDutyEvent
			if err := json.Unmarshal(srv.bodies[0], &ev); err != nil {
				t.Fatal(err)
			}
			if ev.EventAction != tc.action || ev.DedupKey != tc.wantDedup {
				t.Errorf("event_action %q dedup_key %q, want %q %q", ev.EventAction, ev.DedupKey, tc.action, tc.wantDedup)
			}
			if tc.action == notify.ActionTrigger {
				p := ev.Payload
				if p.Severity != tc.wantSev || p.Source != "checkout" || p.Component != "checkout" || p.Timestamp != "2026-03-29T01:30:00Z" ||
					!strings.Contains(p.Summary, m.Title) || p.CustomDetails["incident_id"] != "INC-42" || p.CustomDetails["slo"] != "checkout-availability" {
					t.Errorf("payload %+v", p)
				}
				if len(ev.Links) != 1 || ev.Links[0].Href != m.URL {
					t.Errorf("links %+v", ev.Links)
				}
			}
		})
	}
}

func TestPagerDutyRefusalIsPermanent(t *testing.T) {
	srv := pagerDutyServer(t, "the-right-key")
	ch, err := notify.NewPagerDuty(notify.PagerDutyConfig{Name: "pager", RoutingKey: "a-revoked-key", BaseURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), message())
	if !errors.Is(err, notify.ErrRejected) || notify.Retryable(err) {
		t.Fatalf("error %v, want a permanent Notify.Rejected", err)
	}
	if strings.Contains(err.Error(), "a-revoked-key") {
		t.Errorf("error %q shows the routing key", err)
	}
}

func TestWebhookIsSignedAndVerifiable(t *testing.T) {
	now := t0
	srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request, body []byte) {
		// The receiver's side, as a user would write it.
		if err := notify.Verify([]byte("s3cret"), r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature),
			now.Add(30*time.Second), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, secret := range []string{"s3cret", "wrong"} {
		t.Run(secret, func(t *testing.T) {
			ch, err := notify.NewWebhook(notify.WebhookConfig{Name: "hook", URL: srv.URL, Secret: []byte(secret), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), message())
			if secret == "wrong" {
				var e *notify.Error
				if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized || e.Retryable {
					t.Fatalf("error %v, want a permanent 401", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			last := len(srv.bodies) - 1
			var got notify.Message
			if err := json.Unmarshal(srv.bodies[last], &got); err != nil {
				t.Fatal(err)
			}
			want := message()
			if got.Key != want.Key || got.IncidentID != want.IncidentID || !got.Time.Equal(want.Time) || got.Details["slo"] != "checkout-availability" {
				t.Errorf("body %+v, want %+v", got, want)
			}
			h := srv.heads[last]
			if h.Get(notify.HeaderTimestamp) != fmt.Sprint(t0.Unix()) || h.Get(notify.HeaderIdempotencyKey) != want.Key {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"key":"k"}`)
	ts := fmt.Sprint(t0.Unix())
	good := notify.Sign(secret, ts, body)
	cases := []struct {
		name      string
		ts, sig   string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"good", ts, good, body, t0, time.Minute, nil},
		{"good at the tolerance's edge", ts, good, body, t0.Add(time.Minute), time.Minute, nil},
		{"rotated: second value matches", ts, "v1=00ff, " + good, body, t0, 0, nil},
		{"stale", ts, good, body, t0.Add(time.Minute + time.Second), time.Minute, notify.ErrTimestampStale},
		{"from the future", ts, good, body, t0.Add(-10 * time.Minute), 0, notify.ErrTimestampStale},
		{"absurd timestamp", "-9223372036854775808", good, body, t0, 0, notify.ErrTimestampStale},
		{"body changed", ts, good, []byte(`{"key":"K"}`), t0, 0, notify.ErrSignatureMismatch},
		{"timestamp changed", fmt.Sprint(t0.Unix() + 1), good, body, t0, 0, notify.ErrSignatureMismatch},
		{"no signature", ts, "", body, t0, 0, notify.ErrSignatureMissing},
		{"no timestamp", "", good, body, t0, 0, notify.ErrSignatureMissing},
		{"timestamp not a number", "yesterday", good, body, t0, 0, notify.ErrSignatureMissing},
		{"other scheme only", ts, "v0=" + good[3:], body, t0, 0, notify.ErrSignatureMissing},
		{"hex of another length", ts, "v1=abcd", body, t0, 0, notify.ErrSignatureMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify(secret, tc.ts, tc.body, tc.sig, tc.now, tc.tolerance)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzVerify: no input makes Verify panic, and only the signature Sign
// made passes.
func FuzzVerify(f *testing.F) {
	secret := []byte("s3cret")
	f.Add("1774747800", []byte(`{}`), notify.Sign(secret, "1774747800", []byte(`{}`)))
	f.Add("-1", []byte{}, "v1=")
	f.Add("99999999999999999999", []byte("x"), "v1=zz,v1=,,")
	f.Fuzz(func(t *testing.T, ts string, body []byte, sig string) {
		now := time.Unix(1774747800, 0)
		err := notify.Verify(secret, ts, body, sig, now, time.Hour)
		if err == nil && sig != notify.Sign(secret, ts, body) && !strings.Contains(sig, notify.Sign(secret, ts, body)) {
			t.Fatalf("Verify accepted %q for %q", sig, ts)
		}
	})
}

// fakeSNS records Publish inputs and fails with errs in turn.
type fakeSNS struct {
	inputs []notify.SNSPublishInput
	errs   []error
}

func (f *fakeSNS) Publish(_ context.Context, in notify.SNSPublishInput) (string, error) {
	f.inputs = append(f.inputs, in)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return "", err
	}
	return fmt.Sprintf("msg-%d", len(f.inputs)), nil
}

func TestSNSPublishInput(t *testing.T) {
	long := message()
	long.Title = strings.Repeat("very long title ", 20)
	cases := []struct {
		name, topic string
		msg         notify.Message
		wantURL     bool
		fifo        bool
	}{
		{"standard topic", "arn:aws:sns:eu-west-1:123456789012:oncall", message(), true, false},
		{"fifo topic", "arn:aws:sns:eu-west-1:123456789012:oncall.fifo", message(), true, true},
		{"long title still fits one SMS", "arn:aws:sns:eu-west-1:123456789012:oncall", long, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pub := &fakeSNS{}
			ch, err := notify.NewSNS(notify.SNSConfig{Name: "sms", TopicARN: tc.topic, Publisher: pub})
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Send(context.Background(), tc.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			in := pub.inputs[0]
			if in.TopicARN != tc.topic || in.MessageStructure != "json" {
				t.Errorf("topic %q structure %q", in.TopicARN, in.MessageStructure)
			}
			var texts map[string]string
			if err := json.Unmarshal([]byte(in.Message), &texts); err != nil {
				t.Fatalf("Message is not the per-protocol JSON: %v", err)
			}
			sms := texts["sms"]
			if sms == "" || texts["default"] != sms || len(sms) > notify.SMSMax || !strings.HasPrefix(sms, "SEV1 TRIGGERED checkout: ") {
				t.Errorf("sms %q (%d bytes)", sms, len(sms))
			}
			if strings.Contains(sms, tc.msg.URL) != tc.wantURL {
				t.Errorf("sms %q: URL present %v, want %v", sms, !tc.wantURL, tc.wantURL)
			}
			for _, want := range []string{tc.msg.Title, "INC-42", tc.msg.Summary, "slo: checkout-availability", tc.msg.URL} {
				if !strings.Contains(texts["email"], want) {
					t.Errorf("email lacks %q:\n%s", want, texts["email"])
				}
			}
			if len(in.Subject) > 100 || !strings.HasPrefix(in.Subject, "[SEV1] Triggered: ") {
				t.Errorf("subject %q", in.Subject)
			}
			if in.Attributes["incident_id"] != "INC-42" || in.Attributes["severity"] != "SEV1" || in.Attributes["action"] != "trigger" {
				t.Errorf("attributes %v", in.Attributes)
			}
			if (in.MessageDeduplicationID != "") != tc.fifo || (in.MessageGroupID == "INC-42") != tc.fifo {
				t.Errorf("fifo fields %q %q", in.MessageGroupID, in.MessageDeduplicationID)
			}
		})
	}
}

func TestSNSErrorsKeepTheirClass(t *testing.T) {
	cases := []struct {
		err       error
		retryable bool
	}{
		{notify.Rejected(errors.New("AuthorizationError")), false},
		{notify.Unavailable(errors.New("Throttled"), time.Second), true},
		{errors.New("connection reset"), true},
	}
	for _, tc := range cases {
		pub := &fakeSNS{errs: []error{tc.err}}
		ch, _ := notify.NewSNS(notify.SNSConfig{Name: "sms", TopicARN: "arn:aws:sns:eu-west-1:123456789012:oncall", Publisher: pub})
		err := ch.Send(context.Background(), message())
		var e *notify.Error
		if !errors.As(err, &e) || e.Channel != "sms" || e.Retryable != tc.retryable {
			t.Errorf("%v: got %v, want retryable %v", tc.err, err, tc.retryable)
		}
	}
}

func TestConstructorsNameWhatIsMissing(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"slack", func() error { _, err := notify.NewSlack(notify.SlackConfig{Name: "ops", URL: "ftp://x"}); return err }(), []string{"slack ops: url", "ftp"}},
		{"pagerduty", func() error { _, err := notify.NewPagerDuty(notify.PagerDutyConfig{Name: "pd"}); return err }(), []string{"pagerduty pd: routingKey: empty"}},
		{"webhook", func() error { _, err := notify.NewWebhook(notify.WebhookConfig{URL: "https://x"}); return err }(), []string{"webhook: name: empty", "secret: empty"}},
		{"sns", func() error {
			_, err := notify.NewSNS(notify.SNSConfig{Name: "s", TopicARN: "arn:aws:sqs:x:1:q"})
			return err
		}(), []string{"sns s: topicArn", "publisher"}},
	}
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, tc.err, w)
			}
		}
	}
}

func TestMessageValidateAndKey(t *testing.T) {
	bad := notify.Message{Action: "page", Severity: "P1"}
	err := bad.Validate()
	for _, w := range []string{"key: empty", `action: "page"`, "incidentId: empty", `severity: "P1"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate = %v, want it to name %q", err, w)
		}
	}
	if !errors.Is(err, notify.ErrInvalidMessage) {
		t.Errorf("error %v is not Notify.InvalidMessage", err)
	}
	if err := message().Validate(); err != nil {
		t.Errorf("valid message: %v", err)
	}
	a := notify.MessageKey("INC/1", 2, "bob", "ops", "trigger")
	b := notify.MessageKey("INC", 2, "1/bob", "ops", "trigger")
	if a == b {
		t.Errorf("distinct parts gave one key %q", a)
	}
	if notify.MessageKey("INC-1", 1, "bob", "ops", "trigger") == notify.MessageKey("INC-1", 2, "bob", "ops", "trigger") {
		t.Error("levels do not separate keys")
	}
}

// PagerDuty refuses a dedup_key over 255 characters; a long one is hashed,
// the same for every event of the incident.
func TestPagerDutyLongDedupKey(t *testing.T) {
	srv := pagerDutyServer(t, "k")
	ch, _ := notify.NewPagerDuty(notify.PagerDutyConfig{Name: "pager", RoutingKey: "k", BaseURL: srv.URL})
	m := message()
	m.DedupKey = strings.Repeat("slo/checkout/", 30)
	for _, action := range []string{notify.ActionTrigger, notify.ActionResolve} {
		m.Action = action
		if err := ch.Send(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	var a, b notify.PagerDutyEvent
	_ = json.Unmarshal(srv.bodies[0], &a)
	_ = json.Unmarshal(srv.bodies[1], &b)
	if len(a.DedupKey) != 64 || a.DedupKey != b.DedupKey {
		t.Errorf("dedup keys %q and %q, want one 64-character hash", a.DedupKey, b.DedupKey)
	}
}
