// Package orders is the business logic of the reference saga, order
// fulfilment: inventory (reserve/release stock), payment (charge/refund),
// shipping (create/cancel a shipment) and order (confirm/cancel, the
// pivot). Each service keeps its own state in the store and is served by
// one function per service (pkg/saga.NewFunction) that handles both phases.
//
// Every effect is keyed by the saga id and written with conditional puts,
// so it is idempotent: a charge or a shipment is one record per saga; stock
// is one partition per SKU holding the count (with the few transfers in
// flight) and one hold item per saga, so no item grows with the number of
// orders and no partition key is shared by every SKU (see inventory.go for
// how a transfer between the count and a hold survives a crash). The
// count only changes by a put conditional on its version, so concurrent
// reservations never oversell. Compensations undo whatever part of the action
// exists and leave a tombstone (a "released", "refunded"/"voided" or
// "cancelled" record for the saga) that makes a late action a no-op: that
// is what keeps the saga barrier and the business state from diverging when
// a process dies between them (see pkg/saga).
//
// Business refusals come from the input: an item with no stock
// (Saga.BusinessError), payment token "tok_declined", shipping country
// "XX"; no items, a non-positive quantity, an unknown SKU, a missing
// order id (the saga id), a missing customer id or a malformed country
// are Saga.InvalidInput. Every check
// runs before the first write, and a partly taken reservation is given back
// before a refusal is returned, so a refused step has no effect.
//
// Services are safe for concurrent use.
package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Function names; the saga steps have the same names.
const (
	Inventory = "inventory"
	Payment   = "payment"
	Shipping  = "shipping"
	Order     = "order"
)

// Inputs that make a step refuse, for demos and tests.
const (
	DeclinedToken       = "tok_declined"
	UndeliverableCounty = "XX"
)

