package sqsdlq_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cogniforge/cogniforge/pkg/dlq"
	"github.com/cogniforge/cogniforge/pkg/dlq/sqsdlq"
)

// Redrive a function's dead letters back to its queue; poison messages stay.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := sqsdlq.New(sqsdlq.Config{Client: sqs.NewFromConfig(cfg), Function: "slo-aggregator",
		SourceURL: "https://sqs.us-east-1.amazonaws.com/123456789012/cogniforge-slo-aggregator",
		DLQURL:    "https://sqs.us-east-1.amazonaws.com/123456789012/cogniforge-slo-aggregator-dlq"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close(ctx)
	rep, err := dlq.Redrive(ctx, q)
	fmt.Println(len(rep.Redriven), len(rep.Poison), err)
}
