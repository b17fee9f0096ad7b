package lambda_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"

	"github.com/aws/aws-lambda-go/events"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/test/loadgen"
)

// benchSQSPayload is an SQS batch of 10 request.completed CloudEvents built on
// aws-lambda-go's sample record.
func benchSQSPayload(b *testing.B) []byte {
	return sqsSample(b, 10, func(i int) string {
		return faastest.StructuredJSON(b, faastest.CompletedEvent("bench-"+strconv.Itoa(i), faastest.RequestCompleted{
			Service: "checkout", Operation: "POST /orders", Status: "ok", DurationMs: 12.5 + float64(i),
		}))
	}, nil)
}

var sink faastest.RequestCompleted

// typedHandler is what a business function does with the event: decode its data.
func typedHandler(_ context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	var d faastest.RequestCompleted
	if err := ev.DataAs(&d); err != nil {
		return nil, err
	}
	sink = d
	return nil, nil
}

// BenchmarkSQSBatch compares, for the same 10-event batch, the Invoker (payload
// detection, decoding, Logging/Recover/Timeout middleware, batch response) with
// the plain decode a hand-written Lambda would do.
func BenchmarkSQSBatch(b *testing.B) {
	payload := benchSQSPayload(b)
	fn := faas.Function{Name: "bench", Handler: typedHandler}
	b.Run("lambda.Invoker", func(b *testing.B) {
		inv := lambda.NewInvoker(fn, adapter.WithLogger(faastest.QuietLogger()))
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			out, err := inv.Invoke(ctx, payload)
			if err != nil || len(out) != len(`{"batchItemFailures":[]}`) {
				b.Fatalf("%s %v", out, err)
			}
		}
	})
	b.Run("lambda.Invoker+validator", func(b *testing.B) {
		inv := lambda.NewInvoker(fn, adapter.WithLogger(faastest.QuietLogger()), adapter.WithValidator(faastest.Validator{}))
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := inv.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		plain := plainSQS(b, ctx, payload)
		for b.Loop() {
			plain()
		}
	})
}

// BenchmarkTracing measures the per-event cost of the Tracing middleware with
// an SDK provider and no exporter (the OTEL_TRACES_EXPORTER=none setup).
func BenchmarkTracing(b *testing.B) {
	ev := faastest.CompletedEvent("t1", faastest.RequestCompleted{Service: "s"})
	ev.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	noop := func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	for _, c := range []struct {
		name string
		h    faas.Handler
	}{
		{"off", noop},
		{"on", faas.Chain(noop, middleware.Tracing(tp))},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.h(ctx, ev)
			}
		})
	}
}

// BenchmarkHTTPLoopback compares NewHTTPHandler (validation + default
// middleware) with a bare net/http handler that only decodes the CloudEvent,
// both behind a real loopback server, 32 requests in flight (GOMAXPROCS x
// SetParallelism).
func BenchmarkHTTPLoopback(b *testing.B) {
	fn := faas.Function{Name: "bench", Handler: typedHandler}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := sdkhttp.NewEventFromHTTPRequest(r)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		_ = ev
		w.WriteHeader(http.StatusAccepted)
	})
	body := `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12.5}`
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", bare},
		{"faas", cehttp.NewHandler(fn, adapter.WithLogger(faastest.QuietLogger()), adapter.WithValidator(faastest.Validator{}))},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.SetParallelism(16)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
					req.Header.Set("Ce-Specversion", "1.0")
					req.Header.Set("Ce-Id", "b-"+strconv.Itoa(i))
					req.Header.Set("Ce-Source", "/bench")
					req.Header.Set("Ce-Type", faastest.CompletedType)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}

// pairedCPU runs a and b alternately in blocks of n calls on one locked OS
// thread and reports the thread CPU time per call of each and their ratio.
// Interleaving cancels the load drift of a shared machine that makes
// sequential sub-benchmarks incomparable.
func pairedCPU(bm *testing.B, n int, nameA, nameB string, a, b func()) {
	pairedCPUBy(bm, threadCPU, n, nameA, nameB, a, b)
}

