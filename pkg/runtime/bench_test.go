package runtime_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/runtime"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/loadgen"
)

// BenchmarkRuntimeHTTP compares the local runtime (routing, the CloudEvents
// HTTP binding, the default middleware and validation against the real
// catalog, then a typed decode in the handler) with a bare net/http handler
// that only decodes the CloudEvent, side by side on loopback. Targets:
// runtime >= 30,000 events/s and runtime/bare >= 0.70.
func BenchmarkRuntimeHTTP(b *testing.B) {
	catalog, err := events.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sink := faas.Function{Name: "sink", Consumes: []string{events.TypeRequestCompleted},
		Triggers: []faas.Trigger{{Kind: faas.TriggerHTTP}},
		Handler: func(_ context.Context, e cloudevents.Event) (*cloudevents.Event, error) {
			var rc events.RequestCompleted
			return nil, e.DataAs(&rc)
		}}
	opts := []faas.Option{faas.WithLogger(quiet), faas.WithValidator(catalog)}
	rt, err := runtime.New(runtime.Config{Functions: []faas.Function{sink}, Store: memory.New(memory.Config{}), Logger: quiet,
		HTTPHandler: func(fn faas.Function) http.Handler { return faas.NewHTTPHandler(fn, opts...) }})
	if err != nil {
		b.Fatal(err)
	}
	ours := httptest.NewServer(rt.Handler())
	defer ours.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := cehttp.NewEventFromHTTPRequest(r); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer bare.Close()
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
		[2]func(context.Context) *http.Request{request(bare.URL), request(ours.URL + "/functions/sink")})
}
