package localruntime_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/gateway"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/loadgen"
)

// BenchmarkRuntimeHTTP compares the local runtime (routing, the CloudEvents
// HTTP binding, the default middleware and validation against the real
// catalog; the function itself does nothing) with a bare net/http handler
// that only decodes the CloudEvent, side by side on loopback. Targets:
// runtime >= 30,000 events/s and runtime/bare >= 0.70.
func BenchmarkRuntimeHTTP(b *testing.B) {
	bare, ours := benchServers(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	body := `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12}`
	request := func(url string) func(ctx context.Context) *http.Request {
		return func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Id", "b-1")
			req.Header.Set("Ce-Source", "//bench")
			req.Header.Set("Ce-Type", events.TypeRequestCompleted)
			req.Header.Set("Content-Type", "application/json")
			return req
		}
	}
	loadgen.Paired(b, client, 512, 32, http.StatusAccepted, [2]string{"bare", "runtime"},
		[2]func(context.Context) *http.Request{request(bare), request(ours)})
}

// benchServers starts the two servers compared: a bare handler that only
// decodes the CloudEvent, and the runtime hosting a function that takes
// request.completed events (routing, binding, middleware, validation). It
// returns their URLs.
func benchServers(b *testing.B) (bare, runtimeURL string) {
	b.Helper()
	catalog, err := events.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sink := faas.Function{Name: "sink", Consumes: []string{events.TypeRequestCompleted},
		Triggers: []faas.Trigger{{Kind: faas.TriggerHTTP}},
		// The function does nothing: what is compared is what the runtime
		// adds (routing, binding, middleware, schema validation of the data)
		// to a handler that only decodes the CloudEvent.
		Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }}
	opts := []adapter.Option{adapter.WithLogger(quiet), adapter.WithValidator(catalog)}
	rt, err := localruntime.New(localruntime.Config{Functions: []faas.Function{sink}, Store: memory.New(memory.Config{}), Logger: quiet,
		HTTPHandler: func(fn faas.Function) http.Handler { return cehttp.NewHandler(fn, opts...) }})
	if err != nil {
		b.Fatal(err)
	}
	ours := httptest.NewServer(rt.Handler())
	b.Cleanup(ours.Close)
	bareSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := sdkhttp.NewEventFromHTTPRequest(r); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(bareSrv.Close)
	return bareSrv.URL, ours.URL + "/functions/sink"
}

// wrkScript posts one binary-mode request.completed CloudEvent per request.
const wrkScript = `wrk.method = "POST"
wrk.body = '{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Ce-Specversion"] = "1.0"
wrk.headers["Ce-Id"] = "w-1"
wrk.headers["Ce-Source"] = "//bench"
wrk.headers["Ce-Type"] = "dev.cogniforge.request.completed.v1"
`

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// wrk runs wrk (one thread, 32 connections) against url for d and returns
// requests/s; any non-2xx answer fails b.
func wrk(b *testing.B, script, url string, d time.Duration) float64 {
	b.Helper()
	out, err := exec.Command("wrk", "-t1", "-c32", "-d"+d.String(), "-s", script, url).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "Non-2xx") {
		b.Fatalf("wrk saw errors against %s:\n%s", url, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no Requests/sec in wrk output:\n%s", out)
	}
	rate, _ := strconv.ParseFloat(string(m[1]), 64)
	return rate
}

// BenchmarkRuntimeHTTPWrk is BenchmarkRuntimeHTTP with wrk (C, one thread)
// as the load generator, so less of the 2 cores goes to generating load:
// 2 s of the bare handler, then 2 s of the runtime, per iteration.
func BenchmarkRuntimeHTTPWrk(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Fatal("wrk is not installed: apt-get install wrk")
	}
	script := filepath.Join(b.TempDir(), "ce.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		b.Fatal(err)
	}
	bare, ours := benchServers(b)
	var sumBare, sumOurs float64
	n := 0
	for b.Loop() {
		sumBare += wrk(b, script, bare, 2*time.Second)
		sumOurs += wrk(b, script, ours, 2*time.Second)
		n++
	}
	b.ReportMetric(sumBare/float64(n), "bare-req/s")
	b.ReportMetric(sumOurs/float64(n), "runtime-req/s")
	b.ReportMetric(sumOurs/sumBare, "runtime/bare")
}

// BenchmarkGatewayHTTP is issue 9's throughput case: the event gateway as
// `cogniforge run` hosts it (validation against the catalog, publish on the
// embedded bus, an acknowledgement event in reply, structured mode) against
// a bare net/http handler that only decodes the same structured events, with
// the Go load generator (32 in flight) on the same two cores. The issue's
// target is gateway/bare >= 0.75.
func BenchmarkGatewayHTTP(b *testing.B) {
	rt, gw := gatewayRuntime(b)
	ours := httptest.NewServer(rt.Handler())
	b.Cleanup(ours.Close)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := sdkhttp.NewEventFromHTTPRequest(r); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(bare.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	body := `{"specversion":"1.0","id":"g-1","source":"//bench","type":"` + events.TypeRequestCompleted +
		`","datacontenttype":"application/json","data":{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12}}`
	request := func(url string) func(ctx context.Context) *http.Request {
		return func(ctx context.Context) *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/cloudevents+json")
			return req
		}
	}
	loadgen.Paired(b, client, 512, 32, http.StatusOK, [2]string{"bare", "gateway"},
		[2]func(context.Context) *http.Request{request(bare.URL), request(ours.URL + "/functions/" + gw.Name)})
}

// gatewayRuntime hosts the event gateway as `cogniforge run` does:
// validation against the catalog, publish on the runtime's bus, an
// acknowledgement in reply.
func gatewayRuntime(b *testing.B) (*localruntime.Runtime, faas.Function) {
	b.Helper()
	catalog, err := events.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var rt *localruntime.Runtime
	gw, err := gateway.New(gateway.Config{Publisher: busFunc(func(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
		return rt.Publish(ctx, evs)
	}), Catalog: catalog, Acknowledge: true})
	if err != nil {
		b.Fatal(err)
	}
	opts := []adapter.Option{adapter.WithLogger(quiet), adapter.WithValidator(catalog)}
	rt, err = localruntime.New(localruntime.Config{Functions: []faas.Function{gw}, Store: memory.New(memory.Config{}), Logger: quiet,
		HTTPHandler: func(fn faas.Function) http.Handler { return cehttp.NewHandler(fn, opts...) }})
	if err != nil {
		b.Fatal(err)
	}
	return rt, gw
}

// busFunc adapts a function to bus.Publisher.
type busFunc func(ctx context.Context, evs []cloudevents.Event) ([]error, error)

func (f busFunc) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	return f(ctx, evs)
}

// BenchmarkGatewayServe is BenchmarkGatewayHTTP's gateway request served in
// process (no sockets, no load generator): its ns/op and allocs/op are
// the gateway's own cost per request, steady where the loopback throughput
// of a shared 2-core machine is not, so a change to the path can be judged
// by them before the paired run confirms it.
func BenchmarkGatewayServe(b *testing.B) {
	rt, gw := gatewayRuntime(b)
	h := rt.Handler()
	body := `{"specversion":"1.0","id":"g-1","source":"//bench","type":"` + events.TypeRequestCompleted +
		`","datacontenttype":"application/json","data":{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12}}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/functions/"+gw.Name, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/cloudevents+json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
