// Package store is the persistence port of CogniForge: versioned items with
// conditional writes, atomic counters, expiry and prefix queries, behind one
// small interface with an embedded (bbolt) and a DynamoDB implementation.
package store

import (
	"context"
	"errors"
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
