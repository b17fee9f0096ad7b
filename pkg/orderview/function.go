package orderview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Names of the function and its events.
const (
	FunctionName = "order-query"
	EventSource  = "cogniforge/order-query"
	// QueryType is the event of the function's JSON routes.
	QueryType = events.TypeOrderQuery
	// StreamPrefix prefixes the saga id in the name of a saga's stream.
	StreamPrefix = "saga-"
)

// Error names.
const (
	ErrNameNotFound = "Orders.NotFound"
	ErrNameInvalid  = "Orders.InvalidRequest"
	// ErrNameBehind: the events were stored but the model could not be
	// brought up to them this time (store trouble, or other instances
	// kept moving the checkpoint). Retryable: the redelivery finds the
	// events stored and projects them.
	ErrNameBehind = "Orders.ProjectionBehind"
)

// Routes are the query API over the function URL: v1 (unprefixed,
// deprecated) and v2 (/v2, paginated).
var Routes = []faas.Route{
	{Method: "GET", Path: "/orders", EventType: QueryType},
	{Method: "GET", Path: "/orders/{id}", EventType: QueryType},
	{Method: "GET", Path: "/v2/orders", EventType: QueryType},
	{Method: "GET", Path: "/v2/orders/{id}", EventType: QueryType},
}

// Query is the data of QueryType: the query parameters.
type Query struct {
	Status   string `json:"status,omitempty"`
	Customer string `json:"customer,omitempty"`
	Limit    string `json:"limit,omitempty"`
	// Cursor is a v2 page cursor (the next of the previous page).
	Cursor string `json:"cursor,omitempty"`
	// Generation reads another generation than the active one: an as-of
	// view built by `cogniforge projections rebuild orders --as-of T`.
	Generation string `json:"generation,omitempty"`
}

// Ingest appends saga events to the event store, one stream per saga
// (StreamPrefix + sagaId), each deduplicated by its CloudEvent source and
// id; a redelivered event is not appended again and is not an error. The
// valid events go in one store transaction (AppendBatch), in their order.
// It returns one error per event (nil when stored).
func Ingest(ctx context.Context, es *eventstore.EventStore, evs []cloudevents.Event) []error {
	errs := make([]error, len(evs))
	type pending struct {
		i      int
		stream string
		ev     eventstore.Event
	}
	var todo []pending
	seen := map[string]bool{}
	for i, ev := range evs {
		if !isSagaType(ev.Type()) {
			errs[i] = faas.Errorf(ErrNameInvalid, "event type %q is not a saga event the order model folds (want one of %v)", ev.Type(), SagaTypes)
			continue
		}
		var d struct {
			SagaID string `json:"sagaId"`
		}
		if err := json.Unmarshal(ev.Data(), &d); err != nil {
			errs[i] = faas.Invalid("data", err)
			continue
		}
		if d.SagaID == "" {
			errs[i] = faas.Invalid("data.sagaId", errors.New("missing"))
			continue
		}
		stream := StreamPrefix + d.SagaID
		if err := eventstore.ValidateStream(stream); err != nil {
			errs[i] = faas.Invalid("data.sagaId", err)
			continue
		}
		id := ev.Source() + " " + ev.ID()
		if seen[id] {
			continue // twice in one batch
		}
		seen[id] = true
		todo = append(todo, pending{i, stream, eventstore.Event{Type: ev.Type(), Data: ev.Data(), ID: id, Time: ev.Time()}})
	}
	for len(todo) > 0 {
		var reqs []eventstore.AppendRequest
		at := map[string]int{}
		for _, p := range todo {
			j, ok := at[p.stream]
			if !ok {
				j = len(reqs)
				at[p.stream] = j
				reqs = append(reqs, eventstore.AppendRequest{Stream: p.stream, Expected: eventstore.Any})
			}
			reqs[j].Events = append(reqs[j].Events, p.ev)
		}
		_, err := es.AppendBatch(ctx, reqs)
		var dup *eventstore.DuplicateError
		if errors.As(err, &dup) {
			// Stored before: drop them and append the rest.
			stored := map[string]bool{}
			for _, id := range dup.IDs {
				stored[id] = true
			}
			rest := todo[:0]
			for _, p := range todo {
				if !stored[p.ev.ID] {
					rest = append(rest, p)
				}
			}
			todo = rest
			continue
		}
		if err != nil {
			for _, p := range todo {
				errs[p.i] = &faas.Error{Name: "EventStore.AppendFailed", Message: err.Error(), Retryable: true, Err: err}
			}
		}
		break
	}
	return errs
}

// catchUpAttempts bounds how often a batch retries bringing the model up
// when other instances move the checkpoint under it.
const catchUpAttempts = 8

