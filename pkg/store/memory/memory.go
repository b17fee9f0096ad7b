// Package memory is an in-memory store.Store for tests and one-shot CLI
// runs: nothing is written to disk and everything is lost with the process.
//
// A Store is safe for concurrent use; every operation, a transaction
// included, holds one mutex, so conditions, counters and transactions are
// exact. Expired items are hidden on read and
// removed by Sweep.
package memory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

var (
	_ store.Store  = (*Store)(nil)
	_ store.Seeker = (*Store)(nil)
)

// Config tunes a Store. The zero Config is ready to use.
type Config struct {
	// Now is the clock expiry is judged by. Nil means time.Now. Tests pass a
	// fake clock and move it instead of sleeping.
	Now func() time.Time
}

type record struct {
	value     []byte
	version   int64
	expiresAt time.Time
	counter   bool
}

// Store keeps items in maps, one per partition.
type Store struct {
	now func() time.Time

	mu    sync.Mutex
	parts map[string]map[string]*record
}

// New returns an empty Store.
func New(cfg Config) *Store {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, parts: make(map[string]map[string]*record)}
}

// live returns the record at key if it exists and has not expired. Callers
// hold s.mu.
func (s *Store) live(key store.Key, now time.Time) *record {
	r := s.parts[key.Partition][key.Sort]
	if r == nil || store.Expired(r.expiresAt, now) {
		return nil
	}
	return r
}

func item(key store.Key, r *record) store.Item {
	return store.Item{
		Key:       key,
		Value:     append([]byte(nil), r.value...),
		Version:   r.version,
		ExpiresAt: r.expiresAt,
	}
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("memory get: %w", err)
	}
	if err := key.Validate(); err != nil {
		return store.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live(key, s.now())
	if r == nil {
		return store.Item{}, fmt.Errorf("memory get %s/%s: %w", key.Partition, key.Sort, store.ErrNotFound)
	}
	return item(key, r), nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("memory put: %w", err)
	}
	if err := it.Key.Validate(); err != nil {
		return store.Item{}, err
	}
	if err := cond.Validate(); err != nil {
		return store.Item{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var current int64
	if r := s.live(it.Key, now); r != nil {
		current = r.version
	}
	if err := cond.Check(it.Key, current); err != nil {
		return store.Item{}, err
	}
	return item(it.Key, s.put(it, now)), nil
}

// put writes it over whatever is live at its key. Callers hold s.mu and
// have checked the condition.
func (s *Store) put(it store.Item, now time.Time) *record {
	var current int64
	if r := s.live(it.Key, now); r != nil {
		current = r.version
	}
	r := &record{value: append([]byte(nil), it.Value...), version: current + 1, expiresAt: it.ExpiresAt}
	s.set(it.Key, r)
	return r
}

func (s *Store) set(key store.Key, r *record) {
	p := s.parts[key.Partition]
	if p == nil {
		p = make(map[string]*record)
		s.parts[key.Partition] = p
	}
	p[key.Sort] = r
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key store.Key, cond store.Condition) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory delete: %w", err)
	}
	if err := key.Validate(); err != nil {
		return err
	}
	if err := cond.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var current int64
	if r := s.live(key, s.now()); r != nil {
		current = r.version
	}
	if err := cond.Check(key, current); err != nil {
		return err
	}
	s.remove(key)
	return nil
}

func (s *Store) remove(key store.Key) {
	p := s.parts[key.Partition]
	delete(p, key.Sort)
	if len(p) == 0 {
		delete(s.parts, key.Partition)
	}
}

// Add implements store.Store.
func (s *Store) Add(ctx context.Context, key store.Key, delta int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory add: %w", err)
	}
	if err := key.Validate(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if r := s.live(key, now); r != nil && !r.counter {
		return 0, fmt.Errorf("memory add %s/%s: %w", key.Partition, key.Sort, store.ErrNotCounter)
	}
	r := s.add(key, delta, now)
	n, _ := strconv.ParseInt(string(r.value), 10, 64)
	return n, nil
}

// add adds delta to the live counter at key, or starts one at 0 (without
// expiry) when nothing is live there. Callers hold s.mu and have made sure
// no live plain item is at key.
func (s *Store) add(key store.Key, delta int64, now time.Time) *record {
	r := s.live(key, now)
	var n int64
	if r == nil {
		r = &record{counter: true}
		s.set(key, r)
	} else {
		n, _ = strconv.ParseInt(string(r.value), 10, 64)
	}
	n += delta
	r.value = strconv.AppendInt(r.value[:0], n, 10)
	r.version++
	return r
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	return s.QueryAfter(ctx, partition, prefix, "", limit)
}

// QueryAfter implements store.Seeker (over a map it still visits the
// partition, but copies and sorts only the items after the bound).
func (s *Store) QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]store.Item, error) {
	after, none := store.SeekRange(prefix, after)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory query: %w", err)
	}
	if partition == "" {
		return nil, fmt.Errorf("%w: empty partition", store.ErrInvalidKey)
	}
	if none {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var sorts []string
	for sk, r := range s.parts[partition] {
		if strings.HasPrefix(sk, prefix) && sk > after && !store.Expired(r.expiresAt, now) {
			sorts = append(sorts, sk)
		}
	}
	sort.Strings(sorts)
	if limit > 0 && len(sorts) > limit {
		sorts = sorts[:limit]
	}
	items := make([]store.Item, 0, len(sorts))
	for _, sk := range sorts {
		key := store.Key{Partition: partition, Sort: sk}
		items = append(items, item(key, s.parts[partition][sk]))
	}
	return items, nil
}

// Sweep removes every expired item and returns how many it removed.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory sweep: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for part, p := range s.parts {
		for sk, r := range p {
			if store.Expired(r.expiresAt, now) {
				delete(p, sk)
				n++
			}
		}
		if len(p) == 0 {
			delete(s.parts, part)
		}
	}
	return n, nil
}

// Len returns how many items are held, expired or not (for Sweep tests).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.parts {
		n += len(p)
	}
	return n
}

// Transact implements store.Store: ops are checked against the state before
// the transaction and applied under the store's one mutex, so no reader sees
// part of them.
func (s *Store) Transact(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory transact: %w", err)
	}
	if err := store.ValidateTransaction(ops); err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	err := store.CheckTransaction(ops, func(key store.Key) (store.Current, error) {
		if r := s.live(key, now); r != nil {
			return store.Current{Version: r.version, Counter: r.counter}, nil
		}
		return store.Current{}, nil
	})
	if err != nil {
		return err // a *store.TxError as it is, so callers may assert it
	}
	// Keys are distinct, so applying the ops in order is applying them at
	// once, and nothing below can fail.
	for _, op := range ops {
		switch op.Kind {
		case store.OpPut:
			s.put(op.Item, now)
		case store.OpAdd:
			r := s.add(op.Item.Key, op.Delta, now)
			if !op.Item.ExpiresAt.IsZero() {
				r.expiresAt = op.Item.ExpiresAt
			}
		case store.OpDelete:
			s.remove(op.Item.Key)
		}
	}
	return nil
}
