// Package discoverytest has test helpers for code that uses discovery: a
// Source serving a fixed, changeable list of instances and counting its
// reads, and a health endpoint whose answer a test switches.
package discoverytest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
)

// Source is a discovery.Source over a list a test sets. Safe for
// concurrent use.
type Source struct {
	mu    sync.Mutex
	insts []discovery.Instance
	err   error
	reads atomic.Int64
}

var _ discovery.Source = (*Source)(nil)

// Set replaces the instances served.
func (s *Source) Set(insts ...discovery.Instance) {
	s.mu.Lock()
	s.insts = slices.Clone(insts)
	s.mu.Unlock()
}

// Fail makes reads fail with err (nil: succeed again).
func (s *Source) Fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Reads counts the reads so far.
func (s *Source) Reads() int64 { return s.reads.Load() }

// Instances implements discovery.Source: the instances of service.
func (s *Source) Instances(_ context.Context, service string) ([]discovery.Instance, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	var out []discovery.Instance
	for _, in := range s.insts {
		if service == "" || in.Service == service {
			out = append(out, in)
		}
	}
	return out, nil
}

// Instance is a routable instance of service with id and weight whose
// lease ends in an hour from now.
func Instance(service, id string, weight int, now time.Time) discovery.Instance {
	return discovery.Instance{Service: service, ID: id, URL: "http://" + id + ".invalid", Weight: weight,
		Health: discovery.Healthy, TTL: discovery.Duration(time.Hour), RegisteredAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// Endpoint is a real HTTP health endpoint (an httptest server) answering
// 200 while healthy and 503 otherwise; it counts the probes it received.
type Endpoint struct {
	*httptest.Server
	healthy atomic.Bool
	probes  atomic.Int64
}

// NewEndpoint starts a healthy endpoint, closed at the test's end.
func NewEndpoint(t interface{ Cleanup(func()) }) *Endpoint {
	e := &Endpoint{}
	e.healthy.Store(true)
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.probes.Add(1)
		if !e.healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(e.Close)
	return e
}

// SetHealthy switches the endpoint's answer.
func (e *Endpoint) SetHealthy(ok bool) { e.healthy.Store(ok) }

// Probes counts the requests received.
func (e *Endpoint) Probes() int64 { return e.probes.Load() }

// HealthURL is the endpoint's health URL.
func (e *Endpoint) HealthURL() string { return e.URL + "/health" }
