// Package store is the persistence port of CogniForge: versioned items with
// conditional writes, atomic counters, expiry, prefix queries and atomic
// multi-item transactions, behind one small interface with an embedded
// (bbolt) and a DynamoDB implementation.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Key addresses an item: items with the same Partition can be queried by a
// prefix of Sort (a DynamoDB partition key and sort key).
type Key struct {
	Partition string
	Sort      string
}

// Item is a stored value.
type Item struct {
	Key   Key
	Value []byte
	// Version is 1 after the first put and grows by one with every put. Zero
	// means the item does not exist.
	Version int64
	// ExpiresAt, when not zero, is when the item stops existing: an expired
	// item is never returned and counts as absent for conditions.
	ExpiresAt time.Time
}

// Condition guards a write. The zero Condition writes unconditionally.
type Condition struct {
	// IfAbsent: the item must not exist (or must have expired).
	IfAbsent bool
	// IfVersion, when not zero, is the version the item must have now.
	IfVersion int64
}

// Errors returned by every implementation.
var (
	ErrNotFound        = errors.New("store: item not found")
	ErrConditionFailed = errors.New("store: condition failed")
)

// Store is the persistence port. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the item or ErrNotFound.
	Get(ctx context.Context, key Key) (Item, error)
	// Put writes item.Value and item.ExpiresAt under item.Key if cond holds,
	// and returns the stored item with its new version, or ErrConditionFailed.
	Put(ctx context.Context, item Item, cond Condition) (Item, error)
	// Delete removes the item if cond holds. Deleting a missing item without
	// a condition is not an error.
	Delete(ctx context.Context, key Key, cond Condition) error
	// Add atomically adds delta to the counter at key (created at 0) and
	// returns the new value.
	Add(ctx context.Context, key Key, delta int64) (int64, error)
	// Query returns the live items of partition whose Sort starts with
	// prefix, ordered by Sort; limit <= 0 means all.
	Query(ctx context.Context, partition, prefix string, limit int) ([]Item, error)
	// Transact applies ops atomically: all or none. Two ops on the same
	// key, more than MaxTransactOps ops, an invalid key or condition, or Add
	// on a plain item are errors (ErrInvalidTransaction / ErrInvalidKey /
	// ErrInvalidCondition / ErrNotCounter), and nothing is written. When
	// conditions fail the error is a *TxError naming the ops whose
	// condition failed. Empty ops is a no-op returning nil.
	Transact(ctx context.Context, ops []Op) error
}

// More errors returned by every implementation.
var (
	// ErrInvalidKey: a Key with an empty Partition or Sort (DynamoDB refuses
	// empty key attributes, so every implementation does).
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrInvalidCondition: IfAbsent together with IfVersion, or a negative
	// IfVersion. Such a condition can never hold, so it is a caller bug.
	ErrInvalidCondition = errors.New("store: invalid condition")
	// ErrNotCounter: Add on a live item that was written by Put.
	ErrNotCounter = errors.New("store: item is not a counter")
	// ErrInvalidTransaction: a transaction no implementation may run (two
	// ops on one key, too many ops, an unknown OpKind, a field the op's
	// kind does not use). It is a caller bug, never transient.
	ErrInvalidTransaction = errors.New("store: invalid transaction")
)

// Counters are items too: Get and Query return a counter's value as its
// decimal text (strconv.FormatInt) and its Version grows by one with every
// Add. A counter has no expiry unless an OpAdd in a Transact gives it one
// (Item.ExpiresAt not zero); a later Add, plain or in a transaction without
// ExpiresAt, keeps the expiry it has. A counter with an expiry expires like
// any item: Get and Query skip it, conditions see it as absent, and the
// next Add starts a new counter at 0 (without the old expiry), which is what
// time-bucketed counts need. A Put on a counter's key replaces it with a
// plain item; Add on a live plain item fails with ErrNotCounter; Add on an
// expired item of either kind starts a new counter at 0.

// Validate reports whether k can address an item.
func (k Key) Validate() error {
	if k.Partition == "" || k.Sort == "" {
		return fmt.Errorf("%w: partition %q, sort %q: both must be non-empty", ErrInvalidKey, k.Partition, k.Sort)
	}
	return nil
}

// Validate reports whether c can ever hold.
func (c Condition) Validate() error {
	switch {
	case c.IfAbsent && c.IfVersion != 0:
		return fmt.Errorf("%w: IfAbsent with IfVersion %d", ErrInvalidCondition, c.IfVersion)
	case c.IfVersion < 0:
		return fmt.Errorf("%w: IfVersion %d is negative", ErrInvalidCondition, c.IfVersion)
	}
	return nil
}

// Expired reports whether an item with expiry expiresAt no longer exists at
// now: an item expires at the instant ExpiresAt, not after it.
func Expired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}

// Check reports whether cond holds for the current item (Version 0 when
// absent or expired) and returns ErrConditionFailed, wrapped with the
// reason, when it does not. Implementations that evaluate conditions
// themselves (memory, bolt) share it so they agree.
func (c Condition) Check(key Key, current int64) error {
	switch {
	case c.IfAbsent && current != 0:
		return fmt.Errorf("%w: %s/%s exists (version %d)", ErrConditionFailed, key.Partition, key.Sort, current)
	case c.IfVersion != 0 && current != c.IfVersion:
		return fmt.Errorf("%w: %s/%s has version %d, want %d", ErrConditionFailed, key.Partition, key.Sort, current, c.IfVersion)
	}
	return nil
}

// OpKind is what an Op does.
type OpKind int

