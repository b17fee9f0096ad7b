package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Stock layout. Every SKU has its own partition, "inventory#<sku>", so no
// partition key is shared by all SKUs. In it:
//
//   - one stock item (sort "stock", StockRecord): the quantity on hand and
//     the transfers in flight (Pending), at most one per saga currently
//     reserving or releasing this SKU, removed as soon as the transfer is
//     done, so its size depends on concurrency, not on how many orders
//     the SKU has seen;
//   - one hold item per saga (sort "hold#<sagaId>", Hold): the quantity
//     the saga holds, or its release tombstone, expiring after the hold
//     retention. A hold only ever goes absent -> held -> released, or
//     absent -> released.
//
// A transfer between the count and a hold touches two items, which the
// store cannot write in one transaction. The Pending entry makes it safe:
//
//	reserve: [count -= q, Pending[id] = reserve T]  put conditional on the count's version: never oversells
//	         hold#id = held, covers T               IfAbsent: a tombstone or another attempt's hold wins
//	         settle Pending[id]
//	release: [count += q, Pending[id] = release]    only while hold#id is held
//	         hold#id = released                     (or, with no hold, a tombstone written IfAbsent)
//	         settle Pending[id]
//
// Each reserve attempt that takes stock marks its entry with a random token
// T, and the hold records the token of the transfer it covers. Settling
// deletes a reserve entry the hold covers and gives back the stock of one
// it does not (an attempt that lost to a release, or a duplicate that took
// stock again after the hold was written); a release entry is deleted once
// the hold is released. Entries are deleted by conditional puts on the
// count, so each is given back at most once, and a crash anywhere leaves an
// entry that the next attempt, duplicate or compensation settles.
const (
	stockSort      = "stock"
	holdSortPrefix = "hold#"
)

// Hold states.
const (
	HoldHeld     = "held"
	HoldReleased = "released"
)

// Transfer kinds in StockRecord.Pending.
const (
	transferReserve = "reserve"
	transferRelease = "release"
)

// StockRecord is the stored state of one SKU: the stock on hand and the
// transfers in flight between it and the sagas' holds.
type StockRecord struct {
	SKU   string `json:"sku"`
	Stock int64  `json:"stock"`
	// Pending maps a saga id to its transfer in flight; empty at rest.
	Pending map[string]Transfer `json:"pending,omitempty"`
}

// Transfer is a move of stock between the SKU and one saga's hold that
// has begun and not finished.
type Transfer struct {
	Kind     string `json:"k"` // "reserve" or "release"
	Quantity int64  `json:"q"`
	// Token names the reserve attempt that took the stock.
	Token string `json:"x,omitempty"`
	// At is when it began, in Unix milliseconds.
	At int64 `json:"t"`
}

// Hold is one saga's claim on a SKU, or its release tombstone.
type Hold struct {
	Quantity int64  `json:"q"`
	State    string `json:"s"`
	// Token is the reserve transfer this hold covers ("" for a tombstone
	// written before any reservation).
	Token string `json:"x,omitempty"`
	// At is when the hold last changed, in Unix milliseconds.
	At int64 `json:"t"`
}

// Reservation is the inventory step's result.
type Reservation struct {
	ReservationID string `json:"reservationId"`
	Items         []Item `json:"items"`
	TotalCents    int64  `json:"totalCents"`
}

// StockPartition is the store partition of one SKU.
func StockPartition(sku string) string { return "inventory#" + sku }

// StockKey is where a SKU's stock record lives.
func StockKey(sku string) store.Key {
	return store.Key{Partition: StockPartition(sku), Sort: stockSort}
}

// HoldKey is where a saga's hold on a SKU lives.
func HoldKey(sku, sagaID string) store.Key {
	return store.Key{Partition: StockPartition(sku), Sort: holdSortPrefix + sagaID}
}

// Stock returns the stock on hand of sku (the catalog's when untouched).
func (s *Services) Stock(ctx context.Context, sku string) (int64, error) {
	rec, err := s.stock(ctx, sku, func(cur StockRecord) (StockRecord, bool, error) { return cur, false, nil })
	return rec.Stock, err
}

