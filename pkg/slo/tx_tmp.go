package slo

import (
	"context"
	"errors"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// TEMPORARY until store.Transact lands: not atomic.
func transact(ctx context.Context, s store.Store, ops []store.Op) error {
	var failed []int
	for i, op := range ops {
		if op.Kind == store.OpPut && op.Cond.IfAbsent {
			if _, err := s.Get(ctx, op.Item.Key); err == nil {
				failed = append(failed, i)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if failed != nil {
		return &store.TxError{Failed: failed}
	}
	for _, op := range ops {
		switch op.Kind {
		case store.OpPut:
			if _, err := s.Put(ctx, op.Item, op.Cond); err != nil {
				return err
			}
		case store.OpAdd:
			if _, err := s.Add(ctx, op.Item.Key, op.Delta); err != nil {
				return err
			}
		}
	}
	return nil
}
