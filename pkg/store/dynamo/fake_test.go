package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
)

// fakeClient fails every call with err, counting the calls.
type fakeClient struct {
	err   error
	calls int
	get   *dynamodb.GetItemOutput
}

func (f *fakeClient) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.calls++
	if f.get != nil {
		return f.get, nil
	}
	return nil, f.err
}

func (f *fakeClient) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.calls++
	return nil, f.err
}

func (f *fakeClient) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.calls++
	return nil, f.err
}

func (f *fakeClient) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.calls++
	return nil, f.err
}

func (f *fakeClient) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.calls++
	return nil, f.err
}

var _ dynamo.Client = (*fakeClient)(nil)

func TestServiceErrorsAreWrapped(t *testing.T) {
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	f := &fakeClient{err: throttled}
	s, err := dynamo.New(dynamo.Config{Client: f, Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := store.Key{Partition: "p", Sort: "s"}
	checks := map[string]error{}
	_, checks["Get"] = s.Get(ctx, key)
	_, checks["Put"] = s.Put(ctx, store.Item{Key: key}, store.Condition{})
	_, checks["PutIfAbsent"] = s.Put(ctx, store.Item{Key: key}, store.Condition{IfAbsent: true})
	_, checks["PutIfVersion"] = s.Put(ctx, store.Item{Key: key}, store.Condition{IfVersion: 1})
	checks["Delete"] = s.Delete(ctx, key, store.Condition{IfVersion: 1})
	_, checks["Add"] = s.Add(ctx, key, 1)
	_, checks["Query"] = s.Query(ctx, "p", "", 0)
	for op, err := range checks {
		var pte *types.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) || errors.Is(err, store.ErrConditionFailed) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s err = %v, want the service error wrapped, not a store outcome", op, err)
		}
	}
}

// A condition that keeps failing while the item keeps looking absent is a
// race that never settles: bounded retries, then ErrRace.
func TestRaceRetriesAreBounded(t *testing.T) {
	f := &fakeClient{err: &types.ConditionalCheckFailedException{Message: aws.String("no")}, get: &dynamodb.GetItemOutput{}}
	s, err := dynamo.New(dynamo.Config{Client: f, Table: "t", MaxRaceRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := store.Key{Partition: "p", Sort: "s"}
	if _, err := s.Put(ctx, store.Item{Key: key}, store.Condition{}); !errors.Is(err, dynamo.ErrRace) {
		t.Fatalf("Put err = %v, want ErrRace", err)
	}
	if f.calls != 6 { // update + create per attempt
		t.Fatalf("Put made %d calls, want 6", f.calls)
	}
	f.calls = 0
	if _, err := s.Add(ctx, key, 1); !errors.Is(err, dynamo.ErrRace) {
		t.Fatalf("Add err = %v, want ErrRace", err)
	}
	if f.calls != 6 { // update + get per attempt
		t.Fatalf("Add made %d calls, want 6", f.calls)
	}
}

func TestExpiryOutOfRange(t *testing.T) {
	f := &fakeClient{}
	s, _ := dynamo.New(dynamo.Config{Client: f, Table: "t"})
	for _, at := range []time.Time{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, err := s.Put(context.Background(), store.Item{Key: store.Key{Partition: "p", Sort: "s"}, ExpiresAt: at}, store.Condition{})
		if !errors.Is(err, dynamo.ErrExpiryRange) {
			t.Errorf("ExpiresAt %v err = %v, want ErrExpiryRange", at, err)
		}
	}
	if f.calls != 0 {
		t.Fatalf("out-of-range put reached DynamoDB")
	}
}

func (f *fakeClient) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.calls++
	return nil, f.err
}
