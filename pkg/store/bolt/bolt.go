// Package bolt is the embedded store.Store: one bbolt file in a data
// directory, for the local runtime and single-host deployments.
//
// Every write, and every Transact as a whole, is committed in one bbolt
// read-write transaction that is fsynced before the call returns (bbolt's
// default), so an acknowledged write survives a crash. bbolt has one writer at a time, so by default each
// write pays for its own fsync and parallel writers queue behind each other.
// With Config.GroupCommit one committer goroutine runs every write that
// queued up while the previous commit was syncing in a single transaction:
// many writers share one fsync, and a lone writer waits for no timer.
//
// A Store is safe for concurrent use by goroutines of one process; bbolt
// locks the file, so a second process opening it waits (up to OpenTimeout).
// Expired items are hidden on read and removed by Sweep.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/cogniforge/cogniforge/pkg/store"
)

var (
	_ store.Store  = (*Store)(nil)
	_ store.Seeker = (*Store)(nil)
)

// FileName is the name of the database file inside Config.Dir.
const FileName = "store.db"

// ErrLocked is wrapped by Open when another process holds the data
// directory's file past OpenTimeout.
var ErrLocked = errors.New("bolt: data directory in use")

// ErrNoStore is wrapped by Open when Config.MustExist is set and the data
// directory holds no store: a read-only command given a mistyped directory
// says so instead of creating an empty store there.
var ErrNoStore = errors.New("bolt: no store in the data directory")

// rootBucket holds one nested bucket per partition, keyed by sort key, so
// partitions never bleed into each other whatever characters keys contain.
var rootBucket = []byte("items")

// Config says where and how to open a Store.
type Config struct {
	// Dir is the data directory; it is created (0o700) if missing and the
	// database is Dir/FileName. Required.
	Dir string
	// Now is the clock expiry is judged by. Nil means time.Now.
	Now func() time.Time
	// GroupCommit makes concurrent writes share a transaction and its fsync
	// (see the package doc). Writes stay serialisable: each sees the ones
	// committed before it in the same transaction. Off by default.
	GroupCommit bool
	// MaxBatchSize caps writes per shared transaction. Zero means 1000.
	MaxBatchSize int
	// OpenTimeout bounds the wait for the file lock held by another
	// process. Zero means 5s.
	OpenTimeout time.Duration
	// NoSync skips fsync: only for throwaway data (benchmark baselines).
	NoSync bool
	// MustExist makes Open fail with ErrNoStore, creating nothing, when
	// Dir holds no store yet (read-only commands set it).
	MustExist bool
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("bolt: Dir is required"))
	}
	if c.MaxBatchSize < 0 {
		errs = append(errs, fmt.Errorf("bolt: MaxBatchSize %d is negative", c.MaxBatchSize))
	}
	if c.OpenTimeout < 0 {
		errs = append(errs, fmt.Errorf("bolt: OpenTimeout %s is negative", c.OpenTimeout))
	}
	return errors.Join(errs...)
}

// Store is a store.Store on one bbolt file.
type Store struct {
	db    *bbolt.DB
	now   func() time.Time
	group *committer // nil without GroupCommit
}

// Open opens (creating if needed) the store in cfg.Dir. Close releases it.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MustExist {
		if _, err := os.Stat(filepath.Join(cfg.Dir, FileName)); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has no %s (nothing has run with this --data-dir; is it mistyped?)", ErrNoStore, cfg.Dir, FileName)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create data dir: %w", err)
	}
	timeout := cfg.OpenTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	db, err := bbolt.Open(filepath.Join(cfg.Dir, FileName), 0o600, &bbolt.Options{Timeout: timeout, NoSync: cfg.NoSync})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s is held by another process (one process at a time may use a data directory: stop the `cogniforge run` using it, or pick another): %w", ErrLocked, cfg.Dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", cfg.Dir, err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(rootBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: init: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, now: now}
	if cfg.GroupCommit {
		size := cfg.MaxBatchSize
		if size == 0 {
			size = 1000
		}
		s.group = newCommitter(db, size)
	}
	return s, nil
}

// Close waits for queued writes, then closes the database file. No method
// may be called after Close.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

// record is the stored form of an item:
//
//	flags(1) version(8) expiresSec(8) expiresNsec(4) value
//
// flags bit 0 marks counters, bit 1 an expiry (without it the item never
// expires and the expiry fields are zero).
type record struct {
	counter   bool
	version   int64
	expiresAt time.Time
	value     []byte
}

const (
	headerLen   = 1 + 8 + 8 + 4
	flagCounter = 1 << 0
	flagExpires = 1 << 1
	knownFlags  = flagCounter | flagExpires
)