// Item is one line of an order.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// Address is where a shipment goes; only Country is checked.
type Address struct {
	Country    string `json:"country"`
	Line1      string `json:"line1,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
}

// OrderInput is the saga input (every step decodes the part it needs).
type OrderInput struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
	Payment    struct {
		Token string `json:"token"`
	} `json:"payment"`
	Shipping struct {
		Address Address `json:"address"`
	} `json:"shipping"`
}

// Product is a catalog entry.
type Product struct {
	// Stock is the quantity on hand before any order.
	Stock int64 `json:"stock"`
	// PriceCents is the unit price.
	PriceCents int64 `json:"priceCents"`
}

// Catalog maps SKUs to products. A SKU is known when it is in the catalog.
type Catalog map[string]Product

// DemoCatalog is sku-1..sku-5 with stock 100 (prices 10.00..50.00) and
// sku-empty with none.
func DemoCatalog() Catalog {
	c := Catalog{"sku-empty": {Stock: 0, PriceCents: 500}}
	for i := 1; i <= 5; i++ {
		c[fmt.Sprintf("sku-%d", i)] = Product{Stock: 100, PriceCents: int64(i) * 1000}
	}
	return c
}

// Config is what the services are built from.
type Config struct {
	// Store keeps the services' state and the saga barriers. Required.
	Store store.Store
	// Saga configures the step functions; its Store defaults to Store.
	Saga saga.Config
	// Catalog is the product catalog. Nil means DemoCatalog().
	Catalog Catalog
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// HoldRetention is how long a saga's hold item (or its release
	// tombstone) lives after it last changed: the store expires it
	// (DynamoDB TTL), so the store's clock and Now must agree. A saga's
	// compensation must come within it. Zero means 24h.
	HoldRetention time.Duration
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("orders: Config.Store is required"))
	}
	if c.HoldRetention < 0 {
		errs = append(errs, errors.New("orders: HoldRetention must not be negative"))
	}
	for sku, p := range c.Catalog {
		if sku == "" || p.Stock < 0 || p.PriceCents < 0 {
			errs = append(errs, fmt.Errorf("orders: catalog entry %q: empty SKU or negative stock/price", sku))
		}
	}
	return errors.Join(errs...)
}

// Services is the four services over one store.
type Services struct {
	store     store.Store
	catalog   Catalog
	now       func() time.Time
	retention time.Duration
	sagaCfg   saga.Config
}

// New builds the services.
func New(cfg Config) (*Services, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Services{store: cfg.Store, catalog: cfg.Catalog, now: cfg.Now, retention: cfg.HoldRetention, sagaCfg: cfg.Saga}
	if s.catalog == nil {
		s.catalog = DemoCatalog()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.retention == 0 {
		s.retention = 24 * time.Hour
	}
	if s.sagaCfg.Store == nil {
		s.sagaCfg.Store = cfg.Store
	}
	if s.sagaCfg.Now == nil {
		s.sagaCfg.Now = s.now
	}
	return s, nil
}

// Function returns the step function of one service by name.
func (s *Services) Function(name string) (faas.Function, error) {
	switch name {
	case Inventory:
		return saga.NewFunction(Inventory, "Reserves stock for an order (forward) and releases it (compensation).",
			saga.Step[OrderInput, Reservation]{Action: s.Reserve, Compensation: s.Release}, s.sagaCfg)
	case Payment:
		return saga.NewFunction(Payment, "Charges an order's payment (forward) and refunds it (compensation).",
			saga.Step[OrderInput, Charge]{Action: s.Charge, Compensation: s.Refund}, s.sagaCfg)
	case Shipping:
		return saga.NewFunction(Shipping, "Creates an order's shipment (forward) and cancels it (compensation).",
			saga.Step[OrderInput, Shipment]{Action: s.CreateShipment, Compensation: s.CancelShipment}, s.sagaCfg)
	case Order:
		return saga.NewFunction(Order, "Confirms an order, the saga's pivot (forward); cancels an unconfirmed one (compensation).",
			saga.Step[OrderInput, Confirmation]{Action: s.Confirm, Compensation: s.Cancel}, s.sagaCfg)
	}
	return faas.Function{}, fmt.Errorf("orders: no service %q", name)
}

// actionSaga is the saga an action belongs to; an action also needs the
// order's id, which names the saga in order-fulfillment (sagaId: $.orderId),
// so an order without one is refused before anything is written rather
// than run under the execution's name.
func actionSaga(ctx context.Context, in OrderInput) (string, error) {
	if in.OrderID == "" {
		return "", saga.InvalidInput("orderId is required: it is the order's saga id")
	}
	return sagaID(ctx)
}

// sagaID is the saga the call belongs to.
func sagaID(ctx context.Context) (string, error) {
	if i, ok := saga.InfoFrom(ctx); ok && i.SagaID != "" {
		return i.SagaID, nil
	}
	return "", saga.InvalidInput("no saga id in the call")
}

// update reads the item at key, lets mutate compute the next value and
// writes it conditionally on the version read, retrying lost races. mutate
// returns write=false to leave the item alone.
func update[T any](ctx context.Context, st store.Store, key store.Key, mutate func(cur T, exists bool) (next T, write bool, err error)) (T, error) {
	var zero T
	retry := contention()
	for range 16 {
		var cur T
		var version int64
		it, err := st.Get(ctx, key)
		switch {
		case err == nil:
			if err := json.Unmarshal(it.Value, &cur); err != nil {
				return zero, fmt.Errorf("orders: %s/%s: %w", key.Partition, key.Sort, err)
			}
			version = it.Version
		case errors.Is(err, store.ErrNotFound):
		default:
			return zero, err
		}
		next, write, err := mutate(cur, version != 0)
		if err != nil || !write {
			return next, err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return zero, err
		}
		cond := store.Condition{IfVersion: version}
		if version == 0 {
			cond = store.Condition{IfAbsent: true}
		}
		if _, err = st.Put(ctx, store.Item{Key: key, Value: b}, cond); err == nil {
			return next, nil
		} else if !errors.Is(err, store.ErrConditionFailed) {
			return zero, err
		}
		// Lost a race on a hot record (a popular SKU): back off a little,
		// with jitter, so the writers stop colliding.
		if err := pause(ctx, retry.NextBackOff()); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("orders: %s/%s: too many concurrent writers", key.Partition, key.Sort)
}

// lines merges the items by SKU and checks them against the catalog.
func (s *Services) lines(items []Item) ([]Item, error) {
	if len(items) == 0 {
		return nil, saga.InvalidInput("the order has no items")
	}
	qty := map[string]int64{}
	for i, it := range items {
		if it.SKU == "" {
			return nil, saga.InvalidInput("items[%d]: sku is required", i)
		}
		if it.Quantity <= 0 {
			return nil, saga.InvalidInput("items[%d]: quantity %d of %s must be positive", i, it.Quantity, it.SKU)
		}
		if _, ok := s.catalog[it.SKU]; !ok {
			return nil, saga.InvalidInput("items[%d]: unknown sku %q", i, it.SKU)
		}
		if qty[it.SKU]+it.Quantity > 1<<40 {
			return nil, saga.InvalidInput("items[%d]: quantity of %s too large", i, it.SKU)
		}
		qty[it.SKU] += it.Quantity
	}
	out := make([]Item, 0, len(qty))
	for sku, q := range qty {
		out = append(out, Item{SKU: sku, Quantity: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out, nil
}

// total is the order's amount in cents.
func (s *Services) total(lines []Item) int64 {
	var t int64
	for _, l := range lines {
		t += l.Quantity * s.catalog[l.SKU].PriceCents
	}
	return t
}

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// contention is the backoff between attempts of a conditional write that
// lost a race: from 100µs, doubling to 25.6ms, each wait drawn at random
// between none and twice the interval, so racing writers spread out.
func contention() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{InitialInterval: 100 * time.Microsecond, RandomizationFactor: 1,
		Multiplier: 2, MaxInterval: 25600 * time.Microsecond}
}

// pause waits d (at least a nanosecond), or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(max(d, time.Nanosecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
