package store

import (
	"context"
	"errors"
)

type OpKind int

const (
	OpPut OpKind = iota + 1
	OpAdd
	OpDelete
	OpCheck
)

type Op struct {
	Kind  OpKind
	Item  Item
	Cond  Condition
	Delta int64
}

const MaxTransactOps = 100

type TxError struct{ Failed []int }

func (e *TxError) Error() string { return "tx" }
func (e *TxError) Unwrap() error { return ErrConditionFailed }

var ErrInvalidTransaction = errors.New("store: invalid transaction")

type Transactor interface {
	Transact(ctx context.Context, ops []Op) error
}
