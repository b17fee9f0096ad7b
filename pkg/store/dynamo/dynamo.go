// Package dynamo is the DynamoDB store.Store: one table whose items are
//
//	pk  (S) partition key   = Key.Partition
//	sk  (S) sort key        = Key.Sort
//	v   (B) value           (plain items)
//	num (N) counter value   (counters, written by Add with UpdateItem ADD)
//	ver (N) version
//	exp (N) expiry, Unix nanoseconds: what reads and conditions judge by
//	ttl (N) expiry, Unix seconds rounded up: the table's TTL attribute
//
// DynamoDB deletes expired items lazily (often days later), so every read
// filters on exp and every condition treats an expired item as absent. All
// writes are single-item conditional writes, or one TransactWriteItems for
// Transact, so the guarantees of store.Store hold across Lambda instances;
// reads are strongly consistent.
//
// A Store is safe for concurrent use. The client is any Client, normally a
// *dynamodb.Client built by main.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/pkg/store"
)

var (
	_ store.Store  = (*Store)(nil)
	_ store.Seeker = (*Store)(nil)
)

// Client is the part of the DynamoDB API the store uses.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Config says which table to use through which client.
type Config struct {
	// Client talks to DynamoDB. Required.
	Client Client
	// Table is the table name. Required.
	Table string
	// Now is the clock expiry is judged by. Nil means time.Now.
	Now func() time.Time
	// MaxRaceRetries bounds how often a write that raced with an expiry or a
	// concurrent create is retried. Zero means 8.
	MaxRaceRetries int
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("dynamo: Client is required"))
	}
	if c.Table == "" {
		errs = append(errs, errors.New("dynamo: Table is required"))
	}
	if c.MaxRaceRetries < 0 {
		errs = append(errs, fmt.Errorf("dynamo: MaxRaceRetries %d is negative", c.MaxRaceRetries))
	}
	return errors.Join(errs...)
}

// Store is a store.Store on one DynamoDB table.
type Store struct {
	db      Client
	table   *string
	now     func() time.Time
	retries int
}

// New returns a Store on cfg.Table. The table must exist (see CreateTable).
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	retries := cfg.MaxRaceRetries
	if retries == 0 {
		retries = 8
	}
	return &Store{db: cfg.Client, table: aws.String(cfg.Table), now: now, retries: retries}, nil
}

// ErrRace is returned when a write kept racing with concurrent writers or
// expiry for more than MaxRaceRetries attempts. It is transient.
var ErrRace = errors.New("dynamo: write kept racing")

// ErrExpiryRange: an ExpiresAt that Unix nanoseconds (the exp attribute)
// cannot hold, i.e. outside 1678..2262.
var ErrExpiryRange = errors.New("dynamo: expiry out of range")

var (
	minExpiry = time.Unix(0, math.MinInt64)
	maxExpiry = time.Unix(0, math.MaxInt64)
)

// Expressions use placeholders for every name (ttl is a reserved word) and
// each request carries only the placeholders its expressions use, as
// DynamoDB rejects unused ones. No placeholder is a prefix of another.
var attrNames = map[string]string{
	"#pk": "pk", "#sk": "sk", "#val": "v", "#num": "num", "#ver": "ver", "#exp": "exp", "#ttl": "ttl",
}

const (
	condLive        = "(attribute_not_exists(#exp) OR #exp > :now)"
	condAbsent      = "(attribute_not_exists(#pk) OR #exp <= :now)"
	condVersionLive = "#ver = :want AND " + condLive
)

// expr fills the names and values a request's expressions use.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func build(values map[string]types.AttributeValue, exprs ...*string) expr {
	all := ""
	for _, e := range exprs {
		if e != nil {
			all += " " + *e
		}
	}
	out := expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
	for ph, name := range attrNames {
		if strings.Contains(all, ph) {
			out.names[ph] = name
		}
	}
	for ph, v := range values {
		if strings.Contains(all, ph) {
			out.values[ph] = v
		}
	}
	if len(out.values) == 0 {
		out.values = nil
	}
	return out
}

