// Package idempotency makes a function run at most once per key, with the
// semantics of Powertools for AWS Lambda's idempotency utility, on any
// store.Store with conditional writes (so it holds across Lambda instances
// when the store is DynamoDB).
//
// For each key a record is kept in the store:
//
//   - Before the function runs, an in-progress record is written with
//     IfAbsent. It may be taken over once the invocation's deadline
//     (ctx.Deadline, else Config.MaxInProgress) has passed, which is how the
//     work of a crashed invocation gets done.
//   - A duplicate that arrives while the record is in progress gets
//     ErrInProgress (retryable); one that arrives after completion gets the
//     stored result without the function running.
//   - When the function succeeds, the record becomes completed and holds its
//     JSON result for Config.ExpiresAfter. When it fails, the record is
//     deleted so a retry runs it again.
//   - The payload's SHA-256 is stored; the same key with another payload
//     gets ErrPayloadMismatch.
//
// Every step is a versioned conditional write, so a late invocation that
// outlived its deadline cannot overwrite the record of the one that took
// over; it gets ErrPersistence instead.
//
// A Guard is safe for concurrent use. Use Do around any function, or
// Middleware around a faas.Handler.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Config configures a Guard.
type Config struct {
	// Store keeps the records. Required. Use one with conditional writes
	// shared by every instance (DynamoDB) when duplicates can reach
	// different instances.
	Store store.Store
	// Namespace separates the records of different functions in one store;
	// use the function's name. Zero means "default".
	Namespace string
	// KeyPath selects the key in the event's JSON data, e.g. "$.orderId"
	// (see ParsePath). Empty means the CloudEvent's source and id. Only the
	// Middleware uses it; Do takes the key as an argument.
	KeyPath string
	// PayloadPath selects the part of the event's data whose hash must match
	// between duplicates (see ParsePath), e.g. "$.order" when the data also
	// carries a per-delivery timestamp. Empty means all of the data. Only
	// the Middleware uses it; Do hashes its payload argument.
	PayloadPath string
	// RequireKey makes an event without a key at KeyPath fail with
	// ErrKeyMissing. By default such an event runs unguarded, as in
	// Powertools.
	RequireKey bool
	// ExpiresAfter is how long a completed record (and the result it holds)
	// is kept. Zero means one hour.
	ExpiresAfter time.Duration
	// MaxInProgress is how long an in-progress record blocks duplicates when
	// the context has no deadline. Zero means 15 minutes, the longest a
	// Lambda invocation can run.
	MaxInProgress time.Duration
	// Now is the clock records expire by. Nil means time.Now.
	Now func() time.Time
}

// Defaults for the zero values of Config.
const (
	DefaultNamespace     = "default"
	DefaultExpiresAfter  = time.Hour
	DefaultMaxInProgress = 15 * time.Minute
)

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("idempotency: Store is required"))
	}
	if c.KeyPath != "" {
		if _, err := ParsePath(c.KeyPath); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PayloadPath != "" {
		if _, err := ParsePath(c.PayloadPath); err != nil {
			errs = append(errs, fmt.Errorf("PayloadPath: %w", err))
		}
	}
	if c.ExpiresAfter < 0 {
		errs = append(errs, fmt.Errorf("idempotency: ExpiresAfter %s is negative", c.ExpiresAfter))
	}
	if c.MaxInProgress < 0 {
		errs = append(errs, fmt.Errorf("idempotency: MaxInProgress %s is negative", c.MaxInProgress))
	}
	return errors.Join(errs...)
}

// Guard runs functions at most once per key.
type Guard struct {
	store         store.Store
	partition     string
	path          *Path
	payloadPath   *Path
	requireKey    bool
	expiresAfter  time.Duration
	maxInProgress time.Duration
	now           func() time.Time
}