// stock updates a SKU's stock record (created from the catalog).
func (s *Services) stock(ctx context.Context, sku string, mutate func(cur StockRecord) (StockRecord, bool, error)) (StockRecord, error) {
	return update(ctx, s.store, StockKey(sku), func(cur StockRecord, exists bool) (StockRecord, bool, error) {
		if !exists {
			cur = StockRecord{SKU: sku, Stock: s.catalog[sku].Stock}
		}
		if cur.Pending == nil {
			cur.Pending = map[string]Transfer{}
		}
		return mutate(cur)
	})
}

// hold reads a saga's hold on sku; version 0 means none.
func (s *Services) hold(ctx context.Context, sku, id string) (Hold, int64, error) {
	it, err := s.store.Get(ctx, HoldKey(sku, id))
	if errors.Is(err, store.ErrNotFound) {
		return Hold{}, 0, nil
	}
	if err != nil {
		return Hold{}, 0, err
	}
	var h Hold
	if err := json.Unmarshal(it.Value, &h); err != nil {
		return Hold{}, 0, fmt.Errorf("orders: hold %s/%s: %w", sku, id, err)
	}
	return h, it.Version, nil
}

// putHold writes a saga's hold, expiring after the retention.
func (s *Services) putHold(ctx context.Context, sku, id string, h Hold, cond store.Condition) error {
	now := s.now().UTC()
	h.At = now.UnixMilli()
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = s.store.Put(ctx, store.Item{Key: HoldKey(sku, id), Value: b, ExpiresAt: now.Add(s.retention)}, cond)
	return err
}

// settle finishes the saga's transfer on sku as the hold h (state ""
// when there is none) says: a reserve entry the hold covers is deleted, one
// it does not cover gives its stock back; a release entry is deleted once
// the hold is released.
func (s *Services) settle(ctx context.Context, sku, id string, h Hold) error {
	_, err := s.stock(ctx, sku, func(cur StockRecord) (StockRecord, bool, error) {
		tr, ok := cur.Pending[id]
		switch {
		case !ok:
			return cur, false, nil
		case tr.Kind == transferReserve:
			if h.State == "" || tr.Token != h.Token {
				cur.Stock += tr.Quantity
			}
		case h.State != HoldReleased:
			return cur, false, nil // a release still on its way
		}
		delete(cur.Pending, id)
		return cur, true, nil
	})
	return err
}

// Reserve takes a hold on every line of the order for the saga. Re-running
// it after a crash skips the holds already taken; after the saga's release
// it refuses (Saga.Hanging) and takes nothing.
func (s *Services) Reserve(ctx context.Context, in OrderInput) (Reservation, error) {
	id, err := actionSaga(ctx, in)
	if err != nil {
		return Reservation{}, err
	}
	lines, err := s.lines(in.Items)
	if err != nil {
		return Reservation{}, err
	}
	var refusal error
	var taken []Item
	for _, l := range lines {
		if err := s.reserve(ctx, id, l); err != nil {
			if !saga.IsBusiness(err) {
				return Reservation{}, err // transient: the retry or the compensation finishes it
			}
			refusal = err
			break
		}
		taken = append(taken, l)
	}
	if refusal != nil {
		// A refused step must leave nothing behind: give back what this
		// call took. If that fails, the error is transient and the saga's
		// compensation releases it.
		if err := s.release(ctx, id, taken); err != nil {
			return Reservation{}, err
		}
		return Reservation{}, refusal
	}
	return Reservation{ReservationID: id, Items: lines, TotalCents: s.total(lines)}, nil
}

