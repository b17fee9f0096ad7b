package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	"github.com/aws/aws-lambda-go/events"
)

// TestConcurrentLoad pushes 21,000 events (7,000 per path; -short: 600)
// through every HTTP path from 32 goroutines over real loopback connections. The sdk-go receive handler
// deadlocks under this kind of concurrency (cloudevents/sdk-go#1224); a stall
// here fails the test at the deadline instead of hanging CI.
func TestConcurrentLoad(t *testing.T) {
	total := 7000
	if testing.Short() {
		total = 200
	}
	const workers = 32
	const deadline = 60 * time.Second

	plain := httptest.NewServer(cehttp.NewHandler(faastest.Function(), faastest.Options()...))
	t.Cleanup(plain.Close)

	inv := lambda.NewInvoker(faastest.Function(), faastest.Options()...)
	urlSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out, err := inv.Invoke(r.Context(), payload)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(urlSrv.Close)

	var urlReq events.LambdaFunctionURLRequest
	if err := json.Unmarshal(faastest.LambdaTestdata(t, "lambda-urls-request.json"), &urlReq); err != nil {
		t.Fatal(err)
	}

	paths := []struct {
		name string
		url  string
		send func(c *http.Client, url string, i int) error
	}{
		{"NewHTTPHandler", plain.URL, sendBinary},
		{"FunctionsFramework", gcfServer(t), sendBinary},
		{"FunctionURL via Invoke", urlSrv.URL, func(c *http.Client, url string, i int) error {
			r := urlReq
			r.Headers = map[string]string{"content-type": cehttp.ContentTypeStructured}
			r.Body = faastest.StructuredJSON(t, faastest.CompletedEvent("u"+strconv.Itoa(i), faastest.RequestCompleted{Service: "s", Operation: "op"}))
			b, _ := json.Marshal(r)
			resp, err := c.Post(url, "application/json", strings.NewReader(string(b)))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var out events.LambdaFunctionURLResponse
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return err
			}
			if resp.StatusCode != 200 || out.StatusCode != 200 || !strings.Contains(out.Body, faastest.RecordedType) {
				return fmt.Errorf("status %d/%d body %s", resp.StatusCode, out.StatusCode, out.Body)
			}
			return nil
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			client := &http.Client{
				Timeout:   10 * time.Second,
				Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers},
			}
			defer client.CloseIdleConnections()
			var next, failed atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			done := make(chan struct{})
			start := time.Now()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1))
						if i > total {
							return
						}
						if err := p.send(client, p.url, i); err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, err.Error())
						}
					}
				}()
			}
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(deadline):
				t.Fatalf("stalled: %d of %d events sent after %v", next.Load(), total, deadline)
			}
			if failed.Load() > 0 {
				t.Fatalf("%d of %d failed, first: %v", failed.Load(), total, firstErr.Load())
			}
			t.Logf("%d events in %v (%.0f/s)", total, time.Since(start), float64(total)/time.Since(start).Seconds())
		})
	}
}

func sendBinary(c *http.Client, url string, i int) error {
	ev := faastest.CompletedEvent("e"+strconv.Itoa(i), faastest.RequestCompleted{Service: "s", Operation: "op", DurationMs: float64(i)})
	req, err := http.NewRequestWithContext(context.Background(), "POST", url, strings.NewReader(string(ev.Data())))
	if err != nil {
		return err
	}
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", ev.ID())
	req.Header.Set("Ce-Source", ev.Source())
	req.Header.Set("Ce-Type", ev.Type())
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Ce-Type") != faastest.RecordedType {
		return fmt.Errorf("status %d type %q", resp.StatusCode, resp.Header.Get("Ce-Type"))
	}
	return nil
}
