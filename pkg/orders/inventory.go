package orders

import (
	"context"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Hold states inside a SKU record.
const (
	HoldHeld     = "held"
	HoldReleased = "released"
)

// StockRecord is the stored state of one SKU: the stock on hand and the
// holds of recent sagas, in one item so that a hold and its stock change
// are one conditional write.
type StockRecord struct {
	SKU   string          `json:"sku"`
	Stock int64           `json:"stock"`
	Holds map[string]Hold `json:"holds,omitempty"`
}

// Hold is one saga's claim on a SKU, or its release tombstone. A hot SKU
// record carries every recent saga's hold and is decoded and encoded on
// each reservation, so the fields are short and the time is a number.
type Hold struct {
	Quantity int64  `json:"q"`
	State    string `json:"s"`
	// At is when the hold last changed, in Unix milliseconds.
	At int64 `json:"t"`
}

// Reservation is the inventory step's result.
type Reservation struct {
	ReservationID string `json:"reservationId"`
	Items         []Item `json:"items"`
	TotalCents    int64  `json:"totalCents"`
}

// StockKey is where a SKU's record lives.
func StockKey(sku string) store.Key { return store.Key{Partition: "inventory", Sort: "sku#" + sku} }

// Stock returns the stock on hand of sku (the catalog's when untouched).
func (s *Services) Stock(ctx context.Context, sku string) (int64, error) {
	rec, err := update(ctx, s.store, StockKey(sku), func(cur StockRecord, exists bool) (StockRecord, bool, error) {
		if !exists {
			cur = StockRecord{SKU: sku, Stock: s.catalog[sku].Stock}
		}
		return cur, false, nil
	})
	return rec.Stock, err
}

// prune drops holds older than the retention, so hot SKU records stay small.
func (s *Services) prune(rec *StockRecord, now time.Time) {
	for id, h := range rec.Holds {
		if now.Sub(time.UnixMilli(h.At)) > s.retention {
			delete(rec.Holds, id)
		}
	}
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
		_, err := update(ctx, s.store, StockKey(l.SKU), func(cur StockRecord, exists bool) (StockRecord, bool, error) {
			if !exists {
				cur = StockRecord{SKU: l.SKU, Stock: s.catalog[l.SKU].Stock}
			}
			switch h := cur.Holds[id]; h.State {
			case HoldHeld:
				return cur, false, nil
			case HoldReleased:
				return cur, false, &faas.Error{Name: saga.ErrHanging, Message: "saga " + id + " was already released"}
			}
			if cur.Stock < l.Quantity {
				return cur, false, saga.Business("no stock for %s: %d on hand, %d ordered", l.SKU, cur.Stock, l.Quantity)
			}
			now := s.now().UTC()
			s.prune(&cur, now)
			if cur.Holds == nil {
				cur.Holds = map[string]Hold{}
			}
			cur.Stock -= l.Quantity
			cur.Holds[id] = Hold{Quantity: l.Quantity, State: HoldHeld, At: now.UnixMilli()}
			return cur, true, nil
		})
		if err != nil {
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
		if err := s.release(ctx, id, taken, false); err != nil {
			return Reservation{}, err
		}
		return Reservation{}, refusal
	}
	return Reservation{ReservationID: id, Items: lines, TotalCents: s.total(lines)}, nil
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
	return s.release(ctx, id, lines, true)
}

func (s *Services) release(ctx context.Context, id string, lines []Item, tombstone bool) error {
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.SKU] {
			continue
		}
		seen[l.SKU] = true
		_, err := update(ctx, s.store, StockKey(l.SKU), func(cur StockRecord, exists bool) (StockRecord, bool, error) {
			if !exists {
				cur = StockRecord{SKU: l.SKU, Stock: s.catalog[l.SKU].Stock}
			}
			h, ok := cur.Holds[id]
			if ok && h.State == HoldReleased || !ok && !tombstone {
				return cur, false, nil
			}
			now := s.now().UTC()
			s.prune(&cur, now)
			if cur.Holds == nil {
				cur.Holds = map[string]Hold{}
			}
			if h.State == HoldHeld {
				cur.Stock += h.Quantity
			}
			if tombstone {
				cur.Holds[id] = Hold{Quantity: h.Quantity, State: HoldReleased, At: now.UnixMilli()}
			} else {
				delete(cur.Holds, id)
			}
			return cur, true, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
