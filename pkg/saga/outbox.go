package saga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// The outbox of saga-level events. The event itself lives in the saga
// record (SagaRecord.Events), written by the conditional put that decides
// it; a marker item in one of OutboxShards partitions says "this event may
// not be published yet". The marker is put before the record and deleted
// after a successful publish, so every accepted event has a marker until it
// has been published at least once. The shards spread the markers over
// several partition keys, so no single DynamoDB partition takes every
// saga's writes.
const (
	// OutboxPartitionPrefix starts the partitions of the markers:
	// "saga-outbox#<shard>", sort key "<eventId>".
	OutboxPartitionPrefix = "saga-outbox#"
	// OutboxShards is the number of marker partitions. Writers and the
	// Relay must agree on it, so it is a constant.
	OutboxShards = 16
)

// outboxMarker is the value of a marker item.
type outboxMarker struct {
	SagaID  string    `json:"sagaId"`
	EventID string    `json:"eventId"`
	At      time.Time `json:"at"`
}

// OutboxPartition is the marker partition of a saga's events.
func OutboxPartition(sagaID string) string {
	h := fnv.New32a()
	h.Write([]byte(sagaID))
	return fmt.Sprintf("%s%02d", OutboxPartitionPrefix, h.Sum32()%OutboxShards)
}

func markerKey(sagaID, eventID string) store.Key {
	return store.Key{Partition: OutboxPartition(sagaID), Sort: eventID}
}

func putMarker(ctx context.Context, s store.Store, sagaID, eventID string, now time.Time) error {
	v, err := json.Marshal(outboxMarker{SagaID: sagaID, EventID: eventID, At: now.UTC()})
	if err != nil {
		return err
	}
	_, err = s.Put(ctx, store.Item{Key: markerKey(sagaID, eventID), Value: v}, store.Condition{})
	return err
}

func deleteMarker(ctx context.Context, s store.Store, sagaID, eventID string) error {
	return s.Delete(ctx, markerKey(sagaID, eventID), store.Condition{})
}

// RelayConfig configures a Relay.
type RelayConfig struct {
	// Store holds the saga records and the outbox. Required.
	Store store.Store
	// Bus receives the events. Required.
	Bus bus.Publisher
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Grace is how old a marker whose event is not (yet) in its saga
	// record must be before the Relay drops it: the decision it announced
	// lost a race or never happened. It must exceed the longest step
	// attempt. Zero means 15 minutes.
	Grace time.Duration
	// Batch bounds the markers read per shard per Drain. Zero means 100.
	Batch int
	// Logger reports events that could not be published. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Validate reports every problem with c.
func (c RelayConfig) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("saga: RelayConfig.Store is required"))
	}
	if c.Bus == nil {
		errs = append(errs, errors.New("saga: RelayConfig.Bus is required"))
	}
	if c.Grace < 0 || c.Batch < 0 {
		errs = append(errs, errors.New("saga: RelayConfig.Grace and Batch must not be negative"))
	}
	return errors.Join(errs...)
}

// Relay publishes the saga-level events whose publish failed (or whose
// function died) after they were accepted: with it, an accepted saga event
// is published at least once, however often the bus fails. An event may be
// published more than once (a publish that succeeded but whose marker was
// not deleted); it keeps its id, so consumers drop the repeat. Safe for
// concurrent use; two relays may publish one event twice, never lose it.
type Relay struct {
	store  store.Store
	bus    bus.Publisher
	now    func() time.Time
	grace  time.Duration
	batch  int
	logger *slog.Logger
}

// NewRelay builds a Relay.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Relay{store: cfg.Store, bus: cfg.Bus, now: cfg.Now, grace: cfg.Grace, batch: cfg.Batch, logger: cfg.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	if r.grace == 0 {
		r.grace = 15 * time.Minute
	}
	if r.batch == 0 {
		r.batch = 100
	}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	return r, nil
}

// DrainReport is what one Drain did.
type DrainReport struct {
	// Published events (now delivered at least once).
	Published int `json:"published"`
	// Dropped markers whose event was never accepted (a lost race).
	Dropped int `json:"dropped"`
	// Pending markers left for a later Drain: a failed publish, or an
	// event not accepted yet and younger than the grace period.
	Pending int `json:"pending"`
}

