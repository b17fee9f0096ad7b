package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// A transaction is one TransactWriteItems. Most ops map to one request
// shape whatever the item is: a Put IfAbsent is a conditional PutItem, a
// Put IfVersion an UpdateItem, a Delete a DeleteItem and a Check a
// ConditionCheck, each with the condition the single-item calls use. Two
// kinds must know what is at their key, as Put and Add do with a second
// request, and a transaction cannot take a second request in the middle:
//
//   - an unconditional Put sets the version to 1 over an expired item but
//     bumps it over a live one;
//   - an Add adds to a live counter but starts at 0 over an expired item.
//
// Both are written for "absent or live" first (the common case, one
// UpdateItem whose condition says so) and, when the transaction is
// cancelled because that guess was wrong, as a replacement of the expired
// item (a PutItem whose condition is that the item has expired). The
// cancellation reason carries the item (ReturnValuesOnConditionCheckFailure
// ALL_OLD), so the right guess costs no read; each retry is conditional,
// so a guess made stale by a concurrent writer only costs another round, at
// most MaxRaceRetries, then ErrRace.

// shape is how a Put without condition or an Add is written.
type shape int

const (
	shapeLive    shape = iota // absent or live: updated in place
	shapeExpired              // expired: replaced whole, at version 1
)

// condExpired holds for an item that exists and has expired.
const condExpired = "#exp <= :now"

// Cancellation reason codes (TransactionCanceledException) that Transact
// acts on; any other code is returned as an error.
const (
	codeNone            = "None"
	codeConditionFailed = "ConditionalCheckFailed"
	codeConflict        = "TransactionConflict"
)

// guessed reports whether op is written in one of two shapes.
func guessed(op store.Op) bool {
	return op.Kind == store.OpAdd || (op.Kind == store.OpPut && op.Cond == (store.Condition{}))
}

// Transact implements store.Store with one TransactWriteItems, retried (at
// most MaxRaceRetries times, then ErrRace) when it was cancelled by a
// conflicting transaction or because an expired item had to be written
// differently (see above). Each attempt carries its own ClientRequestToken,
// so the SDK's own retries of an attempt whose answer was lost cannot apply
// it twice.
//
// TxError.Failed lists the ops that DynamoDB's CancellationReasons report as
// ConditionalCheckFailed. When an endpoint sends no reasons (or not one per
// op), Transact reads the ops' items with consistent Gets after the
// cancellation and reports the conditions that fail on them; if none does
// (the state moved on since), it tries again.
func (s *Store) Transact(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dynamo transact: %w", err)
	}
	if err := store.ValidateTransaction(ops); err != nil {
		return err
	}
	for i, op := range ops {
		if err := checkExpiry(op.Item); err != nil {
			return fmt.Errorf("dynamo transact: op %d: %w", i, err)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	shapes := make([]shape, len(ops))
	for range s.retries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dynamo transact: %w", err)
		}
		in := &dynamodb.TransactWriteItemsInput{TransactItems: make([]types.TransactWriteItem, len(ops)), ClientRequestToken: aws.String(token())}
		now := s.nowValue()
		for i, op := range ops {
			in.TransactItems[i] = s.txItem(op, shapes[i], now)
		}
		_, err := s.db.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			return fmt.Errorf("dynamo transact: %w", err)
		}
		final, err := s.cancelled(ctx, ops, shapes, cancelled)
		if final {
			return err
		}
	}
	return fmt.Errorf("dynamo transact: %w", ErrRace)
}

// token is a ClientRequestToken: 32 hex digits (DynamoDB takes up to 36).
func token() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}

// cancelled decides what a cancelled transaction means: a final outcome
// (failed conditions, an Add on a plain item, an error) or, with shapes
// corrected, another attempt.
func (s *Store) cancelled(ctx context.Context, ops []store.Op, shapes []shape, exc *types.TransactionCanceledException) (final bool, err error) {
	reasons := exc.CancellationReasons
	if len(reasons) != len(ops) {
		return s.recheck(ctx, ops, shapes)
	}
	var failed []int
	for i, r := range reasons {
		switch code := aws.ToString(r.Code); code {
		case "", codeNone, codeConflict:
			continue // a conflict is transient: the next attempt may pass
		case codeConditionFailed:
		default:
			return true, fmt.Errorf("dynamo transact: op %d: %s: %w", i, code, exc)
		}
		if !guessed(ops[i]) {
			failed = append(failed, i)
			continue
		}
		// The guess about the item was wrong: look at what is there.
		var (
			d     decoded
			found bool
			err   error
		)
		if r.Item != nil {
			d, err = s.decode(r.Item)
			found = err == nil
		} else { // no item, or an endpoint that does not return it
			d, found, err = s.get(ctx, ops[i].Item.Key)
		}
		if err != nil {
			return true, fmt.Errorf("dynamo transact: %w", err)
		}
		if err := s.reshape(ops, shapes, i, d, found); err != nil {
			return true, err
		}
	}
	if len(failed) > 0 {
		return true, &store.TxError{Failed: failed}
	}
	return false, nil
}

// reshape sets the shape of guessed op i for the item d (found) now at its
// key, or returns ErrNotCounter for an Add on a live plain item.
func (s *Store) reshape(ops []store.Op, shapes []shape, i int, d decoded, found bool) error {
	key := ops[i].Item.Key
	if ops[i].Kind == store.OpAdd && found && !d.expired && !d.counter {
		return fmt.Errorf("dynamo transact: op %d: add %s/%s: %w", i, key.Partition, key.Sort, store.ErrNotCounter)
	}
	shapes[i] = shapeLive
	if found && d.expired {
		shapes[i] = shapeExpired
	}
	return nil
}

