package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
)

// exampleTable stands in for *dynamodb.Client so the example runs without an
// endpoint: it keeps items by pk/sk and prints what the store writes. It does
// not evaluate expressions; the one condition it honours crudely is "the item
// must not exist", enough to show a refused create. The store's contract tests
// run against moto for the real thing.
type exampleTable struct {
	items map[string]map[string]types.AttributeValue
}

func (t *exampleTable) id(key map[string]types.AttributeValue) string {
	return key["pk"].(*types.AttributeValueMemberS).Value + "/" + key["sk"].(*types.AttributeValueMemberS).Value
}

func (t *exampleTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	id := t.id(in.Item)
	if _, exists := t.items[id]; exists && strings.Contains(aws.ToString(in.ConditionExpression), "attribute_not_exists(#pk)") {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	var attrs []string
	for _, name := range slices.Sorted(maps.Keys(in.Item)) {
		switch v := in.Item[name].(type) {
		case *types.AttributeValueMemberS:
			attrs = append(attrs, fmt.Sprintf("%s=%q", name, v.Value))
		case *types.AttributeValueMemberN:
			attrs = append(attrs, fmt.Sprintf("%s=%s", name, v.Value))
		case *types.AttributeValueMemberB:
			attrs = append(attrs, fmt.Sprintf("%s=<%d bytes>", name, len(v.Value)))
		}
	}
	fmt.Println("PutItem", aws.ToString(in.TableName), strings.Join(attrs, " "))
	t.items[id] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (t *exampleTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: t.items[t.id(in.Key)]}, nil
}

func (t *exampleTable) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("UpdateItem: not in this example")
}

func (t *exampleTable) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, errors.New("DeleteItem: not in this example")
}

func (t *exampleTable) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errors.New("Query: not in this example")
}

func (t *exampleTable) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errors.New("TransactWriteItems: not in this example")
}

// A function's main builds the store on a *dynamodb.Client (Config.Client);
// here a stand-in client shows the item layout of the package doc: the value
// in v, the version in ver, the expiry in exp (nanoseconds, what reads judge
// by) and ttl (seconds rounded up, for DynamoDB's TTL deletion).
func Example() {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st, err := dynamo.New(dynamo.Config{
		Client: &exampleTable{items: map[string]map[string]types.AttributeValue{}},
		Table:  "cogniforge",
		Now:    func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	lease := store.Item{
		Key:       store.Key{Partition: "lease#payments", Sort: "leader"},
		Value:     []byte("worker-7"),
		ExpiresAt: now.Add(30*time.Second + 500*time.Millisecond),
	}
	_, err = st.Put(ctx, lease, store.Condition{IfAbsent: true})
	fmt.Println("first create:", err)
	_, err = st.Put(ctx, lease, store.Condition{IfAbsent: true})
	fmt.Println("second create refused:", errors.Is(err, store.ErrConditionFailed))

	got, err := st.Get(ctx, lease.Key)
	fmt.Printf("%s v%d until %s %v\n", got.Value, got.Version, got.ExpiresAt.Format(time.RFC3339Nano), err)

	now = now.Add(time.Minute) // past the expiry, before DynamoDB's TTL sweep deletes it
	_, err = st.Get(ctx, lease.Key)
	fmt.Println("after expiry:", errors.Is(err, store.ErrNotFound))
	// Output:
	// PutItem cogniforge exp=1796126430500000000 pk="lease#payments" sk="leader" ttl=1796126431 v=<8 bytes> ver=1
	// first create: <nil>
	// second create refused: true
	// worker-7 v1 until 2026-12-01T12:00:30.5Z <nil>
	// after expiry: true
}
