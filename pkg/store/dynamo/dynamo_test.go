package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// TestOnMoto runs everything that needs DynamoDB against one moto_server
// (starting one takes seconds); each test uses its own tables.
func TestOnMoto(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
	t.Run("Contract", func(t *testing.T) { testContract(t, db) })
	t.Run("CreateTableEnablesTTL", func(t *testing.T) { testCreateTableEnablesTTL(t, db) })
	t.Run("ItemLayout", func(t *testing.T) { testItemLayout(t, db) })
}

func testContract(t *testing.T, db *dynamodb.Client) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		// One table per subtest: moto is shared, state is not.
		return dynamotest.NewStore(t, db, dynamo.Config{Now: now})
	})
}

func testCreateTableEnablesTTL(t *testing.T, db *dynamodb.Client) {
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, db, "ttl-check", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Create-if-missing: a second call (an SDK retry, a rerun set-up) is fine.
	if err := dynamo.CreateTable(ctx, db, "ttl-check", 10*time.Second); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl-check")})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TimeToLiveDescription
	if d == nil || aws.ToString(d.AttributeName) != "ttl" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("TTL = %+v, want enabled on ttl", d)
	}
}

// testItemLayout pins the attribute layout that Terraform, TTL and other
// readers of the table depend on.
func testItemLayout(t *testing.T, db *dynamodb.Client) {
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, db, "layout", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock()
	s, err := dynamo.New(dynamo.Config{Client: db, Table: "layout", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	exp := clock.Now().Add(90*time.Second + 500*time.Millisecond)
	if _, err := s.Put(ctx, store.Item{Key: store.Key{Partition: "P", Sort: "S"}, Value: []byte("val"), ExpiresAt: exp}, store.Condition{}); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("layout"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "P"}, "sk": &types.AttributeValueMemberS{Value: "S"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ver": "1",
		"ttl": fmt.Sprint(exp.Unix() + 1), // rounded up: never deleted early
		"exp": fmt.Sprint(exp.UnixNano()),
	}
	for name, v := range want {
		got, ok := out.Item[name].(*types.AttributeValueMemberN)
		if !ok || got.Value != v {
			t.Errorf("attribute %s = %#v, want N %s", name, out.Item[name], v)
		}
	}
	if b, ok := out.Item["v"].(*types.AttributeValueMemberB); !ok || string(b.Value) != "val" {
		t.Errorf("attribute v = %#v, want B val", out.Item["v"])
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := dynamo.New(dynamo.Config{MaxRaceRetries: -1}); err == nil {
		t.Fatal("empty config accepted")
	}
}
