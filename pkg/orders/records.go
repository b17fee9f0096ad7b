package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// States of the per-saga records of payment, shipping and order.
const (
	Charged   = "charged"
	Refunded  = "refunded"
	Voided    = "voided" // refund tombstone: the charge never happened
	Created   = "created"
	Confirmed = "confirmed"
	Cancelled = "cancelled"
)

// Charge is the payment step's result and stored record.
type Charge struct {
	ChargeID    string    `json:"chargeId"`
	State       string    `json:"state"`
	AmountCents int64     `json:"amountCents"`
	CustomerID  string    `json:"customerId,omitempty"`
	At          time.Time `json:"at"`
}

// Shipment is the shipping step's result and stored record.
type Shipment struct {
	ShipmentID string    `json:"shipmentId"`
	State      string    `json:"state"`
	Country    string    `json:"country,omitempty"`
	At         time.Time `json:"at"`
}

// Confirmation is the order step's result and stored record.
type Confirmation struct {
	OrderID    string    `json:"orderId"`
	State      string    `json:"state"`
	CustomerID string    `json:"customerId,omitempty"`
	Items      []Item    `json:"items,omitempty"`
	At         time.Time `json:"at"`
}

// Keys of the per-saga records.
func PaymentKey(sagaID string) store.Key  { return store.Key{Partition: "payment", Sort: sagaID} }
func ShipmentKey(sagaID string) store.Key { return store.Key{Partition: "shipping", Sort: sagaID} }
func OrderKey(sagaID string) store.Key    { return store.Key{Partition: "order", Sort: sagaID} }

// Record reads a per-saga record (tests and operators).
func Record[T any](ctx context.Context, st store.Store, key store.Key) (T, bool, error) {
	var found bool
	v, err := update(ctx, st, key, func(cur T, exists bool) (T, bool, error) {
		found = exists
		return cur, false, nil
	})
	return v, found, err
}

// settle is the shared shape of a per-saga action: done answers an existing
// record (or refuses a tombstoned one), fresh builds the new one.
func settle[T any](ctx context.Context, st store.Store, key store.Key, done func(cur T) (T, error), fresh func() (T, error)) (T, error) {
	return update(ctx, st, key, func(cur T, exists bool) (T, bool, error) {
		if exists {
			v, err := done(cur)
			return v, false, err
		}
		v, err := fresh()
		return v, err == nil, err
	})
}

func hanging(what, id string) error {
	return &faas.Error{Name: saga.ErrHanging, Message: fmt.Sprintf("%s of saga %s was already undone", what, id)}
}

// Charge charges the order's amount once per saga; tok_declined refuses.
func (s *Services) Charge(ctx context.Context, in OrderInput) (Charge, error) {
	id, err := actionSaga(ctx, in)
	if err != nil {
		return Charge{}, err
	}
	lines, err := s.lines(in.Items)
	if err != nil {
		return Charge{}, err
	}
	switch in.Payment.Token {
	case "":
		return Charge{}, saga.InvalidInput("payment.token is required")
	case DeclinedToken:
		return Charge{}, saga.Business("payment declined for token %s", in.Payment.Token)
	}
	return settle(ctx, s.store, PaymentKey(id), func(cur Charge) (Charge, error) {
		if cur.State != Charged {
			return cur, hanging("the charge", id)
		}
		return cur, nil
	}, func() (Charge, error) {
		return Charge{ChargeID: "ch_" + id, State: Charged, AmountCents: s.total(lines), CustomerID: in.CustomerID, At: s.now().UTC()}, nil
	})
}

// Refund refunds the saga's charge, or voids it if it never happened.
func (s *Services) Refund(ctx context.Context, _ OrderInput) error {
	id, err := sagaID(ctx)
	if err != nil {
		return err
	}
	_, err = update(ctx, s.store, PaymentKey(id), func(cur Charge, exists bool) (Charge, bool, error) {
		switch {
		case !exists:
			return Charge{ChargeID: "ch_" + id, State: Voided, At: s.now().UTC()}, true, nil
		case cur.State == Charged:
			cur.State, cur.At = Refunded, s.now().UTC()
			return cur, true, nil
		}
		return cur, false, nil
	})
	return err
}

// CreateShipment books the order's shipment; country XX refuses.
func (s *Services) CreateShipment(ctx context.Context, in OrderInput) (Shipment, error) {
	id, err := actionSaga(ctx, in)
	if err != nil {
		return Shipment{}, err
	}
	c := in.Shipping.Address.Country
	switch {
	case c == UndeliverableCounty:
		return Shipment{}, saga.Business("cannot ship to country %s", c)
	case !countryPattern.MatchString(c):
		return Shipment{}, saga.InvalidInput("shipping.address.country %q is not an ISO 3166 alpha-2 code", c)
	}
	return settle(ctx, s.store, ShipmentKey(id), func(cur Shipment) (Shipment, error) {
		if cur.State != Created {
			return cur, hanging("the shipment", id)
		}
		return cur, nil
	}, func() (Shipment, error) {
		return Shipment{ShipmentID: "sh_" + id, State: Created, Country: c, At: s.now().UTC()}, nil
	})
}

// CancelShipment cancels the saga's shipment, or marks it cancelled first.
func (s *Services) CancelShipment(ctx context.Context, _ OrderInput) error {
	id, err := sagaID(ctx)
	if err != nil {
		return err
	}
	_, err = update(ctx, s.store, ShipmentKey(id), func(cur Shipment, exists bool) (Shipment, bool, error) {
		switch {
		case !exists:
			return Shipment{ShipmentID: "sh_" + id, State: Cancelled, At: s.now().UTC()}, true, nil
		case cur.State == Created:
			cur.State, cur.At = Cancelled, s.now().UTC()
			return cur, true, nil
		}
		return cur, false, nil
	})
	return err
}

// Confirm confirms the order: the pivot, after which nothing is undone.
func (s *Services) Confirm(ctx context.Context, in OrderInput) (Confirmation, error) {
	id, err := actionSaga(ctx, in)
	if err != nil {
		return Confirmation{}, err
	}
	if in.CustomerID == "" {
		return Confirmation{}, saga.InvalidInput("customerId is required")
	}
	lines, err := s.lines(in.Items)
	if err != nil {
		return Confirmation{}, err
	}
	orderID := in.OrderID
	if orderID == "" {
		orderID = id
	}
	return settle(ctx, s.store, OrderKey(id), func(cur Confirmation) (Confirmation, error) {
		if cur.State != Confirmed {
			return cur, hanging("the order", id)
		}
		return cur, nil
	}, func() (Confirmation, error) {
		return Confirmation{OrderID: orderID, State: Confirmed, CustomerID: in.CustomerID, Items: lines, At: s.now().UTC()}, nil
	})
}

// Cancel cancels the saga's order, or marks it cancelled first so a late
// confirmation does nothing. The generated saga calls it only when the
// order step itself failed (for instance timed out after confirming): once
// the step has succeeded the saga is past the pivot and never compensates.
func (s *Services) Cancel(ctx context.Context, in OrderInput) error {
	id, err := sagaID(ctx)
	if err != nil {
		return err
	}
	_, err = update(ctx, s.store, OrderKey(id), func(cur Confirmation, exists bool) (Confirmation, bool, error) {
		switch {
		case !exists:
			return Confirmation{OrderID: in.OrderID, State: Cancelled, At: s.now().UTC()}, true, nil
		case cur.State == Confirmed:
			cur.State, cur.At = Cancelled, s.now().UTC()
			return cur, true, nil
		}
		return cur, false, nil
	})
	return err
}
