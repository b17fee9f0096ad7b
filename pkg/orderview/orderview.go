// Package orderview is the order read model (CQRS): orders by id, by
// status and by customer, folded from the saga events
// (dev.cogniforge.saga.*) of the order-fulfillment saga. Commands (start a
// saga: an order-fulfillment execution) and this model are separate: the
// order-query function only ingests saga events and answers queries.
//
// Saga events are first appended to the event store (one stream per saga,
// saga-<sagaId>, deduplicated by CloudEvent source and id), which is the
// system of record; the model is a projection of the store's global feed
// (pkg/projection), so it can be rebuilt from scratch or as of any past
// instant and come out equal to the live one.
//
// The fold does not depend on the order saga events arrive in (SQS does
// not keep it): an order's status only moves up a rank (pending <
// in_progress < compensating < stuck < completed, compensated), a step's
// state likewise, and createdAt and updatedAt are the least and greatest
// event times.
package orderview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// ProjectionName names the read model.
const ProjectionName = "orders"

// Order statuses.
const (
	StatusPending      = "pending"
	StatusInProgress   = "in_progress"
	StatusCompensating = "compensating"
	StatusStuck        = "stuck"
	StatusCompleted    = "completed"
	StatusCompensated  = "compensated"
)

// Statuses lists every status, in rank order.
var Statuses = []string{StatusPending, StatusInProgress, StatusCompensating, StatusStuck, StatusCompleted, StatusCompensated}

var statusRank = map[string]int{StatusPending: 1, StatusInProgress: 2, StatusCompensating: 3, StatusStuck: 4, StatusCompleted: 5, StatusCompensated: 5}

// Step states.
const (
	StepFailed             = "failed"
	StepSucceeded          = "succeeded"
	StepCompensationFailed = "compensation_failed"
	StepCompensated        = "compensated"
)

var stepRank = map[string]int{StepFailed: 1, StepSucceeded: 2, StepCompensationFailed: 3, StepCompensated: 4}

// SagaTypes are the saga events the model folds.
var SagaTypes = []string{
	events.TypeSagaStarted, events.TypeSagaCompleted, events.TypeSagaCompensated, events.TypeSagaStuck,
	events.TypeSagaStepSucceeded, events.TypeSagaStepFailed, events.TypeSagaCompensationSucceeded, events.TypeSagaCompensationFailed,
}

