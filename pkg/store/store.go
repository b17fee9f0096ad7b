// Package store is the persistence port of CogniForge: versioned items with
// conditional writes, atomic counters, expiry and prefix queries, behind one
// small interface with an embedded (bbolt) and a DynamoDB implementation.
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
)

// Counters are items too: Get and Query return a counter's value as its
// decimal text (strconv.FormatInt), its Version grows by one with every Add
// and it never expires unless overwritten by a Put with ExpiresAt. A Put on a
// counter's key replaces it with a plain item; Add on a live plain item fails
// with ErrNotCounter; Add on an expired item starts a new counter at 0.

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