// The kinds of Op.
const (
	// OpPut writes Item.Value and Item.ExpiresAt under Item.Key if Cond
	// holds, as Put does (the version grows by one, or starts at 1).
	OpPut OpKind = iota + 1
	// OpAdd adds Delta to the counter at Item.Key (created at 0), as Add
	// does; when Item.ExpiresAt is not zero the counter's expiry is set to
	// it. It takes no Cond: pair it with an OpCheck on another key, or make
	// the transaction depend on an OpPut with IfAbsent.
	OpAdd
	// OpDelete removes Item.Key if Cond holds, as Delete does.
	OpDelete
	// OpCheck only checks Cond (which must not be zero) on Item.Key and
	// writes nothing (DynamoDB's ConditionCheck).
	OpCheck
)

// String returns the kind's name, for errors.
func (k OpKind) String() string {
	switch k {
	case OpPut:
		return "Put"
	case OpAdd:
		return "Add"
	case OpDelete:
		return "Delete"
	case OpCheck:
		return "Check"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Op is one write of a transaction. Item.Version is ignored, as Put ignores
// it; Value is used only by OpPut, ExpiresAt by OpPut and OpAdd, Delta only
// by OpAdd, and a field set on a kind that does not use it is refused with
// ErrInvalidTransaction rather than silently dropped.
type Op struct {
	Kind  OpKind
	Item  Item
	Cond  Condition
	Delta int64
}

// MaxTransactOps is the most ops one Transact takes (DynamoDB's limit for
// TransactWriteItems), so code tested on an embedded store runs on DynamoDB.
const MaxTransactOps = 100

// TxError is the error of a transaction that was not applied because
// conditions failed. It wraps ErrConditionFailed, so errors.Is works.
type TxError struct {
	// Failed lists the indexes into ops of the ops whose condition failed,
	// in increasing order; it is never empty.
	Failed []int
}

// Error implements error.
func (e *TxError) Error() string {
	return fmt.Sprintf("%v: transaction not applied, ops %v failed their condition", ErrConditionFailed, e.Failed)
}

// Unwrap makes errors.Is(err, ErrConditionFailed) hold.
func (e *TxError) Unwrap() error { return ErrConditionFailed }

// Validate reports whether o can be part of a transaction.
func (o Op) Validate() error {
	if err := o.Item.Key.Validate(); err != nil {
		return err
	}
	if err := o.Cond.Validate(); err != nil {
		return err
	}
	var bad []string
	switch o.Kind {
	case OpPut:
	case OpAdd:
		if o.Cond != (Condition{}) {
			return fmt.Errorf("%w: an Add takes no condition (got %+v); check another key with an OpCheck", ErrInvalidCondition, o.Cond)
		}
	case OpDelete:
	case OpCheck:
		if o.Cond == (Condition{}) {
			return fmt.Errorf("%w: a Check needs IfAbsent or IfVersion", ErrInvalidCondition)
		}
	default:
		return fmt.Errorf("%w: unknown op kind %d", ErrInvalidTransaction, int(o.Kind))
	}
	if o.Kind != OpPut && len(o.Item.Value) > 0 {
		bad = append(bad, "Item.Value")
	}
	if o.Kind != OpPut && o.Kind != OpAdd && !o.Item.ExpiresAt.IsZero() {
		bad = append(bad, "Item.ExpiresAt")
	}
	if o.Kind != OpAdd && o.Delta != 0 {
		bad = append(bad, "Delta")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: a %s does not use %v", ErrInvalidTransaction, o.Kind, bad)
	}
	return nil
}

// ValidateTransaction reports whether ops can run as one transaction: at
// most MaxTransactOps valid ops on distinct keys. It reads nothing, so every
// implementation refuses the same transactions before touching its data.
func ValidateTransaction(ops []Op) error {
	if len(ops) > MaxTransactOps {
		return fmt.Errorf("%w: %d ops, at most %d", ErrInvalidTransaction, len(ops), MaxTransactOps)
	}
	seen := make(map[Key]int, len(ops))
	for i, op := range ops {
		if err := op.Validate(); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if j, dup := seen[op.Item.Key]; dup {
			return fmt.Errorf("%w: ops %d and %d both write %s/%s", ErrInvalidTransaction, j, i, op.Item.Key.Partition, op.Item.Key.Sort)
		}
		seen[op.Item.Key] = i
	}
	return nil
}

// Current is what a transaction sees at one key before it runs: the live
// item's Version (0 when absent or expired) and whether it is a counter.
type Current struct {
	Version int64
	Counter bool
}

// CheckTransaction evaluates valid ops against the state before the
// transaction, read through current, and returns nil when all of them may
// be applied, an error wrapping ErrNotCounter when an Add meets a live plain
// item, or a *TxError listing every op whose condition fails. ErrNotCounter
// wins over failed conditions: it is a caller bug, which a condition that
// happened to fail must not hide. Implementations that evaluate conditions
// themselves (memory, bolt) share it so they agree.
func CheckTransaction(ops []Op, current func(Key) (Current, error)) error {
	var failed []int
	for i, op := range ops {
		cur, err := current(op.Item.Key)
		if err != nil {
			return err
		}
		if op.Kind == OpAdd && cur.Version != 0 && !cur.Counter {
			return fmt.Errorf("op %d: add %s/%s: %w", i, op.Item.Key.Partition, op.Item.Key.Sort, ErrNotCounter)
		}
		if op.Cond.Check(op.Item.Key, cur.Version) != nil {
			failed = append(failed, i)
		}
	}
	if len(failed) > 0 {
		return &TxError{Failed: failed}
	}
	return nil
}
