package resilience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Transport is an http.RoundTripper that sends every request through a
// Policy. Answers 429, 502, 503 and 504 (and other 5xx) are failures worth
// another attempt, honouring Retry-After; when the attempts run out the
// last such answer is returned as a response, as any RoundTripper does.
// Other answers, 4xx included, are successes to the breaker: the
// downstream is up. GET, HEAD, OPTIONS, TRACE, PUT and DELETE are
// idempotent by HTTP's definition; POST and PATCH are retried only with an
// Idempotency-Key header or WithIdempotent(ctx, true); a body that cannot
// be sent again (no GetBody) is never retried.
type Transport struct {
	// Policy is applied to every request. Required.
	Policy *Policy
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Now reads Retry-After dates; nil means time.Now.
	Now func() time.Time
}

var _ http.RoundTripper = (*Transport)(nil)

// statusError is an answer worth another attempt.
type statusError struct{ code int }

func (e *statusError) Error() string   { return fmt.Sprintf("http status %d", e.code) }
func (e *statusError) Retryable() bool { return true }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	if _, said := ctx.Value(idempotentKey{}).(bool); !said {
		safe := idempotentMethod(req.Method) || req.Header.Get("Idempotency-Key") != ""
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			safe = false
		}
		ctx = WithIdempotent(ctx, safe)
	}
	var last *http.Response
	attempt := 0
	_, err := Do(ctx, t.Policy, func(ctx context.Context) (struct{}, error) {
		attempt++
		if last != nil {
			drain(last)
			last = nil
		}
		r := req.Clone(ctx)
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return struct{}{}, Permanent(err)
			}
			r.Body = body
		}
		resp, err := base.RoundTrip(r)
		if err != nil {
			return struct{}{}, err
		}
		last = resp
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return struct{}{}, nil
		}
		var failed error = &statusError{code: resp.StatusCode}
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
			failed = WithRetryAfter(failed, d)
		}
		return struct{}{}, failed
	})
	var se *statusError
	if err != nil && last != nil && errors.As(err, &se) {
		return last, nil
	}
	if err != nil {
		if last != nil {
			drain(last)
		}
		return nil, err
	}
	return last, nil
}

func (t *Transport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return false
}

// drain reads a little of a discarded answer so its connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
