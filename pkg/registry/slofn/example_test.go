package slofn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// sqsRecord wraps a structured CloudEvent as the bus rule → queue delivers
// it to the aggregator.
func sqsRecord(id, event string) string {
	b, _ := json.Marshal(event)
	return fmt.Sprintf(`{"messageId":%q,"receiptHandle":"r","body":%s,"attributes":{},"messageAttributes":{},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:eu-west-1:123456789012:slo-aggregator","awsRegion":"eu-west-1"}`, id, b)
}

func completed(id, at, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"//checkout","type":"dev.cogniforge.request.completed.v1","time":%q,"datacontenttype":"application/json","correlationid":%q,"data":%s}`, id, at, id, data)
}

// The aggregator and evaluator built from ports whose configuration is the
// repository's config/ (config/slos), invoked as Lambda would: an SQS batch
// in which one event is invalid and one too old for any window is answered
// with exactly those two in batchItemFailures (SQS keeps them, then
// dead-letters them); the valid one is counted and the evaluator sees it.
func Example() {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	catalog, _ := events.NewCatalog()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ports := wiring.Ports{Store: memory.New(memory.Config{Now: func() time.Time { return now }}), Bus: &bustest.Recorder{},
		Catalog: catalog, Logger: quiet, Now: func() time.Time { return now }, Config: wiring.DirConfig("../../../config")}
	agg, err := slofn.BuildAggregator(ports)
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := `{"Records":[` + strings.Join([]string{
		sqsRecord("m1", completed("e1", "2026-12-02T11:59:00Z", `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`)),
		sqsRecord("m2", completed("e2", "2026-12-02T11:59:00Z", `{"service":"checkout","status":"ok"}`)),
		sqsRecord("m3", completed("e3", "2026-09-01T00:00:00Z", `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`)),
	}, ",") + `]}`
	out, err := lambda.NewInvoker(agg, adapter.WithLogger(quiet), adapter.WithValidator(catalog)).Invoke(context.Background(), []byte(batch))
	fmt.Println(string(out), err)

	ev, err := slofn.BuildEvaluator(ports)
	if err != nil {
		fmt.Println(err)
		return
	}
	status, err := lambda.NewInvoker(ev, adapter.WithLogger(quiet), adapter.WithValidator(catalog)).Invoke(context.Background(),
		[]byte(`{"version":"2.0","rawPath":"/slos/checkout-availability","rawQueryString":"","headers":{},"requestContext":{"http":{"method":"GET","path":"/slos/checkout-availability"}},"isBase64Encoded":false}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	_ = json.Unmarshal(status, &resp)
	var s struct {
		SLO   string `json:"slo"`
		Good  int    `json:"good"`
		Total int    `json:"total"`
	}
	_ = json.Unmarshal([]byte(resp.Body), &s)
	fmt.Println(resp.StatusCode, s.SLO, s.Good, "of", s.Total)
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]} <nil>
	// 200 checkout-availability 1 of 1
}