// recheck is the fallback for a cancellation without one reason per op: it
// reads every op's item and evaluates the transaction on what it read, as
// the embedded stores do. The reads come after the cancellation, so they may
// see a state that has moved on: a condition that failed then may hold now
// (then the transaction is tried again) and, under concurrent writers, the
// failures reported are those of the state read, not of the attempt.
func (s *Store) recheck(ctx context.Context, ops []store.Op, shapes []shape) (bool, error) {
	index := make(map[store.Key]int, len(ops)) // keys are distinct
	for i, op := range ops {
		index[op.Item.Key] = i
	}
	var readErr error
	outcome := store.CheckTransaction(ops, func(key store.Key) (store.Current, error) {
		i := index[key]
		d, found, err := s.get(ctx, key)
		if err != nil {
			readErr = err
			return store.Current{}, err
		}
		if guessed(ops[i]) {
			// An Add on a plain item is found by CheckTransaction too.
			_ = s.reshape(ops, shapes, i, d, found)
		}
		if !found || d.expired {
			return store.Current{}, nil
		}
		return store.Current{Version: d.item.Version, Counter: d.counter}, nil
	})
	if readErr != nil {
		return true, fmt.Errorf("dynamo transact: %w", readErr)
	}
	if outcome != nil {
		var txErr *store.TxError
		if errors.As(outcome, &txErr) {
			return true, outcome
		}
		return true, fmt.Errorf("dynamo transact: %w", outcome)
	}
	return false, nil
}

// txItem is op as one item of a TransactWriteItems.
func (s *Store) txItem(op store.Op, sh shape, now types.AttributeValue) types.TransactWriteItem {
	key := op.Item.Key
	values := map[string]types.AttributeValue{":now": now, ":one": num(1), ":zero": num(0), ":want": num(op.Cond.IfVersion), ":delta": num(op.Delta)}
	var exp, ttl int64
	hasExp := !op.Item.ExpiresAt.IsZero()
	if hasExp {
		exp, ttl = expiry(op.Item.ExpiresAt)
		values[":exp"], values[":ttl"] = num(exp), num(ttl)
	}
	// fresh is a whole new item at version 1.
	fresh := func() map[string]types.AttributeValue {
		av := keyAttrs(key)
		av["ver"] = num(1)
		if op.Kind == store.OpAdd {
			av["num"] = num(op.Delta)
		} else {
			av["v"] = &types.AttributeValueMemberB{Value: append([]byte{}, op.Item.Value...)}
		}
		if hasExp {
			av["exp"], av["ttl"] = num(exp), num(ttl)
		}
		return av
	}
	// A guessed op asks for the item it failed on, to guess again.
	var old types.ReturnValuesOnConditionCheckFailure
	if guessed(op) {
		old = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	putItem := func(condition string) types.TransactWriteItem {
		cond := aws.String(condition)
		e := build(values, cond)
		return types.TransactWriteItem{Put: &types.Put{
			TableName: s.table, Item: fresh(), ConditionExpression: cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
			ReturnValuesOnConditionCheckFailure: old,
		}}
	}
	update := func(expression, condition string) types.TransactWriteItem {
		upd, cond := aws.String(expression), aws.String(condition)
		e := build(values, upd, cond)
		return types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: keyAttrs(key), UpdateExpression: upd, ConditionExpression: cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
			ReturnValuesOnConditionCheckFailure: old,
		}}
	}
	userCond := func() *string {
		switch {
		case op.Cond.IfAbsent:
			return aws.String(condAbsent)
		case op.Cond.IfVersion != 0:
			return aws.String(condVersionLive)
		}
		return nil
	}

	switch op.Kind {
	case store.OpPut:
		switch {
		case op.Cond.IfAbsent:
			return putItem(condAbsent)
		case op.Cond.IfVersion == 0 && sh == shapeExpired:
			return putItem(condExpired)
		}
		// Live (IfVersion, or a guess): the version goes on from the
		// item's, or starts at 1 when there is none.
		set := "SET #val = :val, #ver = if_not_exists(#ver, :zero) + :one"
		values[":val"] = &types.AttributeValueMemberB{Value: append([]byte{}, op.Item.Value...)}
		if hasExp {
			set += ", #exp = :exp, #ttl = :ttl REMOVE #num"
		} else {
			set += " REMOVE #num, #exp, #ttl"
		}
		if op.Cond.IfVersion != 0 {
			return update(set, condVersionLive)
		}
		return update(set, condLive)
	case store.OpAdd:
		if sh == shapeExpired {
			return putItem(condExpired)
		}
		expr := "ADD #num :delta, #ver :one"
		if hasExp {
			expr += " SET #exp = :exp, #ttl = :ttl"
		}
		return update(expr, "attribute_not_exists(#val) AND "+condLive)
	case store.OpDelete:
		d := &types.Delete{TableName: s.table, Key: keyAttrs(key), ConditionExpression: userCond()}
		if d.ConditionExpression != nil {
			e := build(values, d.ConditionExpression)
			d.ExpressionAttributeNames, d.ExpressionAttributeValues = e.names, e.values
		}
		return types.TransactWriteItem{Delete: d}
	default: // store.OpCheck; ValidateTransaction refused other kinds
		cond := userCond()
		e := build(values, cond)
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: s.table, Key: keyAttrs(key), ConditionExpression: cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
		}}
	}
}