func (r record) encode() []byte {
	b := make([]byte, headerLen+len(r.value))
	if r.counter {
		b[0] |= flagCounter
	}
	binary.BigEndian.PutUint64(b[1:], uint64(r.version))
	if !r.expiresAt.IsZero() {
		b[0] |= flagExpires
		binary.BigEndian.PutUint64(b[9:], uint64(r.expiresAt.Unix()))
		binary.BigEndian.PutUint32(b[17:], uint32(r.expiresAt.Nanosecond()))
	}
	copy(b[headerLen:], r.value)
	return b
}

var errCorrupt = errors.New("bolt: corrupt record")

// decode parses b, which belongs to bbolt: value is copied out.
func decode(b []byte) (record, error) {
	if len(b) < headerLen || b[0]&^knownFlags != 0 {
		return record{}, fmt.Errorf("%w: %d bytes", errCorrupt, len(b))
	}
	r := record{counter: b[0]&flagCounter != 0, version: int64(binary.BigEndian.Uint64(b[1:]))}
	if b[0]&flagExpires != 0 {
		sec, nsec := int64(binary.BigEndian.Uint64(b[9:])), int64(binary.BigEndian.Uint32(b[17:]))
		r.expiresAt = time.Unix(sec, nsec).UTC()
	}
	r.value = append([]byte{}, b[headerLen:]...)
	return r, nil
}

func (r record) item(key store.Key) store.Item {
	return store.Item{Key: key, Value: r.value, Version: r.version, ExpiresAt: r.expiresAt}
}

// live reads the record at key from tx; ok is false when it is absent or
// expired at now.
func live(tx *bbolt.Tx, key store.Key, now time.Time) (record, bool, error) {
	part := tx.Bucket(rootBucket).Bucket([]byte(key.Partition))
	if part == nil {
		return record{}, false, nil
	}
	b := part.Get([]byte(key.Sort))
	if b == nil {
		return record{}, false, nil
	}
	r, err := decode(b)
	if err != nil {
		return record{}, false, fmt.Errorf("%s/%s: %w", key.Partition, key.Sort, err)
	}
	if store.Expired(r.expiresAt, now) {
		return record{}, false, nil
	}
	return r, true, nil
}

func write(tx *bbolt.Tx, key store.Key, r record) error {
	part, err := tx.Bucket(rootBucket).CreateBucketIfNotExists([]byte(key.Partition))
	if err != nil {
		return err
	}
	return part.Put([]byte(key.Sort), r.encode())
}

func remove(tx *bbolt.Tx, key store.Key) error {
	root := tx.Bucket(rootBucket)
	part := root.Bucket([]byte(key.Partition))
	if part == nil {
		return nil
	}
	if err := part.Delete([]byte(key.Sort)); err != nil {
		return err
	}
	if k, _ := part.Cursor().First(); k == nil {
		return root.DeleteBucket([]byte(key.Partition))
	}
	return nil
}

// update runs fn in a durable read-write transaction, shared with other
// writers under GroupCommit. fn may run more than once (a shared transaction
// that fails is retried one write at a time), so it must set its results
// afresh each time; outcomes that are not failures of the transaction (a
// failed condition) are returned through the closure, not as fn's error, so
// they do not roll back the writes sharing the transaction.
func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.group != nil {
		return s.group.do(fn)
	}
	return s.db.Update(fn)
}

// precheck fails a conditional write whose condition already fails in a
// read-only snapshot, without a write transaction and its fsync: duplicates
// (an IfAbsent on a key that exists) are the common case for idempotency
// and barriers. This is linearizable: the snapshot is a state the store was
// in during the call. A condition that holds is checked again when writing.
func (s *Store) precheck(ctx context.Context, key store.Key, cond store.Condition) error {
	if cond == (store.Condition{}) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	var condErr error
	err := s.db.View(func(tx *bbolt.Tx) error {
		cur, ok, err := live(tx, key, s.now())
		if err != nil {
			return err
		}
		var current int64
		if ok {
			current = cur.version
		}
		condErr = cond.Check(key, current)
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return condErr
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("bolt get: %w", err)
	}
	if err := key.Validate(); err != nil {
		return store.Item{}, err
	}
	var (
		r  record
		ok bool
	)
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		r, ok, err = live(tx, key, s.now())
		return err
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("bolt get: %w", err)
	}
	if !ok {
		return store.Item{}, fmt.Errorf("bolt get %s/%s: %w", key.Partition, key.Sort, store.ErrNotFound)
	}
	return r.item(key), nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, it store.Item, cond store.Condition) (store.Item, error) {
	if err := it.Key.Validate(); err != nil {
		return store.Item{}, err
	}
	if err := cond.Validate(); err != nil {
		return store.Item{}, err
	}
	if err := s.precheck(ctx, it.Key, cond); err != nil {
		return store.Item{}, err
	}
	value := append([]byte{}, it.Value...)
	var (
		out     store.Item
		condErr error
	)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		condErr = nil
		cur, ok, err := live(tx, it.Key, s.now())
		if err != nil {
			return err
		}
		var current int64
		if ok {
			current = cur.version
		}
		if condErr = cond.Check(it.Key, current); condErr != nil {
			return nil
		}
		r := record{version: current + 1, expiresAt: it.ExpiresAt, value: value}
		out = r.item(it.Key)
		return write(tx, it.Key, r)
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("bolt put: %w", err)
	}
	if condErr != nil {
		return store.Item{}, condErr
	}
	out.Value = append([]byte{}, value...)
	return out, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key store.Key, cond store.Condition) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if err := cond.Validate(); err != nil {
		return err
	}
	if err := s.precheck(ctx, key, cond); err != nil {
		return err
	}
	var condErr error
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		condErr = nil
		cur, ok, err := live(tx, key, s.now())
		if err != nil {
			return err
		}
		var current int64
		if ok {
			current = cur.version
		}
		if condErr = cond.Check(key, current); condErr != nil {
			return nil
		}
		return remove(tx, key)
	})
	if err != nil {
		return fmt.Errorf("bolt delete: %w", err)
	}
	return condErr
}