// pairedCPUBy is pairedCPU measured with cpu (threadCPU or processCPU).
func pairedCPUBy(bm *testing.B, threadCPU func() time.Duration, n int, nameA, nameB string, a, b func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ta, tb time.Duration
	calls := 0
	for bm.Loop() {
		t0 := threadCPU()
		for range n {
			a()
		}
		t1 := threadCPU()
		for range n {
			b()
		}
		t2 := threadCPU()
		ta += t1 - t0
		tb += t2 - t1
		calls += n
	}
	bm.ReportMetric(float64(ta.Nanoseconds())/float64(calls), nameA+"-cpu-ns/call")
	bm.ReportMetric(float64(tb.Nanoseconds())/float64(calls), nameB+"-cpu-ns/call")
	bm.ReportMetric(float64(ta)/float64(tb), nameA+"/"+nameB)
}

// plainSQS is the reference side of the paired SQS benchmarks: the batch
// decoded with encoding/json and each body handed to typedHandler.
func plainSQS(b *testing.B, ctx context.Context, payload []byte) func() {
	return func() {
		var in events.SQSEvent
		if err := json.Unmarshal(payload, &in); err != nil {
			b.Fatal(err)
		}
		for _, r := range in.Records {
			var ev cloudevents.Event
			if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
				b.Fatal(err)
			}
			if _, err := typedHandler(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSQSBatchPaired is BenchmarkSQSBatch's lambda.Invoker vs plain,
// interleaved and measured in thread CPU time.
func BenchmarkSQSBatchPaired(b *testing.B) {
	payload := benchSQSPayload(b)
	inv := lambda.NewInvoker(faas.Function{Name: "bench", Handler: typedHandler}, adapter.WithLogger(faastest.QuietLogger()))
	ctx := context.Background()
	pairedCPU(b, 5, "faas", "plain", func() {
		if _, err := inv.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}, plainSQS(b, ctx, payload))
}

// BenchmarkSQSBatchHandlerPaired is BenchmarkSQSBatchPaired for a function
// with a BatchHandler: every event still runs through the per-event chain,
// concurrently, and the batch handler is called once. The chains run on
// other threads, so it measures the CPU time of the whole process (the
// test binary is otherwise idle), not the calling thread's.
func BenchmarkSQSBatchHandlerPaired(b *testing.B) {
	payload := benchSQSPayload(b)
	fn := faas.Function{Name: "bench", Handler: typedHandler, Batch: func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		out := make([]faas.Result, len(evs))
		for i := range evs {
			out[i].Event, out[i].Err = typedHandler(ctx, evs[i])
		}
		return out
	}}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(faastest.QuietLogger()))
	ctx := context.Background()
	pairedCPUBy(b, processCPU, 5, "faas", "plain", func() {
		if _, err := inv.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}, plainSQS(b, ctx, payload))
}

// BenchmarkTracingPaired reports the per-event CPU cost of the Tracing
// middleware (SDK provider, no exporter) against the bare handler.
func BenchmarkTracingPaired(b *testing.B) {
	ev := faastest.CompletedEvent("t1", faastest.RequestCompleted{Service: "s"})
	ev.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	noop := func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	traced := faas.Chain(noop, middleware.Tracing(tp))
	ctx := context.Background()
	pairedCPU(b, 200, "on", "off", func() { _, _ = traced(ctx, ev) }, func() { _, _ = noop(ctx, ev) })
}

// BenchmarkHTTPLoopbackPaired alternates blocks of 256 requests (16 in
// flight) between the bare handler and NewHTTPHandler (validation + default
// middleware) on loopback servers and reports each one's throughput and
// faas/bare as a fraction (target >= 0.70).
func BenchmarkHTTPLoopbackPaired(b *testing.B) {
	fn := faas.Function{Name: "bench", Handler: typedHandler}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := sdkhttp.NewEventFromHTTPRequest(r); err != nil {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bare.Close()
	ours := httptest.NewServer(cehttp.NewHandler(fn, adapter.WithLogger(faastest.QuietLogger()), adapter.WithValidator(faastest.Validator{})))
	defer ours.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	body := `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12.5}`
	request := func(url string) func(ctx context.Context) *http.Request {
		return func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Id", "b-1")
			req.Header.Set("Ce-Source", "/bench")
			req.Header.Set("Ce-Type", faastest.CompletedType)
			req.Header.Set("Content-Type", "application/json")
			return req
		}
	}
	loadgen.Paired(b, client, 256, 16, http.StatusAccepted, [2]string{"bare", "faas"},
		[2]func(context.Context) *http.Request{request(bare.URL), request(ours.URL)})
}
