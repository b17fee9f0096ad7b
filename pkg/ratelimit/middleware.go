package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Error names a 429 carries (faas.Problem.ErrorType), for ASL Catch.
const (
	ErrTooManyRequests = "TooManyRequests" // the rate was exceeded
	ErrQuotaExhausted  = "QuotaExhausted"  // the daily quota is spent
)

// Header names (draft-ietf-httpapi-ratelimit-headers).
const (
	PolicyHeader     = "RateLimit-Policy"
	RateLimitHeader  = "RateLimit"
	RetryAfterHeader = "Retry-After"
)

// MiddlewareConfig configures Middleware.
type MiddlewareConfig struct {
	// API names the API a request belongs to (the catalog's API name, or
	// the function's name for requests outside the catalog). Required.
	API func(r *http.Request) string
	// OnError is told of store failures and contention (Decision.Err);
	// nil ignores them.
	OnError func(r *http.Request, err error)
}

// Middleware limits every request by the client the identity middleware
// put in its context (apiclient.FromContext; without one, the caller is
// anonymous by address). A limited client's responses all carry the
// RateLimit-Policy and RateLimit headers; a refused request is answered
// 429 with Retry-After and a problem body and never reaches next.
func (l *Limiter) Middleware(cfg MiddlewareConfig) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := apiclient.FromContext(r.Context())
			if !ok {
				c, _ = apiclient.Identifier{}.Identify(r)
				if c.ID == "" {
					c = apiclient.Client{ID: "anon:" + r.RemoteAddr, Class: apiclient.Anonymous, Via: apiclient.ViaAnonymous}
				}
			}
			d := l.Allow(r.Context(), c, cfg.API(r))
			if d.Err != nil && cfg.OnError != nil {
				cfg.OnError(r, d.Err)
			}
			if d.Policy != nil {
				SetHeaders(w.Header(), d)
			}
			if d.Allowed {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set(RetryAfterHeader, strconv.FormatInt(ceilSeconds(d.RetryAfter, 1), 10))
			p := faas.Problem{Type: faas.ProblemTypePrefix + ErrTooManyRequests, Title: "Too Many Requests",
				Status: http.StatusTooManyRequests, ErrorType: ErrTooManyRequests, Retryable: true,
				Detail: "rate limit " + d.Policy.Name() + " (" + d.Policy.Rate.String() + ", burst " + strconv.Itoa(d.Policy.Burst) + ") exceeded"}
			if d.QuotaExhausted {
				p.Type, p.ErrorType = faas.ProblemTypePrefix+ErrQuotaExhausted, ErrQuotaExhausted
				p.Detail = "daily quota " + d.Policy.Name() + " (" + strconv.FormatInt(d.Policy.Quota, 10) + " requests per UTC day) spent"
			}
			faas.WriteProblem(w, p)
		})
	}
}

// SetHeaders sets RateLimit-Policy and RateLimit for d (whose Policy is
// not nil): the rate as quota q per window w seconds, and the daily quota
// when there is one.
func SetHeaders(h http.Header, d Decision) {
	p := d.Policy
	name := p.Name()
	q, w := p.Rate.Count, p.Rate.Per.Seconds()
	if q != math.Trunc(q) { // a fractional rate, as whole requests per minute
		q, w = math.Round(q*60/w), 60
	}
	var pol, now strings.Builder
	pol.WriteString(strconv.Quote(name) + ";q=" + strconv.FormatInt(max(int64(q), 1), 10) + ";w=" + strconv.FormatInt(int64(w), 10))
	t := d.Reset
	if !d.Allowed {
		t = d.RetryAfter
	}
	now.WriteString(strconv.Quote(name) + ";r=" + strconv.FormatInt(d.Remaining, 10) + ";t=" + strconv.FormatInt(ceilSeconds(t, 0), 10))
	if p.Quota > 0 {
		pol.WriteString(", " + strconv.Quote(name+"/day") + ";q=" + strconv.FormatInt(p.Quota, 10) + ";w=86400")
		now.WriteString(", " + strconv.Quote(name+"/day") + ";r=" + strconv.FormatInt(max(d.QuotaRemaining, 0), 10) + ";t=" + strconv.FormatInt(ceilSeconds(d.QuotaReset, 0), 10))
	}
	h.Set(PolicyHeader, pol.String())
	h.Set(RateLimitHeader, now.String())
}

func ceilSeconds(d time.Duration, least int64) int64 {
	s := int64(math.Ceil(d.Seconds()))
	return max(s, least)
}