// reserve takes the saga's hold on one line (see the layout above).
func (s *Services) reserve(ctx context.Context, id string, l Item) error {
	h, v, err := s.hold(ctx, l.SKU, id)
	if err != nil {
		return err
	}
	if v != 0 {
		// An earlier attempt held it, or the release came first: settle
		// whatever an attempt left in flight.
		if err := s.settle(ctx, l.SKU, id, h); err != nil {
			return err
		}
		if h.State == HoldReleased {
			return &faas.Error{Name: saga.ErrHanging, Message: "saga " + id + " was already released"}
		}
		return nil
	}
	token := newToken()
	covers := token
	if _, err := s.stock(ctx, l.SKU, func(cur StockRecord) (StockRecord, bool, error) {
		if tr, ok := cur.Pending[id]; ok {
			// An attempt in flight (or crashed) took the stock already:
			// the hold written now covers its transfer.
			covers = tr.Token
			return cur, false, nil
		}
		covers = token
		if cur.Stock < l.Quantity {
			return cur, false, saga.Business("no stock for %s: %d on hand, %d ordered", l.SKU, cur.Stock, l.Quantity)
		}
		cur.Stock -= l.Quantity
		cur.Pending[id] = Transfer{Kind: transferReserve, Quantity: l.Quantity, Token: token, At: s.now().UTC().UnixMilli()}
		return cur, true, nil
	}); err != nil {
		return err
	}
	held := Hold{Quantity: l.Quantity, State: HoldHeld, Token: covers}
	err = s.putHold(ctx, l.SKU, id, held, store.Condition{IfAbsent: true})
	if errors.Is(err, store.ErrConditionFailed) {
		// Another attempt held it, or the release came first.
		if held, _, err = s.hold(ctx, l.SKU, id); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if err := s.settle(ctx, l.SKU, id, held); err != nil {
		return err
	}
	if held.State == HoldReleased {
		return &faas.Error{Name: saga.ErrHanging, Message: "saga " + id + " was released while it reserved; undone"}
	}
	return nil
}

// newToken names one reserve attempt.
func newToken() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

// Release gives back the saga's holds on the order's SKUs and leaves a
// release tombstone on each, so a late Reserve takes nothing.
func (s *Services) Release(ctx context.Context, in OrderInput) error {
	id, err := sagaID(ctx)
	if err != nil {
		return err
	}
	var lines []Item
	for _, it := range in.Items {
		if _, ok := s.catalog[it.SKU]; ok {
			lines = append(lines, it)
		}
	}
	return s.release(ctx, id, lines)
}

// release gives back the saga's hold on each line's SKU and leaves a
// release tombstone, so a late reservation takes nothing.
func (s *Services) release(ctx context.Context, id string, lines []Item) error {
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.SKU] {
			continue
		}
		seen[l.SKU] = true
		if err := s.releaseOne(ctx, id, l.SKU); err != nil {
			return err
		}
	}
	return nil
}

func (s *Services) releaseOne(ctx context.Context, id, sku string) error {
	retry := contention()
	for range 16 {
		h, v, err := s.hold(ctx, sku, id)
		if err != nil {
			return err
		}
		switch {
		case v == 0:
			h = Hold{State: HoldReleased}
			err = s.putHold(ctx, sku, id, h, store.Condition{IfAbsent: true})
		case h.State == HoldHeld:
			// Give the stock back first, marked: a retry after a crash
			// here does not give it back twice.
			if _, err := s.stock(ctx, sku, func(cur StockRecord) (StockRecord, bool, error) {
				tr, ok := cur.Pending[id]
				if ok && tr.Kind == transferRelease {
					return cur, false, nil
				}
				if ok && tr.Token != h.Token {
					cur.Stock += tr.Quantity // a reservation the hold does not cover
				}
				cur.Stock += h.Quantity
				cur.Pending[id] = Transfer{Kind: transferRelease, Quantity: h.Quantity, At: s.now().UTC().UnixMilli()}
				return cur, true, nil
			}); err != nil {
				return err
			}
			h.State = HoldReleased
			err = s.putHold(ctx, sku, id, h, store.Condition{IfVersion: v})
		}
		if errors.Is(err, store.ErrConditionFailed) {
			if err := pause(ctx, retry.NextBackOff()); err != nil {
				return err
			}
			continue // the hold changed under us: look again
		}
		if err != nil {
			return err
		}
		return s.settle(ctx, sku, id, h)
	}
	return fmt.Errorf("orders: hold %s/%s: too many concurrent writers", sku, id)
}
