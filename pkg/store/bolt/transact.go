package bolt

import (
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Transact implements store.Store: all ops run in one bbolt read-write
// transaction (shared with other writes under GroupCommit, whose shared
// transactions are all or nothing too), so they are durable together or not
// at all. A transaction whose conditions already fail in a read-only
// snapshot is refused without a write transaction, as precheck does for
// single writes: duplicate deliveries are the common case for exactly-once
// counting.
func (s *Store) Transact(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt transact: %w", err)
	}
	if err := store.ValidateTransaction(ops); err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	// Values are copied once: the caller may reuse its buffers as soon as we
	// return, and the closure below may run twice.
	ops = append([]store.Op(nil), ops...)
	for i := range ops {
		ops[i].Item.Value = append([]byte{}, ops[i].Item.Value...)
	}
	var outcome error
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		outcome, err = checkTx(tx, ops, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("bolt transact: %w", err)
	}
	if outcome != nil {
		return outcome
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		now := s.now()
		var err error
		if outcome, err = checkTx(tx, ops, now); err != nil || outcome != nil {
			return err // an outcome rolls back nothing shared with others
		}
		for _, op := range ops {
			if err := apply(tx, op, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt transact: %w", err)
	}
	return outcome
}

// checkTx evaluates ops in tx: outcome is what store.CheckTransaction
// decides, err a failure to read (a corrupt record).
func checkTx(tx *bbolt.Tx, ops []store.Op, now time.Time) (outcome, err error) {
	outcome = store.CheckTransaction(ops, func(key store.Key) (store.Current, error) {
		cur, ok, rerr := live(tx, key, now)
		if rerr != nil {
			err = rerr
			return store.Current{}, rerr
		}
		if !ok {
			return store.Current{}, nil
		}
		return store.Current{Version: cur.version, Counter: cur.counter}, nil
	})
	if err != nil {
		return nil, err
	}
	return outcome, nil
}

// apply writes one op whose condition holds in tx.
func apply(tx *bbolt.Tx, op store.Op, now time.Time) error {
	key := op.Item.Key
	switch op.Kind {
	case store.OpPut:
		cur, ok, err := live(tx, key, now)
		if err != nil {
			return err
		}
		r := record{version: 1, expiresAt: op.Item.ExpiresAt, value: op.Item.Value}
		if ok {
			r.version = cur.version + 1
		}
		return write(tx, key, r)
	case store.OpAdd:
		cur, ok, err := live(tx, key, now)
		if err != nil {
			return err
		}
		r, err := added(key, cur, ok, op.Delta)
		if err != nil {
			return err
		}
		if !op.Item.ExpiresAt.IsZero() {
			r.expiresAt = op.Item.ExpiresAt
		}
		return write(tx, key, r)
	case store.OpDelete:
		return remove(tx, key)
	}
	return nil // OpCheck writes nothing
}