// checkExpiry refuses an ExpiresAt the exp attribute cannot hold.
func checkExpiry(it store.Item) error {
	if !it.ExpiresAt.IsZero() && (it.ExpiresAt.Before(minExpiry) || it.ExpiresAt.After(maxExpiry)) {
		return fmt.Errorf("%s/%s: %w: ExpiresAt %s is outside %d..%d", it.Key.Partition, it.Key.Sort, ErrExpiryRange, it.ExpiresAt, minExpiry.Year(), maxExpiry.Year())
	}
	return nil
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func keyAttrs(k store.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(k.Partition), "sk": str(k.Sort)}
}

// expiry returns exp (ns) and ttl (s, rounded up so DynamoDB never deletes
// an item before it expires).
func expiry(t time.Time) (exp, ttl int64) {
	exp = t.UnixNano()
	ttl = t.Unix()
	if t.Nanosecond() > 0 {
		ttl++
	}
	return exp, ttl
}

func (s *Store) nowValue() types.AttributeValue { return num(s.now().UnixNano()) }

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// decoded is an item read from the table.
type decoded struct {
	item    store.Item
	counter bool
	expired bool
}

func (s *Store) decode(av map[string]types.AttributeValue) (decoded, error) {
	var d decoded
	pk, ok1 := av["pk"].(*types.AttributeValueMemberS)
	sk, ok2 := av["sk"].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return d, errors.New("dynamo: item without string pk/sk")
	}
	d.item.Key = store.Key{Partition: pk.Value, Sort: sk.Value}
	intAttr := func(name string) (int64, bool, error) {
		a, ok := av[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil {
			return 0, true, fmt.Errorf("dynamo: %s/%s attribute %s: %w", pk.Value, sk.Value, name, err)
		}
		return n, true, nil
	}
	var err error
	if d.item.Version, _, err = intAttr("ver"); err != nil {
		return d, err
	}
	exp, hasExp, err := intAttr("exp")
	if err != nil {
		return d, err
	}
	if hasExp {
		d.item.ExpiresAt = time.Unix(0, exp).UTC()
		d.expired = store.Expired(d.item.ExpiresAt, s.now())
	}
	if v, ok := av["v"].(*types.AttributeValueMemberB); ok {
		d.item.Value = v.Value
		if d.item.Value == nil {
			d.item.Value = []byte{}
		}
		return d, nil
	}
	n, hasNum, err := intAttr("num")
	if err != nil {
		return d, err
	}
	if hasNum {
		d.counter = true
		d.item.Value = strconv.AppendInt(nil, n, 10)
	}
	return d, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("dynamo get: %w", err)
	}
	if err := key.Validate(); err != nil {
		return store.Item{}, err
	}
	d, found, err := s.get(ctx, key)
	if err != nil {
		return store.Item{}, err
	}
	if !found || d.expired {
		return store.Item{}, fmt.Errorf("dynamo get %s/%s: %w", key.Partition, key.Sort, store.ErrNotFound)
	}
	return d.item, nil
}

