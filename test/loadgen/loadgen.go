// Package loadgen sends bounded bursts of HTTP requests to a server on this
// machine, for benchmarks that compare handlers side by side and for load
// tests that must notice a hang. Every burst is bounded in count and time.
package loadgen

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Burst sends n requests built by newReq from inFlight goroutines and
// returns how long they took. A transport error or a status other than want
// fails tb; so does a burst still running when ctx ends (a hang).
func Burst(ctx context.Context, tb testing.TB, client *http.Client, n, inFlight int, want int, newReq func(ctx context.Context) *http.Request) time.Duration {
	tb.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Bool
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && !failed.Load() {
				resp, err := client.Do(newReq(ctx))
				if err != nil {
					failed.Store(true)
					tb.Errorf("loadgen: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					failed.Store(true)
					tb.Errorf("loadgen: status %d, want %d", resp.StatusCode, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// Paired alternates bursts of block requests between a reference server and
// a candidate for as long as b runs, so machine noise hits both alike, and
// reports each one's requests/s and candidate/reference as a fraction.
func Paired(b *testing.B, client *http.Client, block, inFlight, want int, names [2]string, newReq [2]func(ctx context.Context) *http.Request) {
	b.Helper()
	ctx := context.Background()
	Burst(ctx, b, client, block, inFlight, want, newReq[0]) // warm connections
	Burst(ctx, b, client, block, inFlight, want, newReq[1])
	var took [2]time.Duration
	n := 0
	for b.Loop() {
		took[0] += Burst(ctx, b, client, block, inFlight, want, newReq[0])
		took[1] += Burst(ctx, b, client, block, inFlight, want, newReq[1])
		n += block
	}
	b.ReportMetric(float64(n)/took[0].Seconds(), names[0]+"-req/s")
	b.ReportMetric(float64(n)/took[1].Seconds(), names[1]+"-req/s")
	b.ReportMetric(took[0].Seconds()/took[1].Seconds(), names[1]+"/"+names[0])
}