// New returns a Guard for cfg.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Guard{
		store:         cfg.Store,
		partition:     "idempotency#" + cfg.Namespace,
		requireKey:    cfg.RequireKey,
		expiresAfter:  cfg.ExpiresAfter,
		maxInProgress: cfg.MaxInProgress,
		now:           cfg.Now,
	}
	if cfg.Namespace == "" {
		g.partition = "idempotency#" + DefaultNamespace
	}
	if cfg.KeyPath != "" {
		p, _ := ParsePath(cfg.KeyPath) // checked by Validate
		g.path = &p
	}
	if cfg.PayloadPath != "" {
		p, _ := ParsePath(cfg.PayloadPath)
		g.payloadPath = &p
	}
	if g.expiresAfter == 0 {
		g.expiresAfter = DefaultExpiresAfter
	}
	if g.maxInProgress == 0 {
		g.maxInProgress = DefaultMaxInProgress
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// maxAttempts bounds the claim loop: each round trip follows a record that
// changed under us (deleted, expired, taken over), which settles quickly.
const maxAttempts = 4

// storeKey spreads records over partitions (one per key, as DynamoDB
// prefers) and bounds their length whatever the key is.
func (g *Guard) storeKey(key string) store.Key {
	sum := sha256.Sum256([]byte(key))
	return store.Key{Partition: g.partition + "#" + hex.EncodeToString(sum[:]), Sort: "record"}
}

func payloadHash(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// inProgressUntil is the invocation's deadline on the Guard's clock: the
// time left on ctx is measured on the real clock and added to g.now, so fake
// clocks work.
func (g *Guard) inProgressUntil(ctx context.Context) time.Time {
	left := g.maxInProgress
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	return g.now().Add(left)
}

func persistence(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrPersistence, op, err)
}

// claim makes the caller the owner of key, returning the version of the
// in-progress record it wrote, or the stored result of a completed
// invocation (done true).
func (g *Guard) claim(ctx context.Context, k store.Key, hash string) (version int64, result json.RawMessage, done bool, err error) {
	for range maxAttempts {
		until := g.inProgressUntil(ctx)
		rec, err := record{Status: statusInProgress, Hash: hash, Until: until.UnixNano()}.encode()
		if err != nil {
			return 0, nil, false, err
		}
		// The item outlives the in-progress deadline so that a takeover is
		// a versioned write (see package doc).
		item := store.Item{Key: k, Value: rec, ExpiresAt: until.Add(g.expiresAfter)}
		put, err := g.store.Put(ctx, item, store.Condition{IfAbsent: true})
		if err == nil {
			return put.Version, nil, false, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return 0, nil, false, persistence("claim", err)
		}
		cur, err := g.store.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // released or expired since our put
		}
		if err != nil {
			return 0, nil, false, persistence("read", err)
		}
		existing, err := decodeRecord(cur.Value)
		if err != nil {
			return 0, nil, false, persistence("read", err)
		}
		if existing.Hash != hash {
			return 0, nil, false, fmt.Errorf("%w: key seen with payload hash %.12s…, now %.12s…", ErrPayloadMismatch, existing.Hash, hash)
		}
		if existing.Status == statusCompleted {
			return 0, existing.Result, true, nil
		}
		if g.now().Before(existing.until()) {
			return 0, nil, false, fmt.Errorf("%w until %s", ErrInProgress, existing.until().UTC().Format(time.RFC3339Nano))
		}
		// The owner outlived its deadline: it crashed or was killed.
		put, err = g.store.Put(ctx, item, store.Condition{IfVersion: cur.Version})
		if err == nil {
			return put.Version, nil, false, nil
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			return 0, nil, false, persistence("take over", err)
		}
	}
	return 0, nil, false, fmt.Errorf("%w: record kept changing", ErrInProgress)
}

// run claims key, runs fn if this caller owns it and settles the record.
// fn returns the JSON result to store.
func (g *Guard) run(ctx context.Context, key string, payload []byte, fn func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty key", ErrKeyMissing)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := g.storeKey(key)
	hash := payloadHash(payload)
	version, stored, done, err := g.claim(ctx, k, hash)
	if err != nil {
		return nil, err
	}
	if done {
		return stored, nil
	}
	result, fnErr := fn(ctx)
	if fnErr != nil {
		// Release with a fresh context: the invocation's may be the reason
		// the function failed, and a record left behind blocks retries.
		if err := g.store.Delete(context.WithoutCancel(ctx), k, store.Condition{IfVersion: version}); err != nil && !errors.Is(err, store.ErrConditionFailed) {
			return nil, errors.Join(fnErr, persistence("release", err))
		}
		return nil, fnErr
	}
	rec, err := record{Status: statusCompleted, Hash: hash, Result: result}.encode()
	if err != nil {
		return result, persistence("save result", err)
	}
	item := store.Item{Key: k, Value: rec, ExpiresAt: g.now().Add(g.expiresAfter)}
	if _, err := g.store.Put(context.WithoutCancel(ctx), item, store.Condition{IfVersion: version}); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			err = errors.New("record was taken over after the in-progress deadline")
		}
		return result, persistence("save result", err)
	}
	return result, nil
}

// Do runs fn at most once for key (until the completed record expires) and
// returns its result, or the stored result of an earlier run. payload is
// what the caller got with the key (hashed to detect a reused key). T must
// round-trip through encoding/json.
//
// Errors: fn's own error (the record is released), ErrInProgress,
// ErrPayloadMismatch, ErrKeyMissing for an empty key, ErrPersistence. With
// ErrPersistence after fn succeeded, the returned value is fn's result even
// though it could not be stored.
func Do[T any](ctx context.Context, g *Guard, key string, payload []byte, fn func(context.Context) (T, error)) (T, error) {
	var (
		out T
		ran bool
	)
	raw, err := g.run(ctx, key, payload, func(ctx context.Context) (json.RawMessage, error) {
		v, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		out, ran = v, true
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("idempotency: encode result: %w", err)
		}
		return b, nil
	})
	if ran {
		return out, err
	}
	var stored T
	if err != nil {
		return stored, err
	}
	if err := json.Unmarshal(raw, &stored); err != nil {
		return stored, persistence("decode stored result", err)
	}
	return stored, nil
}
