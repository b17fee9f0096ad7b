package store

import (
	"context"
	"strings"
)

// Seeker is implemented by stores that can start a query after a given
// sort key without reading the items before it (bbolt seeks its cursor,
// DynamoDB starts at an ExclusiveStartKey): what keyset pagination needs
// so that page n costs what page 1 does. The embedded and DynamoDB stores
// implement it; QueryAfter falls back to Query for any other Store.
type Seeker interface {
	// QueryAfter returns the live items of partition whose Sort starts
	// with prefix and is greater than after ("" = from the first), ordered
	// by Sort; limit <= 0 means all.
	QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]Item, error)
}

// QueryAfter is s.QueryAfter when s is a Seeker; otherwise it reads the
// whole prefix with Query and drops the items up to after (correct, but
// every page then costs a full read of the prefix).
func QueryAfter(ctx context.Context, s Store, partition, prefix, after string, limit int) ([]Item, error) {
	if sk, ok := s.(Seeker); ok {
		return sk.QueryAfter(ctx, partition, prefix, after, limit)
	}
	if after == "" {
		return s.Query(ctx, partition, prefix, limit)
	}
	items, err := s.Query(ctx, partition, prefix, 0)
	if err != nil {
		return nil, err
	}
	i := 0
	for i < len(items) && items[i].Key.Sort <= after {
		i++
	}
	items = items[i:]
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

// SeekRange normalises a (prefix, after) pair for implementations: an
// after below every key with prefix is no bound (""), and an after above
// every key with prefix selects nothing (none true). DynamoDB refuses a
// start key outside the key condition, so the DynamoDB store must not
// send one; the others share it so that all agree.
func SeekRange(prefix, after string) (start string, none bool) {
	if after == "" || strings.HasPrefix(after, prefix) {
		return after, false
	}
	if after < prefix {
		return "", false
	}
	return "", true
}
