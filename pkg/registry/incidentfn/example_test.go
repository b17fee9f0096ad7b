package incidentfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// The incident-manager built from ports whose configuration is the
// repository's config/ (config/incidents maps an SLO page on payments to
// SEV1), invoked through its function URL as Lambda would: the alert opens
// an incident and its change is published on the bus.
func Example() {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	catalog, _ := events.NewCatalog()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus := &bustest.Recorder{}
	ports := wiring.Ports{Store: memory.New(memory.Config{}), Bus: bus, Catalog: catalog, Logger: quiet,
		Now: func() time.Time { return now }, Config: wiring.DirConfig("../../../config")}
	fn, err := incidentfn.Build(ports)
	if err != nil {
		fmt.Println(err)
		return
	}
	body := `{"id":"a-1","title":"payments: error budget burning","service":"payments","source":"slo","sourceSeverity":"page","dedupKey":"slo/payments/page"}`
	req, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/incidents", "body": body, "isBase64Encoded": false,
		"headers":        map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{"http": map[string]string{"method": "POST", "path": "/incidents"}}})
	out, err := lambda.NewInvoker(fn, adapter.WithLogger(quiet), adapter.WithValidator(catalog)).Invoke(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	_ = json.Unmarshal(out, &resp)
	var r struct {
		Outcome  string `json:"outcome"`
		Incident struct {
			Severity, State string
		} `json:"incident"`
	}
	_ = json.Unmarshal([]byte(resp.Body), &r)
	fmt.Println(resp.StatusCode, r.Outcome, r.Incident.Severity, r.Incident.State)
	fmt.Println(bus.Types())
	// Output:
	// 200 opened SEV1 triggered
	// [dev.cogniforge.incident.triggered.v1]
}