// Drain publishes every outboxed saga event it finds (up to the batch per
// shard) and deletes its marker. It returns the bus's and the store's
// errors joined; a failed event stays pending for the next Drain.
func (r *Relay) Drain(ctx context.Context) (DrainReport, error) {
	var rep DrainReport
	var errs []error
	for shard := range OutboxShards {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		part := fmt.Sprintf("%s%02d", OutboxPartitionPrefix, shard)
		items, err := r.store.Query(ctx, part, "", r.batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("saga: outbox %s: %w", part, err))
			continue
		}
		for _, it := range items {
			if err := r.relay(ctx, it, &rep); err != nil {
				rep.Pending++
				errs = append(errs, err)
			}
		}
	}
	return rep, errors.Join(errs...)
}

func (r *Relay) relay(ctx context.Context, it store.Item, rep *DrainReport) error {
	var m outboxMarker
	if err := json.Unmarshal(it.Value, &m); err != nil || m.SagaID == "" {
		// Not a marker: nothing can ever publish it.
		rep.Dropped++
		return r.store.Delete(ctx, it.Key, store.Condition{IfVersion: it.Version})
	}
	var ev *OutboxEvent
	rec, err := getSagaRecord(ctx, r.store, m.SagaID)
	switch {
	case err == nil:
		for i := range rec.Events {
			if rec.Events[i].ID == m.EventID {
				ev = &rec.Events[i]
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("saga: outbox %s: %w", m.EventID, err)
	}
	if ev == nil {
		if r.now().Sub(m.At) < r.grace {
			rep.Pending++ // its decision may still be on its way
			return nil
		}
		rep.Dropped++
		return ignoreCondition(r.store.Delete(ctx, it.Key, store.Condition{IfVersion: it.Version}))
	}
	if err := publishOutboxEvent(ctx, r.bus, *ev); err != nil {
		r.logger.WarnContext(ctx, "saga: outbox relay could not publish", "sagaId", m.SagaID, "event", m.EventID, "error", err)
		return fmt.Errorf("saga: publish %s: %w", m.EventID, err)
	}
	rep.Published++
	// IfVersion: a marker re-put meanwhile (the event decided again, e.g. a
	// resumed saga stuck again) stays for the next Drain.
	return ignoreCondition(r.store.Delete(ctx, it.Key, store.Condition{IfVersion: it.Version}))
}

func ignoreCondition(err error) error {
	if errors.Is(err, store.ErrConditionFailed) {
		return nil
	}
	return err
}

func getSagaRecord(ctx context.Context, s store.Store, sagaID string) (SagaRecord, error) {
	it, err := s.Get(ctx, SagaKey(sagaID))
	if err != nil {
		return SagaRecord{}, err
	}
	var r SagaRecord
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return SagaRecord{}, fmt.Errorf("saga: record of %s is not a saga record: %w", sagaID, err)
	}
	return r, nil
}

// RelaySchedule is how often the relay function drains the outbox.
const RelaySchedule = "rate(1 minute)"

// NewRelayFunction returns a deployable function named name that drains
// the outbox on a schedule (RelaySchedule; EventBridge Scheduler on AWS,
// the local runtime's scheduler locally). It answers an error when an event
// could not be published, so the platform reports the failed run; the next
// run retries it.
func NewRelayFunction(name string, cfg RelayConfig) (faas.Function, error) {
	if name == "" {
		return faas.Function{}, errors.New("saga: relay function name is required")
	}
	r, err := NewRelay(cfg)
	if err != nil {
		return faas.Function{}, err
	}
	return faas.Function{
		Name:        name,
		Description: "Publishes the saga-level events left in the saga outbox (at-least-once relay).",
		Handler: func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
			rep, err := r.Drain(ctx)
			if err != nil {
				return nil, Transient(fmt.Errorf("saga outbox: %d published, %d pending: %w", rep.Published, rep.Pending, err))
			}
			return nil, nil
		},
		Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: RelaySchedule}},
	}, nil
}
