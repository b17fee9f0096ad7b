package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxErrorBody is how much of an error answer is kept for the message: the
// services answer short codes ("invalid_payload", a JSON error).
const maxErrorBody = 512

// post sends body to target and classifies the answer. Errors name the
// host only: the path of a Slack webhook URL is its credential; secrets an
// answer echoes (a routing key in a 400) are masked.
func post(ctx context.Context, client *http.Client, channel, target string, body []byte, header http.Header, now func() time.Time, secrets ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &Error{Name: NameInvalidMessage, Channel: channel, Err: fmt.Errorf("request to %s: %w", redact(target), unwrapURLError(err))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cogniforge-notify/1")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return &Error{Name: NameUnavailable, Channel: channel, Retryable: true, Err: fmt.Errorf("POST %s: %w", redact(target), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if u, err := url.Parse(target); err == nil && len(u.Path) > 1 {
		secrets = append(secrets, u.Path, u.RawQuery)
	}
	for _, sec := range secrets {
		if len(sec) >= 4 {
			snippet = bytes.ReplaceAll(snippet, []byte(sec), []byte("***"))
		}
	}
	return checkStatus(channel, resp.StatusCode, resp.Header.Get("Retry-After"), snippet, now())
}

// checkStatus turns an HTTP answer into nil or an *Error: 2xx is success;
// 408, 429 and 5xx are retryable (429 and 503 after Retry-After); any other
// status is a permanent refusal.
func checkStatus(channel string, status int, retryAfter string, body []byte, now time.Time) error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &Error{Channel: channel, StatusCode: status}
	if text := strings.TrimSpace(string(body)); text != "" {
		e.Err = errors.New(text)
	}
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		e.Name, e.Retryable = NameUnavailable, true
		e.RetryAfter = ParseRetryAfter(retryAfter, now)
	default:
		e.Name = NameRejected
	}
	return e
}

// ParseRetryAfter reads an HTTP Retry-After value, delay-seconds or an
// HTTP-date, as a wait from now. An empty, malformed, negative or past
// value gives zero (let the backoff policy decide).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 || s > int64(24*time.Hour/time.Second) {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact keeps the scheme and host of a URL: enough to tell which endpoint
// failed, never the path or query that may hold a token.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<url>"
	}
	return u.Scheme + "://" + u.Host
}

// unwrapURLError drops the *url.Error layer, whose message repeats the
// full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// defaultClient has no overall timeout: the Notifier puts one on every
// attempt's context.
var defaultClient = &http.Client{}

func clientOr(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return defaultClient
}

// checkURL accepts absolute http and https URLs. Plain http is allowed for
// local receivers and tests. The error never repeats the URL.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("scheme %q: want https or http", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}
