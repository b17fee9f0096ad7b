package awschaos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/awschaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// invocationContext runs one invocation of a function with fault and
// returns the context its handler saw.
func invocationContext(t *testing.T, fault chaos.Fault) context.Context {
	t.Helper()
	fault.Function, fault.Kind, fault.ExpiresAt = "payment", chaos.KindDeny, time.Now().Add(time.Hour)
	inj, err := chaos.New(chaos.Config{Function: "payment", Source: chaos.Static(chaos.Document{Faults: []chaos.Fault{fault}})})
	if err != nil {
		t.Fatal(err)
	}
	var seen context.Context
	ev := cloudevents.New()
	ev.SetID("1")
	ev.SetSource("//t")
	ev.SetType("t")
	_, err = inj.Middleware()(func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
		seen = ctx
		return nil, nil
	})(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// Against DynamoDB and SSM in moto: the denied service fails at once as
// unavailable (or as a partition), the other service answers.
func TestDenyServices(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	awschaos.Instrument(&cfg)
	ddb, params := dynamodb.NewFromConfig(cfg), ssm.NewFromConfig(cfg)

	ctx := invocationContext(t, chaos.Fault{ID: "ddb-down", Services: []string{"DynamoDB"}})
	_, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailable" || faas.ErrorName(err) != chaos.ErrUnavailable {
		t.Fatalf("denied DynamoDB call: %v", err)
	}
	if _, err := params.DescribeParameters(ctx, &ssm.DescribeParametersInput{}); err != nil {
		t.Fatalf("SSM call was denied too: %v", err)
	}
	if _, err := ddb.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("a call outside the invocation was denied: %v", err)
	}

	pctx, cancel := context.WithTimeout(invocationContext(t, chaos.Fault{ID: "ssm-cut", Services: []string{"ssm"}, DenyMode: chaos.DenyPartition}), 50*time.Millisecond)
	defer cancel()
	_, err = params.DescribeParameters(pctx, &ssm.DescribeParametersInput{})
	var pe *chaos.PartitionError
	if !errors.As(err, &pe) {
		t.Fatalf("partitioned SSM call: %v", err)
	}
}
