package wiring

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/bus/eventbridge"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
)

func dynamoStore(cfg aws.Config, table string) (store.Store, error) {
	s, err := dynamo.New(dynamo.Config{Client: dynamodb.NewFromConfig(cfg), Table: table})
	if err != nil {
		return nil, fmt.Errorf("platform: DynamoDB store: %w", err)
	}
	return s, nil
}

func eventBridgeBus(cfg aws.Config, name string) (bus.Publisher, error) {
	p, err := eventbridge.New(eventbridge.Config{Client: awseb.NewFromConfig(cfg), EventBusName: name})
	if err != nil {
		return nil, fmt.Errorf("platform: EventBridge bus %q: %w", name, err)
	}
	return p, nil
}