// Order is one order as the model knows it.
type Order struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId,omitempty"`
	Saga       string `json:"saga,omitempty"`
	Status     string `json:"status"`
	// Steps maps each step seen to its state.
	Steps map[string]string `json:"steps,omitempty"`
	// Items is how many order lines the saga's input had.
	Items      int       `json:"items,omitempty"`
	FailedStep string    `json:"failedStep,omitempty"`
	Error      string    `json:"error,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	// Events is how many saga events were folded; Position the feed
	// position of the last one.
	Events   int   `json:"events"`
	Position int64 `json:"position"`
}

// Partitions of the model (inside the projection's generation).
const (
	partOrders   = "orders"
	partStatus   = "status#"
	partCustomer = "customer#"
)

// Projection folds saga events into orders.
type Projection struct{}

var _ projection.Projection = Projection{}

// Name implements projection.Projection.
func (Projection) Name() string { return ProjectionName }

// sagaData is every field of the saga events the model reads.
type sagaData struct {
	SagaID string `json:"sagaId"`
	Saga   string `json:"saga"`
	Step   string `json:"step"`
	Input  *struct {
		OrderID    string     `json:"orderId"`
		CustomerID string     `json:"customerId"`
		Items      []struct{} `json:"items"` // only counted
	} `json:"input"`
	FailedStep string            `json:"failedStep"`
	Error      *events.ErrorInfo `json:"error"`
}

func isSagaType(t string) bool {
	for _, s := range SagaTypes {
		if s == t {
			return true
		}
	}
	return false
}

// Apply implements projection.Projection. An event that is not a saga
// event of SagaTypes, or has no sagaId, is ignored: the catalog validated
// it before it was stored, and a projection must not stop on one record.
func (Projection) Apply(ctx context.Context, v *projection.View, r eventstore.Record) error {
	if !isSagaType(r.Type) {
		return nil
	}
	var d sagaData
	if err := json.Unmarshal(r.Data, &d); err != nil || d.SagaID == "" {
		return nil
	}
	key := store.Key{Partition: partOrders, Sort: d.SagaID}
	obj, ok, err := v.GetObject(ctx, key, decodeOrder)
	if err != nil {
		return err
	}
	var o *Order
	if ok {
		o = obj.(*Order)
	} else {
		o = &Order{OrderID: d.SagaID}
	}
	oldStatus, oldCustomer := o.Status, o.CustomerID
	if d.Saga != "" {
		o.Saga = d.Saga
	}
	raise := func(s string) {
		if statusRank[s] > statusRank[o.Status] {
			o.Status = s
		}
	}
	step := func(s string) {
		if d.Step == "" {
			return
		}
		if o.Steps == nil {
			o.Steps = map[string]string{}
		}
		if stepRank[s] > stepRank[o.Steps[d.Step]] {
			o.Steps[d.Step] = s
		}
	}
	errName := func() {
		if d.Error != nil && d.Error.Name != "" {
			o.Error = d.Error.Name
		}
	}
	switch r.Type {
	case events.TypeSagaStarted:
		raise(StatusPending)
		if d.Input != nil {
			if d.Input.CustomerID != "" {
				o.CustomerID = d.Input.CustomerID
			}
			o.Items = len(d.Input.Items)
		}
	case events.TypeSagaStepSucceeded:
		raise(StatusInProgress)
		step(StepSucceeded)
	case events.TypeSagaStepFailed:
		raise(StatusInProgress)
		step(StepFailed)
	case events.TypeSagaCompensationSucceeded:
		raise(StatusCompensating)
		step(StepCompensated)
	case events.TypeSagaCompensationFailed:
		raise(StatusCompensating)
		step(StepCompensationFailed)
	case events.TypeSagaCompleted:
		raise(StatusCompleted)
	case events.TypeSagaCompensated:
		raise(StatusCompensated)
		o.FailedStep = d.FailedStep
		errName()
	case events.TypeSagaStuck:
		raise(StatusStuck)
		if o.FailedStep == "" {
			o.FailedStep = d.Step
		}
		errName()
	}
	at := r.Time.UTC()
	if o.CreatedAt.IsZero() || at.Before(o.CreatedAt) {
		o.CreatedAt = at
	}
	if at.After(o.UpdatedAt) {
		o.UpdatedAt = at
	}
	o.Events++
	o.Position = r.Position
	v.PutObject(key, o)
	if oldStatus != "" && oldStatus != o.Status {
		v.Delete(store.Key{Partition: partStatus + oldStatus, Sort: o.OrderID})
	}
	v.PutObject(store.Key{Partition: partStatus + o.Status, Sort: o.OrderID}, o)
	if oldCustomer != "" && oldCustomer != o.CustomerID {
		v.Delete(store.Key{Partition: partCustomer + oldCustomer, Sort: o.OrderID})
	}
	if o.CustomerID != "" {
		v.PutObject(store.Key{Partition: partCustomer + o.CustomerID, Sort: o.OrderID}, o)
	}
	return nil
}

func decodeOrder(b []byte) (any, error) {
	o := &Order{}
	err := json.Unmarshal(b, o)
	return o, err
}

// Errors of queries.
var (
	// ErrNotFound: no order with that id.
	ErrNotFound = errors.New("orderview: no such order")
	// ErrInvalid: a bad filter.
	ErrInvalid = errors.New("orderview: invalid query")
)

// Filter selects orders. Zero fields select everything.
type Filter struct {
	Status   string
	Customer string
	// Limit caps the answer; zero means DefaultLimit, at most MaxLimit.
	Limit int
}

// Limits of a list.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Validate reports a bad filter, naming the field.
func (f Filter) Validate() error {
	var errs []error
	if f.Status != "" && statusRank[f.Status] == 0 {
		errs = append(errs, fmt.Errorf("%w: status %q: want one of %s", ErrInvalid, f.Status, strings.Join(Statuses, ", ")))
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("%w: limit %d: want 1 to %d", ErrInvalid, f.Limit, MaxLimit))
	}
	return errors.Join(errs...)
}

// Get returns one order.
func Get(ctx context.Context, r *projection.Reader, id string) (Order, error) {
	if id == "" {
		return Order{}, fmt.Errorf("%w: empty order id", ErrInvalid)
	}
	b, err := r.Get(ctx, store.Key{Partition: partOrders, Sort: id})
	if errors.Is(err, store.ErrNotFound) {
		return Order{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return Order{}, err
	}
	var o Order
	if err := json.Unmarshal(b, &o); err != nil {
		return Order{}, fmt.Errorf("orderview: stored order %s: %w", id, err)
	}
	return o, nil
}

// List returns the orders f selects, by order id.
func List(ctx context.Context, r *projection.Reader, f Filter) ([]Order, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	part, qlimit := partOrders, limit
	switch {
	case f.Customer != "":
		part = partCustomer + f.Customer
		if f.Status != "" {
			qlimit = 0 // filtered below
		}
	case f.Status != "":
		part = partStatus + f.Status
	}
	items, err := r.Query(ctx, part, "", qlimit)
	if err != nil {
		return nil, err
	}
	out := make([]Order, 0, min(len(items), limit))
	for _, it := range items {
		var o Order
		if err := json.Unmarshal(it.Value, &o); err != nil {
			return nil, fmt.Errorf("orderview: stored order %s: %w", it.Key.Sort, err)
		}
		if f.Status != "" && o.Status != f.Status {
			continue
		}
		out = append(out, o)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Dump returns every item of the model's generation read by r, keyed
// "partition/sort": what the proofs compare a rebuild with the live model
// by. It reads the orders partition, then every status partition and the
// partition of every customer the orders name (and finds stray index items
// that way too, for customers still named by some order).
func Dump(ctx context.Context, r *projection.Reader) (map[string]string, error) {
	out := map[string]string{}
	add := func(part string) ([]store.Item, error) {
		items, err := r.Query(ctx, part, "", 0)
		for _, it := range items {
			out[part+"/"+it.Key.Sort] = string(it.Value)
		}
		return items, err
	}
	orders, err := add(partOrders)
	if err != nil {
		return nil, err
	}
	for _, s := range Statuses {
		if _, err := add(partStatus + s); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, it := range orders {
		var o Order
		if err := json.Unmarshal(it.Value, &o); err != nil {
			return nil, err
		}
		if o.CustomerID != "" && !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			if _, err := add(partCustomer + o.CustomerID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
