package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// PartitionHold is the longest a call denied as a network partition hangs
// before failing: the call's own deadline when sooner.
const PartitionHold = 10 * time.Second

type denyRule struct {
	fault    string
	hosts    []string
	services []string
	mode     DenyMode
}

func newDenyRule(f Fault) denyRule {
	r := denyRule{fault: f.ID, mode: f.DenyMode}
	for _, h := range f.Hosts {
		r.hosts = append(r.hosts, strings.ToLower(strings.TrimSuffix(h, ".")))
	}
	for _, s := range f.Services {
		r.services = append(r.services, strings.ToLower(s))
	}
	if r.mode == "" {
		r.mode = DenyUnavailable
	}
	return r
}

type denyKey struct{}

func withDeny(ctx context.Context, rules []denyRule) context.Context {
	if prev, ok := ctx.Value(denyKey{}).([]denyRule); ok {
		rules = append(append([]denyRule(nil), prev...), rules...)
	}
	return context.WithValue(ctx, denyKey{}, rules)
}

// Denial says why an outgoing call is refused.
type Denial struct {
	Fault  string
	Target string // the host or service denied
	Mode   DenyMode
}

// DeniedHost reports whether an injected fault denies calls to host (a
// host name, with or without port) in ctx.
func DeniedHost(ctx context.Context, host string) (Denial, bool) {
	rules, _ := ctx.Value(denyKey{}).([]denyRule)
	if len(rules) == 0 {
		return Denial{}, false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, r := range rules {
		for _, h := range r.hosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return Denial{Fault: r.fault, Target: h, Mode: r.mode}, true
			}
		}
	}
	return Denial{}, false
}

// DeniedService reports whether an injected fault denies calls to the AWS
// service with this SDK service id ("DynamoDB") in ctx.
func DeniedService(ctx context.Context, service string) (Denial, bool) {
	rules, _ := ctx.Value(denyKey{}).([]denyRule)
	if len(rules) == 0 {
		return Denial{}, false
	}
	service = strings.ToLower(service)
	for _, r := range rules {
		for _, s := range r.services {
			if s == service {
				return Denial{Fault: r.fault, Target: s, Mode: r.mode}, true
			}
		}
	}
	return Denial{}, false
}

// PartitionError is the error of a call denied as a network partition: a
// net.Error that timed out, as a dropped connection would.
type PartitionError struct{ Denial Denial }

func (e *PartitionError) Error() string {
	return fmt.Sprintf("%s: %s unreachable (fault %s)", ErrPartition, e.Denial.Target, e.Denial.Fault)
}

// Timeout is true: a partition looks like a timeout to the caller.
func (e *PartitionError) Timeout() bool { return true }

// Temporary is true.
func (e *PartitionError) Temporary() bool { return true }

// ErrorName names it for ASL Catch.
func (e *PartitionError) ErrorName() string { return ErrPartition }

var _ net.Error = (*PartitionError)(nil)

// Partition waits as a dropped call would (PartitionHold, or until ctx
// ends) and returns the partition error.
func Partition(ctx context.Context, d Denial) error {
	t := time.NewTimer(PartitionHold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return &PartitionError{Denial: d}
}

// Transport fails the requests an injected deny fault names (by host) and
// sends the others through base (http.DefaultTransport when nil):
// unavailable answers 503 at once, partition hangs (see Partition) and
// fails with a PartitionError.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return transport{base: base}
}

type transport struct{ base http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	d, ok := DeniedHost(req.Context(), req.URL.Host)
	if !ok {
		return t.base.RoundTrip(req)
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	if d.Mode == DenyPartition {
		return nil, Partition(req.Context(), d)
	}
	body := fmt.Sprintf("%s: %s denied by chaos fault %s\n", ErrUnavailable, d.Target, d.Fault)
	return &http.Response{
		Status: "503 Service Unavailable", StatusCode: http.StatusServiceUnavailable,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Cogniforge-Chaos": {d.Fault}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}
