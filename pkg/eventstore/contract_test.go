package eventstore_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/eventstore/eventstoretest"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func TestContractMemory(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return memory.New(memory.Config{Now: now})
	})
}

func TestContractBolt(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), Now: now, GroupCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestContractDynamoOnMoto runs the same suite on DynamoDB (moto): appends
// are TransactWriteItems with conditions, reads strongly consistent Queries.
func TestContractDynamoOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto")
	}
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	eventstoretest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return dynamotest.NewStore(t, db, dynamo.Config{Now: now})
	})
}
