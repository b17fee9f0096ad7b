package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

var t0 = time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)

// message is a valid trigger message; tests change what they need.
func message() notify.Message {
	return notify.Message{
		Key:        notify.MessageKey("INC-42", 1, "alice", "ops", notify.ActionTrigger),
		Action:     notify.ActionTrigger,
		IncidentID: "INC-42",
		Title:      "checkout availability burning budget",
		Service:    "checkout",
		Severity:   notify.SEV1,
		Summary:    "error rate 4% over 5m, budget burns 14.4x",
		URL:        "https://cogniforge.example/incidents/INC-42",
		Target:     "alice",
		Time:       t0,
		Details:    map[string]string{"slo": "checkout-availability"},
	}
}

// server is a real HTTP endpoint that answers with the statuses of
// script in turn (the last one repeats) and counts requests.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	count  atomic.Int64
}

// newServer starts a server whose handler h decides the answer for the
// n-th request (counted from 1) after the body has been recorded.
func newServer(t *testing.T, h func(n int64, w http.ResponseWriter, r *http.Request, body []byte)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.count.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.heads = append(s.heads, r.Header.Clone())
		s.mu.Unlock()
		h(n, w, r, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// statuses answers the n-th request with codes[n-1], repeating the last.
func statuses(codes ...int) func(int64, http.ResponseWriter, *http.Request, []byte) {
	return func(n int64, w http.ResponseWriter, _ *http.Request, _ []byte) {
		i := int(n) - 1
		if i >= len(codes) {
			i = len(codes) - 1
		}
		w.WriteHeader(codes[i])
	}
}

// recorder keeps every outcome reported.
type recorder struct {
	mu      sync.Mutex
	results []notify.Result
	seen    chan struct{} // one token per outcome, for tests that wait
}

func (r *recorder) outcome(_ context.Context, _ notify.Message, res notify.Result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
}

// wait returns once n more outcomes have been reported.
func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-r.seen:
		case <-timeout:
			t.Fatalf("fewer than %d outcomes in 10s", n)
		}
	}
}

func (r *recorder) all() []notify.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Result(nil), r.results...)
}

// fixture is a Notifier on a fake clock and a memory store, recording
// outcomes; the jitter is 1 so waits are the exponential caps exactly.
type fixture struct {
	clock *clock.Fake
	store *memory.Store
	rec   *recorder
	n     *notify.Notifier
}

func newFixture(t *testing.T, tune func(*notify.Config)) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(t0), rec: &recorder{seen: make(chan struct{}, 128)}}
	f.store = memory.New(memory.Config{Now: f.clock.Now})
	cfg := notify.Config{Store: f.store, Clock: f.clock, Outcome: f.rec.outcome, Jitter: func() float64 { return 1 },
		AttemptTimeout: 5 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.n = n
	return f
}

func webhookChannel(t *testing.T, name, url string, now func() time.Time) notify.Channel {
	t.Helper()
	ch, err := notify.NewWebhook(notify.WebhookConfig{Name: name, URL: url, Secret: []byte("s3cret"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
