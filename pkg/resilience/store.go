package resilience

import (
	"context"
	"errors"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Store is a store.Store whose calls go through a policy (the saga steps'
// store calls). Reads (Get, Query) and unconditional writes (Put, Delete
// without a condition) are retried when the policy's calls are
// idempotent; a conditional write, an Add and a Transact never are: after
// a timeout the first attempt may have been applied, and a retry would
// then fail its condition (reporting a lost race that was won) or add
// twice. The port's own answers (ErrNotFound, ErrConditionFailed, the
// invalid-argument errors) are results, not failures: not retried, not
// counted by a breaker, returned unchanged. A store's breaker state lives
// in a store, so a policy for the store itself is best configured without
// a breaker (Downstream.NoBreaker).
type Store struct {
	Policy *Policy
	Next   store.Store
}

var _ store.Store = Store{}

// answer marks the port's own answers permanent.
func answer(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConditionFailed), errors.Is(err, store.ErrInvalidKey),
		errors.Is(err, store.ErrInvalidCondition), errors.Is(err, store.ErrNotCounter), errors.Is(err, store.ErrInvalidTransaction):
		return Permanent(err)
	}
	return err
}

// unwrapAnswer returns the port's answer as the port gave it.
func unwrapAnswer(err error) error {
	if p, ok := err.(*permanentErr); ok {
		return p.err
	}
	return err
}

func storeDo[T any](ctx context.Context, p *Policy, retry bool, fn func(context.Context) (T, error)) (T, error) {
	if !retry {
		ctx = WithIdempotent(ctx, false)
	}
	v, err := Do(ctx, p, func(ctx context.Context) (T, error) {
		v, err := fn(ctx)
		return v, answer(err)
	})
	return v, unwrapAnswer(err)
}

// Get implements store.Store.
func (s Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	return storeDo(ctx, s.Policy, true, func(ctx context.Context) (store.Item, error) { return s.Next.Get(ctx, key) })
}

// Put implements store.Store.
func (s Store) Put(ctx context.Context, item store.Item, cond store.Condition) (store.Item, error) {
	return storeDo(ctx, s.Policy, cond == (store.Condition{}), func(ctx context.Context) (store.Item, error) { return s.Next.Put(ctx, item, cond) })
}

// Delete implements store.Store.
func (s Store) Delete(ctx context.Context, key store.Key, cond store.Condition) error {
	_, err := storeDo(ctx, s.Policy, cond == (store.Condition{}), func(ctx context.Context) (struct{}, error) { return struct{}{}, s.Next.Delete(ctx, key, cond) })
	return err
}

// Add implements store.Store.
func (s Store) Add(ctx context.Context, key store.Key, delta int64) (int64, error) {
	return storeDo(ctx, s.Policy, false, func(ctx context.Context) (int64, error) { return s.Next.Add(ctx, key, delta) })
}

// Query implements store.Store.
func (s Store) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	return storeDo(ctx, s.Policy, true, func(ctx context.Context) ([]store.Item, error) { return s.Next.Query(ctx, partition, prefix, limit) })
}

// Transact implements store.Store.
func (s Store) Transact(ctx context.Context, ops []store.Op) error {
	_, err := storeDo(ctx, s.Policy, false, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.Next.Transact(ctx, ops) })
	return err
}
