package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed webhook request.
const (
	// HeaderTimestamp carries the signing time in Unix seconds.
	HeaderTimestamp = "X-Cogniforge-Timestamp"
	// HeaderSignature carries "v1=<hex HMAC-SHA256(secret, timestamp + "." +
	// body)>"; several comma-separated values are allowed while a secret is
	// rotated.
	HeaderSignature = "X-Cogniforge-Signature"
	// HeaderIdempotencyKey carries Message.Key, so a receiver can drop the
	// rare duplicate of the at-least-once window.
	HeaderIdempotencyKey = "X-Cogniforge-Idempotency-Key"
)

// DefaultTolerance is how far a webhook timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Webhook posts the Message as JSON to any HTTP endpoint, signed with
// HMAC-SHA256 over "<timestamp>.<body>" (see Verify for the receiving
// side).
type Webhook struct {
	name   string
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

var _ Channel = (*Webhook)(nil)

// WebhookConfig configures a Webhook channel.
type WebhookConfig struct {
	// Name is the channel's name. Required.
	Name string
	// URL receives the POST. Required.
	URL string
	// Secret signs every request. Required; never put in errors.
	Secret []byte
	// HTTPClient sends the requests; nil means a client without an overall
	// timeout.
	HTTPClient *http.Client
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// NewWebhook returns a Webhook channel.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("webhook: name: empty"))
	}
	if err := checkURL(cfg.URL); err != nil {
		errs = append(errs, errors.New("webhook "+cfg.Name+": url: "+err.Error()))
	}
	if len(cfg.Secret) == 0 {
		errs = append(errs, errors.New("webhook "+cfg.Name+": secret: empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Webhook{name: cfg.Name, url: cfg.URL, secret: append([]byte(nil), cfg.Secret...),
		client: clientOr(cfg.HTTPClient), now: nowOr(cfg.Now)}, nil
}

// Name returns the channel's name.
func (w *Webhook) Name() string { return w.name }

// Send posts m's JSON (the Message's json field names) with the signature
// headers; the timestamp is taken at each attempt, so a retry is signed
// afresh. Any 2xx is success.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return &Error{Name: NameInvalidMessage, Channel: w.name, Err: err}
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(w.secret, ts, body))
	h.Set(HeaderIdempotencyKey, m.Key)
	return post(ctx, w.client, w.name, w.url, body, h, w.now, string(w.secret))
}

// Sign returns the X-Cogniforge-Signature value for body sent at timestamp
// (Unix seconds, as sent in X-Cogniforge-Timestamp).
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors Verify returns, matched with errors.Is.
var (
	ErrSignatureMissing  = errors.New("notify: webhook signature or timestamp missing")
	ErrSignatureMismatch = errors.New("notify: webhook signature does not match")
	ErrTimestampStale    = errors.New("notify: webhook timestamp outside tolerance")
)

// Verify checks a received webhook: timestamp and signature are the values
// of X-Cogniforge-Timestamp and X-Cogniforge-Signature, body the raw
// request body (read it before decoding), now the receiver's clock. A
// timestamp more than tolerance before or after now is refused, so a
// captured request cannot be replayed later (tolerance <= 0 means
// DefaultTolerance); the signature must match one of the v1= values. The
// comparison takes constant time.
func Verify(secret []byte, timestamp string, body []byte, signature string, now time.Time, tolerance time.Duration) error {
	if timestamp == "" || signature == "" {
		return ErrSignatureMissing
	}
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret to verify with", ErrSignatureMismatch)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrSignatureMissing, truncate(timestamp, 32))
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Compared in whole seconds against bounds computed from now, so an
	// absurd timestamp cannot overflow the arithmetic.
	at, tol := now.Unix(), int64(tolerance/time.Second)
	if sec < at-tol || sec > at+tol {
		return fmt.Errorf("%w: timestamp %d, now %d (tolerance %s)", ErrTimestampStale, sec, at, tolerance)
	}
	want := []byte(Sign(secret, timestamp, body))
	found := false
	for _, part := range strings.Split(signature, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "v1=") {
			continue
		}
		found = true
		if hmac.Equal([]byte(part), want) {
			return nil
		}
	}
	if !found {
		return fmt.Errorf("%w: no v1= signature", ErrSignatureMissing)
	}
	return ErrSignatureMismatch
}
