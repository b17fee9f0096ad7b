package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	t.Run("TransactCancellationReasons", func(t *testing.T) { testTransactCancellationReasons(t, db) })
	t.Run("TransactExpiredItems", func(t *testing.T) { testTransactExpiredItems(t, db) })
	// The fallback for endpoints that send no CancellationReasons: the same
	// contract, with moto's reasons taken away.
	t.Run("ContractWithoutCancellationReasons", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
			return dynamotest.NewStore(t, db, dynamo.Config{Now: now, Client: &txClient{Client: db, dropReasons: true}})
		})
	})
}

// txClient records what TransactWriteItems is asked and answers, and counts
// every request; with dropReasons it strips the CancellationReasons from
// cancellations, as an endpoint that does not send them would.
type txClient struct {
	dynamo.Client
	dropReasons bool

	mu        sync.Mutex
	calls     map[string]int
	cancelled []*types.TransactionCanceledException
	table     *string // of the last transaction
}

func (c *txClient) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
}

func (c *txClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.Client.GetItem(ctx, in, o...)
}

func (c *txClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.count("TransactWriteItems")
	c.mu.Lock()
	switch it := in.TransactItems[0]; {
	case it.Update != nil:
		c.table = it.Update.TableName
	case it.Put != nil:
		c.table = it.Put.TableName
	}
	c.mu.Unlock()
	out, err := c.Client.TransactWriteItems(ctx, in, o...)
	var exc *types.TransactionCanceledException
	if errors.As(err, &exc) {
		c.mu.Lock()
		c.cancelled = append(c.cancelled, exc)
		c.mu.Unlock()
		if c.dropReasons {
			stripped := *exc
			stripped.CancellationReasons = nil
			return nil, &stripped
		}
	}
	return out, err
}

// take returns the requests counted since the last take.
func (c *txClient) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = nil
	return calls
}

// testTransactCancellationReasons pins what the moto in use answers to a
// cancelled transaction: one reason per op, ConditionalCheckFailed where a
// condition failed, and the item for ops asking for it (ALL_OLD). If a moto
// upgrade drops them, Transact falls back to Gets (tested below) and this
// test says so.
func testTransactCancellationReasons(t *testing.T, db *dynamodb.Client) {
	c := &txClient{Client: db}
	s := dynamotest.NewStore(t, db, dynamo.Config{Client: c})
	ctx := context.Background()
	plain, plain2 := store.Key{Partition: "p", Sort: "plain"}, store.Key{Partition: "p", Sort: "plain2"}
	for _, key := range []store.Key{plain, plain2} {
		if _, err := s.Put(ctx, store.Item{Key: key, Value: []byte("x")}, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	c.take()
	err := s.Transact(ctx, []store.Op{
		{Kind: store.OpAdd, Item: store.Item{Key: store.Key{Partition: "p", Sort: "n"}}, Delta: 1},
		{Kind: store.OpCheck, Item: store.Item{Key: plain}, Cond: store.Condition{IfAbsent: true}},
		{Kind: store.OpAdd, Item: store.Item{Key: plain2}, Delta: 1},
	})
	if !errors.Is(err, store.ErrNotCounter) {
		t.Fatalf("err = %v, want ErrNotCounter", err)
	}
	if len(c.cancelled) != 1 {
		t.Fatalf("%d cancellations, want 1", len(c.cancelled))
	}
	var codes []string
	for _, r := range c.cancelled[0].CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if fmt.Sprint(codes) != "[None ConditionalCheckFailed ConditionalCheckFailed]" {
		t.Fatalf("CancellationReasons codes = %v, want [None ConditionalCheckFailed ConditionalCheckFailed]", codes)
	}
	if r := c.cancelled[0].CancellationReasons[2]; r.Item["v"] == nil {
		t.Fatalf("reason of the Add has no item (ALL_OLD): %+v", r)
	}
	if calls := c.take(); calls["GetItem"] != 0 {
		t.Fatalf("requests %v: the reasons should have made Gets unnecessary", calls)
	}
}

// testTransactExpiredItems counts what writing over expired items costs:
// one cancelled attempt, whose reasons carry the items, and one that
// replaces them; no reads. It also pins the layout of an expiring counter.
func testTransactExpiredItems(t *testing.T, db *dynamodb.Client) {
	c := &txClient{Client: db}
	clock := storetest.NewClock()
	s := dynamotest.NewStore(t, db, dynamo.Config{Client: c, Now: clock.Now})
	ctx := context.Background()
	ctr, plain := store.Key{Partition: "p", Sort: "ctr"}, store.Key{Partition: "p", Sort: "plain"}
	exp := clock.Now().Add(time.Minute + 500*time.Millisecond)
	ops := []store.Op{
		{Kind: store.OpAdd, Item: store.Item{Key: ctr, ExpiresAt: exp}, Delta: 2},
		{Kind: store.OpPut, Item: store.Item{Key: plain, Value: []byte("a"), ExpiresAt: exp}},
	}
	if err := s.Transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: c.tableOf(t), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "ctr"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"num": "2", "ver": "1", "exp": fmt.Sprint(exp.UnixNano()), "ttl": fmt.Sprint(exp.Unix() + 1)} {
		if got, ok := out.Item[name].(*types.AttributeValueMemberN); !ok || got.Value != want {
			t.Errorf("counter attribute %s = %#v, want N %s", name, out.Item[name], want)
		}
	}
	if calls := c.take(); calls["TransactWriteItems"] != 1 {
		t.Fatalf("fresh items took %v, want one TransactWriteItems", calls)
	}

	clock.Advance(2 * time.Minute)
	ops[0].Item.ExpiresAt, ops[1].Item.ExpiresAt = time.Time{}, time.Time{}
	if err := s.Transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if calls := c.take(); calls["TransactWriteItems"] != 2 || calls["GetItem"] != 0 {
		t.Fatalf("expired items took %v, want two TransactWriteItems and no GetItem", calls)
	}
	for key, want := range map[store.Key]string{ctr: "2", plain: "a"} {
		got, err := s.Get(ctx, key)
		if err != nil || string(got.Value) != want || got.Version != 1 || !got.ExpiresAt.IsZero() {
			t.Fatalf("Get(%v) = %+v, %v; want %q at version 1 without expiry", key, got, err, want)
		}
	}
}

// tableOf returns the table of the last transaction.
func (c *txClient) tableOf(t *testing.T) *string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.table == nil {
		t.Fatal("no transaction seen")
	}
	return c.table
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
