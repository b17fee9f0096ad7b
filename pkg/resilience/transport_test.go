package resilience_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/resilience"
)

func TestTransport(t *testing.T) {
	for _, tc := range []struct {
		name      string
		method    string
		key       string
		answers   []int
		wantCalls int64
		wantCode  int
		wantSlept time.Duration
	}{
		{"503 with Retry-After then 200", http.MethodGet, "", []int{503, 200}, 2, 200, 3 * time.Second},
		{"429 then 200", http.MethodPut, "", []int{429, 200}, 2, 200, 3 * time.Second},
		{"4xx is an answer", http.MethodGet, "", []int{404, 200}, 1, 404, 0},
		{"POST not retried", http.MethodPost, "", []int{503, 200}, 1, 503, 0},
		{"POST with an idempotency key retried", http.MethodPost, "k-1", []int{503, 200}, 2, 200, 3 * time.Second},
		{"last 5xx returned as a response", http.MethodGet, "", []int{502, 502, 502, 502}, 3, 502, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if b, _ := io.ReadAll(r.Body); r.Method != http.MethodGet && string(b) != "payload" {
					t.Errorf("attempt %d: body %q", n, b)
				}
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(tc.answers[n-1])
			}))
			defer srv.Close()
			fake := clock.NewFake(time.Now())
			p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "shop-api", Idempotent: true, Clock: fake, Rand: maxJitter})
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: &resilience.Transport{Policy: p}}
			req, _ := http.NewRequestWithContext(context.Background(), tc.method, srv.URL, strings.NewReader("payload"))
			if tc.method == http.MethodGet {
				req, _ = http.NewRequest(tc.method, srv.URL, nil)
			}
			if tc.key != "" {
				req.Header.Set("Idempotency-Key", tc.key)
			}
			begin := fake.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || calls.Load() != tc.wantCalls || fake.Now().Sub(begin) != tc.wantSlept {
				t.Errorf("status %d after %d calls, slept %s; want %d, %d, %s", resp.StatusCode, calls.Load(), fake.Now().Sub(begin), tc.wantCode, tc.wantCalls, tc.wantSlept)
			}
		})
	}
}