// Add implements store.Store.
func (s *Store) Add(ctx context.Context, key store.Key, delta int64) (int64, error) {
	if err := key.Validate(); err != nil {
		return 0, err
	}
	var (
		n      int64
		addErr error
	)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		addErr, n = nil, 0
		cur, ok, err := live(tx, key, s.now())
		if err != nil {
			return err
		}
		if ok && !cur.counter {
			addErr = fmt.Errorf("bolt add %s/%s: %w", key.Partition, key.Sort, store.ErrNotCounter)
			return nil
		}
		r, err := added(key, cur, ok, delta)
		if err != nil {
			return err
		}
		n, _ = strconv.ParseInt(string(r.value), 10, 64)
		return write(tx, key, r)
	})
	if err != nil {
		return 0, fmt.Errorf("bolt add: %w", err)
	}
	return n, addErr
}

// added returns the counter at key after adding delta to cur, the live
// counter there (ok), or to a new counter at 0 without expiry when nothing
// is live. The counter keeps its expiry.
func added(key store.Key, cur record, ok bool, delta int64) (record, error) {
	r := record{counter: true}
	var n int64
	if ok {
		var err error
		if n, err = strconv.ParseInt(string(cur.value), 10, 64); err != nil {
			return record{}, fmt.Errorf("%s/%s: counter %q: %w", key.Partition, key.Sort, cur.value, errCorrupt)
		}
		r.version, r.expiresAt = cur.version, cur.expiresAt
	}
	r.version++
	r.value = strconv.AppendInt(nil, n+delta, 10)
	return r, nil
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	return s.QueryAfter(ctx, partition, prefix, "", limit)
}

// QueryAfter implements store.Seeker: the cursor seeks to after.
func (s *Store) QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]store.Item, error) {
	after, none := store.SeekRange(prefix, after)
	if none {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt query: %w", err)
	}
	if partition == "" {
		return nil, fmt.Errorf("%w: empty partition", store.ErrInvalidKey)
	}
	var items []store.Item
	err := s.db.View(func(tx *bbolt.Tx) error {
		part := tx.Bucket(rootBucket).Bucket([]byte(partition))
		if part == nil {
			return nil
		}
		now := s.now()
		p := []byte(prefix)
		from := p
		if after != "" {
			from = []byte(after)
		}
		c := part.Cursor()
		for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if after != "" && string(k) == after {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", partition, k, err)
			}
			if store.Expired(r.expiresAt, now) {
				continue
			}
			items = append(items, r.item(store.Key{Partition: partition, Sort: string(k)}))
			if limit > 0 && len(items) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt query: %w", err)
	}
	return items, nil
}

// Sweep removes every expired item, in one transaction, and returns how many
// it removed.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bolt sweep: %w", err)
	}
	var n int
	err := s.db.Update(func(tx *bbolt.Tx) error {
		n = 0
		now := s.now()
		var expired []store.Key
		root := tx.Bucket(rootBucket)
		err := root.ForEachBucket(func(name []byte) error {
			return root.Bucket(name).ForEach(func(k, v []byte) error {
				r, err := decode(v)
				if err != nil {
					return fmt.Errorf("%s/%s: %w", name, k, err)
				}
				if store.Expired(r.expiresAt, now) {
					expired = append(expired, store.Key{Partition: string(name), Sort: string(k)})
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		for _, key := range expired {
			if err := remove(tx, key); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt sweep: %w", err)
	}
	return n, nil
}