func (s *Store) get(ctx context.Context, key store.Key) (decoded, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: keyAttrs(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return decoded{}, false, fmt.Errorf("dynamo get %s/%s: %w", key.Partition, key.Sort, err)
	}
	if out.Item == nil {
		return decoded{}, false, nil
	}
	d, err := s.decode(out.Item)
	return d, err == nil, err
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("dynamo put: %w", err)
	}
	if err := it.Key.Validate(); err != nil {
		return store.Item{}, err
	}
	if err := cond.Validate(); err != nil {
		return store.Item{}, err
	}
	if err := checkExpiry(it); err != nil {
		return store.Item{}, fmt.Errorf("dynamo put %w", err)
	}
	value := append([]byte{}, it.Value...)
	out := store.Item{Key: it.Key, Value: append([]byte{}, value...), ExpiresAt: it.ExpiresAt}
	switch {
	case cond.IfAbsent:
		if err := s.create(ctx, it.Key, value, it.ExpiresAt); err != nil {
			if isConditionFailed(err) {
				return store.Item{}, fmt.Errorf("dynamo put %s/%s: %w: item exists", it.Key.Partition, it.Key.Sort, store.ErrConditionFailed)
			}
			return store.Item{}, fmt.Errorf("dynamo put: %w", err)
		}
		out.Version = 1
		return out, nil
	case cond.IfVersion != 0:
		ver, err := s.replace(ctx, it.Key, value, it.ExpiresAt, condVersionLive, cond.IfVersion)
		if err != nil {
			if isConditionFailed(err) {
				return store.Item{}, fmt.Errorf("dynamo put %s/%s: %w: version is not %d", it.Key.Partition, it.Key.Sort, store.ErrConditionFailed, cond.IfVersion)
			}
			return store.Item{}, fmt.Errorf("dynamo put: %w", err)
		}
		out.Version = ver
		return out, nil
	}
	// Unconditional: bump the version of a live item, or start at 1 when
	// there is none. Each step is conditional, so a concurrent create or
	// expiry between them sends us round again.
	for range s.retries {
		ver, err := s.replace(ctx, it.Key, value, it.ExpiresAt, "attribute_exists(#pk) AND "+condLive, 0)
		if err == nil {
			out.Version = ver
			return out, nil
		}
		if !isConditionFailed(err) {
			return store.Item{}, fmt.Errorf("dynamo put: %w", err)
		}
		err = s.create(ctx, it.Key, value, it.ExpiresAt)
		if err == nil {
			out.Version = 1
			return out, nil
		}
		if !isConditionFailed(err) {
			return store.Item{}, fmt.Errorf("dynamo put: %w", err)
		}
	}
	return store.Item{}, fmt.Errorf("dynamo put %s/%s: %w", it.Key.Partition, it.Key.Sort, ErrRace)
}

// create writes a fresh item at version 1 if none is live.
func (s *Store) create(ctx context.Context, key store.Key, value []byte, expiresAt time.Time) error {
	av := keyAttrs(key)
	av["v"] = &types.AttributeValueMemberB{Value: value}
	av["ver"] = num(1)
	if !expiresAt.IsZero() {
		exp, ttl := expiry(expiresAt)
		av["exp"], av["ttl"] = num(exp), num(ttl)
	}
	cond := aws.String(condAbsent)
	e := build(map[string]types.AttributeValue{":now": s.nowValue()}, cond)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: av, ConditionExpression: cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	})
	return err
}

// replace overwrites the value of an existing item under condition and
// returns its new version.
func (s *Store) replace(ctx context.Context, key store.Key, value []byte, expiresAt time.Time, condition string, want int64) (int64, error) {
	values := map[string]types.AttributeValue{
		":val":  &types.AttributeValueMemberB{Value: value},
		":one":  num(1),
		":now":  s.nowValue(),
		":want": num(want),
	}
	update := "SET #val = :val, #ver = #ver + :one"
	if expiresAt.IsZero() {
		update += " REMOVE #num, #exp, #ttl"
	} else {
		exp, ttl := expiry(expiresAt)
		values[":exp"], values[":ttl"] = num(exp), num(ttl)
		update += ", #exp = :exp, #ttl = :ttl REMOVE #num"
	}
	cond := aws.String(condition)
	e := build(values, aws.String(update), cond)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table, Key: keyAttrs(key), UpdateExpression: aws.String(update), ConditionExpression: cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, err
	}
	v, ok := out.Attributes["ver"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("dynamo: update of %s/%s returned no version", key.Partition, key.Sort)
	}
	return strconv.ParseInt(v.Value, 10, 64)
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key store.Key, cond store.Condition) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dynamo delete: %w", err)
	}
	if err := key.Validate(); err != nil {
		return err
	}
	if err := cond.Validate(); err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{TableName: s.table, Key: keyAttrs(key)}
	switch {
	case cond.IfAbsent:
		in.ConditionExpression = aws.String(condAbsent)
	case cond.IfVersion != 0:
		in.ConditionExpression = aws.String(condVersionLive)
	}
	if in.ConditionExpression != nil {
		e := build(map[string]types.AttributeValue{":now": s.nowValue(), ":want": num(cond.IfVersion)}, in.ConditionExpression)
		in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.names, e.values
	}
	if _, err := s.db.DeleteItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("dynamo delete %s/%s: %w", key.Partition, key.Sort, store.ErrConditionFailed)
		}
		return fmt.Errorf("dynamo delete: %w", err)
	}
	return nil
}