// Config configures the function.
type Config struct {
	Events *eventstore.EventStore
	Logger *slog.Logger
	Now    func() time.Time
}

// NewFunction is the order-query function: saga events from its queue
// (a bus rule on SagaTypes) are stored and projected before the batch is
// acknowledged, so a query after the acknowledgement sees them; GET
// /orders and /orders/{id} answer from the model.
func NewFunction(cfg Config) (faas.Function, error) {
	if cfg.Events == nil {
		return faas.Function{}, errors.New("orderview: Events is required")
	}
	logger, now := cfg.Logger, cfg.Now
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	proj, err := projection.New(projection.Config{Events: cfg.Events, Projection: Projection{}, Now: now})
	if err != nil {
		return faas.Function{}, err
	}
	st := cfg.Events.Store()
	batch := func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		out := make([]faas.Result, len(evs))
		errs := Ingest(ctx, cfg.Events, evs)
		stored := 0
		for i, err := range errs {
			out[i].Err = err
			if err == nil {
				stored++
			}
		}
		if stored == 0 {
			return out
		}
		var cerr error
		for range catchUpAttempts {
			var prog projection.Progress
			prog, cerr = proj.CatchUp(ctx, 0)
			if cerr == nil {
				logger.LogAttrs(ctx, slog.LevelDebug, "orders: projected", slog.Int("events", len(evs)), slog.Int("applied", prog.Applied), slog.Int64("position", prog.Position))
				return out
			}
			if !errors.Is(cerr, eventstore.ErrCheckpointMoved) || ctx.Err() != nil {
				break
			}
		}
		logger.WarnContext(ctx, "orders: events stored, model behind; failing them for redelivery", "error", cerr)
		for i := range out {
			if out[i].Err == nil {
				out[i].Err = &faas.Error{Name: ErrNameBehind, Message: cerr.Error(), Retryable: true, Err: cerr}
			}
		}
		return out
	}
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, now(), v)
	}
	return faas.Function{
		Name:        FunctionName,
		Description: "The order read model: folds saga events into orders by status and customer; GET /orders, /orders/{id} (v1), /v2/orders (paginated), /v2/orders/{id}.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if ev.Type() != QueryType {
				return nil, batch(ctx, []cloudevents.Event{ev})[0].Err
			}
			var q Query
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &q); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			return serve(ctx, st, ev, q, reply)
		},
		Batch:    batch,
		Consumes: append([]string{QueryType}, SagaTypes...),
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue, Queue: FunctionName, EventTypes: SagaTypes, MaxReceives: 5, VisibilityTimeoutSeconds: 60},
			{Kind: faas.TriggerHTTP},
		},
		Routes: Routes,
		// The model names customers: IAM on the AWS function URL, the
		// runtime's bearer token locally.
		Protected: true,
	}, nil
}

func serve(ctx context.Context, st store.Store, ev cloudevents.Event, q Query, reply func(cloudevents.Event, any) (*cloudevents.Event, error)) (*cloudevents.Event, error) {
	if rest, ok := strings.CutPrefix(strings.Trim(ev.Subject(), "/"), "v2/"); ok {
		return serveV2(ctx, st, ev, q, strings.Split(rest, "/"), reply)
	}
	var r *projection.Reader
	if q.Generation != "" {
		r = projection.GenerationReader(st, ProjectionName, q.Generation)
	} else {
		var err error
		if r, err = projection.NewReader(ctx, st, ProjectionName); err != nil {
			return nil, err
		}
	}
	parts := strings.Split(strings.Trim(ev.Subject(), "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "orders":
		f := Filter{Status: q.Status, Customer: q.Customer}
		if q.Limit != "" {
			n, err := strconv.Atoi(q.Limit)
			if err != nil {
				return nil, faas.Invalid("limit", fmt.Errorf("%q is not a number", q.Limit))
			}
			f.Limit = n
		}
		if err := f.Validate(); err != nil {
			field := "status"
			if strings.Contains(err.Error(), "limit") {
				field = "limit"
			}
			return nil, faas.Invalid(field, err)
		}
		list, err := List(ctx, r, f)
		if err != nil {
			return nil, err
		}
		return reply(ev, map[string]any{"orders": list, "generation": r.Generation})
	case len(parts) == 2 && parts[0] == "orders":
		o, err := Get(ctx, r, parts[1])
		if errors.Is(err, ErrNotFound) {
			return nil, faas.Errorf(ErrNameNotFound, "no order %q", parts[1])
		}
		if err != nil {
			return nil, err
		}
		return reply(ev, o)
	}
	return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
}
