package platform

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
	return nil, fmt.Errorf("platform: EventBridge bus %q: not wired yet", name)
}
