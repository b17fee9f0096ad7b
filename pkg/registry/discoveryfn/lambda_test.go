package discoveryfn_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/discoveryfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// As deployed: function URL payloads (POST, GET, DELETE) and the
// EventBridge Scheduler's event through the Lambda adapter.
func TestOnLambda(t *testing.T) {
	clk := clock.NewFake(time.Now())
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	rec := &bustest.Recorder{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fn, err := discoveryfn.Builder(func(k string) string {
		return map[string]string{discoveryfn.EnvFailThreshold: "1"}[k]
	})(wiring.Ports{Store: memory.New(memory.Config{Now: clk.Now}), Bus: rec, Catalog: catalog, Logger: quiet, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(quiet), adapter.WithValidator(catalog))
	ep := discoverytest.NewEndpoint(t)
	ep.SetHealthy(false)
	url := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": path, "body": body, "isBase64Encoded": false,
			"headers":        map[string]string{"content-type": "application/json"},
			"requestContext": map[string]any{"http": map[string]string{"method": method, "path": path}}})
		out, err := inv.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Body
	}
	if code, body := url("POST", "/instances", `{"service":"s","id":"a","url":"http://a","healthUrl":"`+ep.HealthURL()+`"}`); code != 200 {
		t.Fatalf("register: %d %s", code, body)
	}
	if code, body := url("POST", "/instances", `{"service":"s","id":"b","url":"http://b","weight":"heavy"}`); code != 400 {
		t.Fatalf("weight not a number: %d %s", code, body)
	}
	scheduled := `{"version":"0","id":"8e1b","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-11-23T14:05:00Z","region":"eu-west-1","resources":["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/health-checker"],"detail":{}}`
	if _, err := inv.Invoke(context.Background(), []byte(scheduled)); err != nil {
		t.Fatalf("scheduled run: %v", err)
	}
	if code, body := url("GET", "/instances/s", ""); code != 200 || !json.Valid([]byte(body)) {
		t.Fatalf("list: %d %s", code, body)
	} else {
		var v struct {
			Instances []struct {
				Health string `json:"health"`
			} `json:"instances"`
		}
		_ = json.Unmarshal([]byte(body), &v)
		if len(v.Instances) != 1 || v.Instances[0].Health != "unhealthy" {
			t.Fatalf("after the scheduled run: %s", body)
		}
	}
	if got := rec.Types(); len(got) != 1 || got[0] != events.TypeDiscoveryHealthChanged {
		t.Fatalf("published %v", got)
	}
	if code, body := url("DELETE", "/instances/s/a", ""); code != 200 {
		t.Fatalf("deregister: %d %s", code, body)
	}
}
