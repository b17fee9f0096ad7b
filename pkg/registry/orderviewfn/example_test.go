package orderviewfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/orderviewfn"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func sqsRecord(id, event string) string {
	b, _ := json.Marshal(event)
	return fmt.Sprintf(`{"messageId":%q,"receiptHandle":"r","body":%s,"attributes":{},"messageAttributes":{},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:eu-west-1:123456789012:order-query","awsRegion":"eu-west-1"}`, id, b)
}

func sagaEvent(id, typ, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"cogniforge/saga/order-fulfillment","type":%q,"time":"2026-12-03T10:00:00Z","datacontenttype":"application/json","correlationid":"o-7","subject":"o-7","data":%s}`, id, typ, data)
}

// The order-query function invoked as Lambda would: an SQS batch of saga
// events (one of them not a saga event, failed into batchItemFailures),
// then GET /orders?status=compensated through its function URL.
func Example() {
	now := time.Date(2026, 12, 3, 10, 0, 1, 0, time.UTC)
	catalog, _ := events.NewCatalog()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ports := wiring.Ports{Store: memory.New(memory.Config{}), Catalog: catalog, Logger: quiet, Now: func() time.Time { return now }}
	fn, err := orderviewfn.Build(ports)
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(quiet), adapter.WithValidator(catalog))
	batch := `{"Records":[` + strings.Join([]string{
		sqsRecord("m1", sagaEvent("e1", events.TypeSagaStarted, `{"sagaId":"o-7","saga":"order-fulfillment","steps":["inventory","payment"],"input":{"orderId":"o-7","customerId":"c-3","items":[{"sku":"a","quantity":1}]}}`)),
		sqsRecord("m2", sagaEvent("e2", events.TypeSagaCompensated, `{"sagaId":"o-7","saga":"order-fulfillment","failedStep":"payment","error":{"name":"Saga.BusinessError","message":"card declined"},"compensatedSteps":["inventory"]}`)),
		sqsRecord("m3", `{"specversion":"1.0","id":"x","source":"//checkout","type":"dev.cogniforge.request.completed.v1","time":"2026-12-03T10:00:00Z","datacontenttype":"application/json","correlationid":"x","data":{"service":"checkout","operation":"GET /","status":"ok","durationMs":1}}`),
	}, ",") + `]}`
	out, err := inv.Invoke(context.Background(), []byte(batch))
	fmt.Println(string(out), err)

	req := `{"version":"2.0","rawPath":"/orders","rawQueryString":"status=compensated","headers":{},"requestContext":{"http":{"method":"GET","path":"/orders"}},"isBase64Encoded":false}`
	out, err = inv.Invoke(context.Background(), []byte(req))
	if err != nil {
		fmt.Println(err)
		return
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	_ = json.Unmarshal(out, &resp)
	var list struct {
		Orders []struct {
			OrderID, CustomerID, Status, FailedStep, Error string
		} `json:"orders"`
	}
	_ = json.Unmarshal([]byte(resp.Body), &list)
	fmt.Println(resp.StatusCode, list.Orders)
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":"m3"}]} <nil>
	// 200 [{o-7 c-3 compensated payment Saga.BusinessError}]
}