// Add implements store.Store.
func (s *Store) Add(ctx context.Context, key store.Key, delta int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("dynamo add: %w", err)
	}
	if err := key.Validate(); err != nil {
		return 0, err
	}
	for range s.retries {
		// A live counter or no item: ADD creates num and ver at 0.
		update := aws.String("ADD #num :delta, #ver :one")
		cond := aws.String("attribute_not_exists(#val) AND " + condLive)
		e := build(map[string]types.AttributeValue{":delta": num(delta), ":one": num(1), ":now": s.nowValue()}, update, cond)
		out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: s.table, Key: keyAttrs(key), UpdateExpression: update, ConditionExpression: cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
			ReturnValues: types.ReturnValueAllNew,
		})
		if err == nil {
			v, ok := out.Attributes["num"].(*types.AttributeValueMemberN)
			if !ok {
				return 0, fmt.Errorf("dynamo add %s/%s: no counter value returned", key.Partition, key.Sort)
			}
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("dynamo add %s/%s: %w", key.Partition, key.Sort, err)
			}
			return n, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo add: %w", err)
		}
		// Either a live plain item or an expired item of any kind.
		d, found, err := s.get(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("dynamo add: %w", err)
		}
		if found && !d.expired && !d.counter {
			return 0, fmt.Errorf("dynamo add %s/%s: %w", key.Partition, key.Sort, store.ErrNotCounter)
		}
		if !found || !d.expired {
			continue // changed under us: try the ADD again
		}
		av := keyAttrs(key)
		av["num"], av["ver"] = num(delta), num(1)
		pcond := aws.String(condAbsent)
		pe := build(map[string]types.AttributeValue{":now": s.nowValue()}, pcond)
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: s.table, Item: av, ConditionExpression: pcond,
			ExpressionAttributeNames: pe.names, ExpressionAttributeValues: pe.values,
		})
		if err == nil {
			return delta, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo add: %w", err)
		}
	}
	return 0, fmt.Errorf("dynamo add %s/%s: %w", key.Partition, key.Sort, ErrRace)
}

// Query implements store.Store. It pages through DynamoDB until it has limit
// live items, since DynamoDB applies its Limit before the expiry filter.
func (s *Store) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	return s.QueryAfter(ctx, partition, prefix, "", limit)
}

// QueryAfter implements store.Seeker: the query starts at the
// ExclusiveStartKey (partition, after), so DynamoDB reads nothing before it.
func (s *Store) QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]store.Item, error) {
	after, none := store.SeekRange(prefix, after)
	if none {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamo query: %w", err)
	}
	if partition == "" {
		return nil, fmt.Errorf("%w: empty partition", store.ErrInvalidKey)
	}
	keyCond := "#pk = :part"
	values := map[string]types.AttributeValue{":part": str(partition), ":now": s.nowValue()}
	if prefix != "" {
		keyCond += " AND begins_with(#sk, :pre)"
		values[":pre"] = str(prefix)
	}
	filter := aws.String(condLive)
	e := build(values, aws.String(keyCond), filter)
	in := &dynamodb.QueryInput{
		TableName: s.table, KeyConditionExpression: aws.String(keyCond), FilterExpression: filter,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
		ConsistentRead: aws.Bool(true),
	}
	if after != "" {
		in.ExclusiveStartKey = map[string]types.AttributeValue{"pk": str(partition), "sk": str(after)}
	}
	var items []store.Item
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(min(limit-len(items), math.MaxInt32)))
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo query %s: %w", partition, err)
		}
		for _, av := range out.Items {
			d, err := s.decode(av)
			if err != nil {
				return nil, fmt.Errorf("dynamo query %s: %w", partition, err)
			}
			if d.expired { // the filter used the request's clock; ours may have moved
				continue
			}
			items = append(items, d.item)
		}
		if len(out.LastEvaluatedKey) == 0 || (limit > 0 && len(items) >= limit) {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}
