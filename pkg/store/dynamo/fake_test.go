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
	txIns []*dynamodb.TransactWriteItemsInput // every TransactWriteItems input
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
	checks["Transact"] = s.Transact(ctx, []store.Op{{Kind: store.OpAdd, Item: store.Item{Key: key}, Delta: 1}})
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
	late := store.Op{Kind: store.OpAdd, Item: store.Item{Key: store.Key{Partition: "p", Sort: "s"}, ExpiresAt: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, Delta: 1}
	if err := s.Transact(context.Background(), []store.Op{late}); !errors.Is(err, dynamo.ErrExpiryRange) || f.calls != 0 {
		t.Fatalf("out-of-range transaction err = %v after %d calls, want ErrExpiryRange and none", err, f.calls)
	}
}

func cancelledWith(codes ...string) *types.TransactionCanceledException {
	exc := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		exc.CancellationReasons = append(exc.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return exc
}

// How Transact reads cancellations it cannot get from moto: conflicts with
// other transactions are retried, each attempt under its own token, and
// codes it does not know are errors, not failed conditions.
func TestTransactCancellations(t *testing.T) {
	key := func(s string) store.Key { return store.Key{Partition: "p", Sort: s} }
	ops := []store.Op{
		{Kind: store.OpPut, Item: store.Item{Key: key("marker"), Value: []byte("m")}, Cond: store.Condition{IfAbsent: true}},
		{Kind: store.OpAdd, Item: store.Item{Key: key("count")}, Delta: 1},
	}
	tests := []struct {
		name      string
		exc       *types.TransactionCanceledException
		wantCalls int
		check     func(t *testing.T, err error)
	}{
		{"conflicts are retried, then ErrRace", cancelledWith("None", "TransactionConflict"), 3, func(t *testing.T, err error) {
			if !errors.Is(err, dynamo.ErrRace) {
				t.Fatalf("err = %v, want ErrRace", err)
			}
		}},
		{"a failed condition is final", cancelledWith("ConditionalCheckFailed", "TransactionConflict"), 1, func(t *testing.T, err error) {
			var txErr *store.TxError
			if !errors.As(err, &txErr) || len(txErr.Failed) != 1 || txErr.Failed[0] != 0 {
				t.Fatalf("err = %v, want TxError{Failed: [0]}", err)
			}
		}},
		{"an unknown code is an error", cancelledWith("None", "ThrottlingError"), 1, func(t *testing.T, err error) {
			var exc *types.TransactionCanceledException
			if !errors.As(err, &exc) || errors.Is(err, store.ErrConditionFailed) {
				t.Fatalf("err = %v, want the cancellation wrapped, not a failed condition", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeClient{err: tc.exc}
			s, err := dynamo.New(dynamo.Config{Client: f, Table: "t", MaxRaceRetries: 3})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s.Transact(context.Background(), ops))
			if f.calls != tc.wantCalls {
				t.Fatalf("%d calls, want %d", f.calls, tc.wantCalls)
			}
			tokens := map[string]bool{}
			for _, in := range f.txIns {
				tok := aws.ToString(in.ClientRequestToken)
				if tok == "" || len(tok) > 36 || tokens[tok] {
					t.Fatalf("ClientRequestToken %q: want a fresh one of at most 36 characters per attempt", tok)
				}
				tokens[tok] = true
			}
		})
	}
}

func (f *fakeClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.calls++
	f.txIns = append(f.txIns, in)
	return nil, f.err
}
