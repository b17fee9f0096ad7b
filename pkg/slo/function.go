package slo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Function names and the catalog types they serve.
const (
	AggregatorName = "slo-aggregator"
	EvaluatorName  = "slo-evaluator"
	// QueryType is the event of the evaluator's JSON routes (GET /slos...);
	// its data is the query parameters.
	QueryType = events.TypeSLOQuery
	// EvaluateSchedule runs the evaluator every minute.
	EvaluateSchedule = "rate(1 minute)"
	// EventSource is the CloudEvents source of the alerts.
	EventSource = "cogniforge/slo-evaluator"
)

// asFaas gives an event error the named, retryable-or-not shape every
// adapter reports: a store failure may pass on a redelivery; a refused
// event will not, and the queue's dead letters keep it.
func asFaas(err error) error {
	var ee *EventError
	if !errors.As(err, &ee) {
		return err
	}
	return &faas.Error{Name: ee.Name, Message: ee.Error(), Retryable: ee.Name == ErrNameStoreFailed, Err: err}
}

// NewAggregatorFunction is the slo-aggregator function: request-completed
// events from its queue (the bus rule feeds it; an SQS batch is one Count,
// so one transaction), from EventBridge directly and over its function URL.
func NewAggregatorFunction(a *Aggregator, logger *slog.Logger) faas.Function {
	if logger == nil {
		logger = slog.Default()
	}
	batch := func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		out := make([]faas.Result, len(evs))
		decoded := make([]Event, 0, len(evs))
		idx := make([]int, 0, len(evs))
		for i, ev := range evs {
			e, err := FromCloudEvent(ev)
			if err != nil {
				out[i].Err = asFaas(err)
				continue
			}
			decoded = append(decoded, e)
			idx = append(idx, i)
		}
		if len(decoded) == 0 {
			return out
		}
		rep, err := a.Count(ctx, decoded)
		if err != nil {
			for _, i := range idx {
				out[i].Err = &faas.Error{Name: ErrNameStoreFailed, Message: err.Error(), Retryable: true, Err: err}
			}
			return out
		}
		for j, i := range idx {
			if rep.Errors[j] != nil {
				out[i].Err = asFaas(rep.Errors[j])
			}
		}
		logger.LogAttrs(ctx, slog.LevelDebug, "slo: counted", slog.Int("events", len(evs)), slog.Int("counted", rep.Counted),
			slog.Int("duplicates", rep.Duplicates), slog.Int("unselected", rep.Unselected), slog.Int("failed", rep.Failed()),
			slog.Int("transactions", rep.Transactions), slog.Int("ops", rep.Ops))
		return out
	}
	return faas.Function{
		Name:        AggregatorName,
		Description: "Counts request-completed events into every selecting SLO's time buckets, exactly once per event.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			return nil, batch(ctx, []cloudevents.Event{ev})[0].Err
		},
		Batch:    batch,
		Consumes: []string{EventType},
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue, Queue: AggregatorName, EventTypes: []string{EventType}, MaxReceives: 5, VisibilityTimeoutSeconds: 60},
			{Kind: faas.TriggerHTTP},
		},
	}
}

// Publish turns a transition into its catalog event and publishes it.
func Publish(ctx context.Context, p bus.Publisher, t Transition) error {
	typ := events.TypeSLOAlertFiring
	if t.State == Resolved {
		typ = events.TypeSLOAlertResolved
	}
	var d events.SLOAlert
	d.SLO, d.Service, d.Severity, d.State, d.Rule, d.Windows = t.SLO, t.Service, t.Severity, t.State, t.Rule, t.Windows
	d.BurnRate.Long, d.BurnRate.Short = t.BurnRate.Long, t.BurnRate.Short
	d.Threshold, d.Target, d.BudgetRemaining = t.Threshold, t.Target, t.BudgetRemaining
	if t.Exhaustion != nil {
		d.Exhaustion = t.Exhaustion.UTC().Format(time.RFC3339)
	}
	d.Since = t.Since.UTC().Format(time.RFC3339)
	d.DedupKey = "slo/" + t.SLO + "/" + t.Severity
	ev, err := events.New(ctx, typ, EventSource, d, events.ID(t.ID), events.Time(t.Time), events.Subject(t.SLO))
	if err != nil {
		return err
	}
	return bus.PublishOne(ctx, p, ev)
}

// Query is the data of QueryType: the route's query parameters.
type Query struct {
	// Time evaluates at an instant (RFC 3339) instead of now.
	Time string `json:"time,omitempty"`
	// Step is the history's step (a Go duration or 1h/1d style); 1h when
	// empty.
	Step string `json:"step,omitempty"`
}

// EvaluatorRoutes are the evaluator's JSON routes over its function URL.
var EvaluatorRoutes = []faas.Route{
	{Method: "GET", Path: "/slos", EventType: QueryType},
	{Method: "GET", Path: "/slos/{name}", EventType: QueryType},
	{Method: "GET", Path: "/slos/{name}/history", EventType: QueryType},
	{Method: "POST", Path: "/evaluate", EventType: QueryType},
}

// NewEvaluatorFunction is the slo-evaluator function: every minute (its
// schedule) and on POST /evaluate it evaluates every SLO and publishes the
// alert transitions; GET /slos answers every SLO's status, GET /slos/NAME
// one, GET /slos/NAME/history the data of its burn-down chart.
func NewEvaluatorFunction(e *Evaluator, now func() time.Time) faas.Function {
	if now == nil {
		now = time.Now
	}
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, now(), v)
	}
	return faas.Function{
		Name:        EvaluatorName,
		Description: "Evaluates every SLO's budget and burn rates each minute and publishes burn-rate alerts once; serves their status.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			at := now()
			if ev.Type() != QueryType {
				// The schedule (or any trigger event): evaluate.
				_, _, err := e.Evaluate(ctx, at)
				if err != nil {
					return nil, &faas.Error{Name: "SLO.EvaluationFailed", Message: err.Error(), Retryable: true, Err: err}
				}
				return nil, nil
			}
			var q Query
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &q); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			if q.Time != "" {
				t, err := time.Parse(time.RFC3339, q.Time)
				if err != nil {
					return nil, faas.Invalid("time", fmt.Errorf("%q is not an RFC 3339 time", q.Time))
				}
				at = t
			}
			path := strings.Trim(ev.Subject(), "/")
			parts := strings.Split(path, "/")
			switch {
			case path == "evaluate":
				sts, trans, err := e.Evaluate(ctx, at)
				if err != nil {
					return nil, &faas.Error{Name: "SLO.EvaluationFailed", Message: err.Error(), Retryable: true, Err: err}
				}
				if trans == nil {
					trans = []Transition{}
				}
				return reply(ev, map[string]any{"slos": sts, "transitions": trans})
			case path == "slos" || path == "":
				sts, err := e.Status(ctx, at)
				if err != nil {
					return nil, err
				}
				if sts == nil {
					sts = []Status{}
				}
				return reply(ev, map[string]any{"slos": sts})
			case len(parts) == 2 && parts[0] == "slos":
				sts, err := e.Status(ctx, at)
				if err != nil {
					return nil, err
				}
				for _, s := range sts {
					if s.SLO == parts[1] {
						return reply(ev, s)
					}
				}
				return nil, faas.Errorf("SLO.NotFound", "no SLO named %q", parts[1])
			case len(parts) == 3 && parts[0] == "slos" && parts[2] == "history":
				step := time.Hour
				if q.Step != "" {
					d, err := ParseWindow(q.Step)
					if err != nil {
						return nil, faas.Invalid("step", err)
					}
					step = d
				}
				pts, err := e.History(ctx, parts[1], at, step)
				if err != nil {
					return nil, faas.Invalid("slo", err)
				}
				return reply(ev, map[string]any{"slo": parts[1], "step": FormatWindow(step), "points": pts})
			}
			return nil, faas.Errorf("SLO.NotFound", "no route %q", ev.Subject())
		},
		Consumes: []string{QueryType, faas.ScheduleFiredType},
		Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: EvaluateSchedule}, {Kind: faas.TriggerHTTP}},
		Routes:   EvaluatorRoutes,
	}
}

// ParseWindow reads a duration written as SLO windows are (5m, 6h, 3d, 1w)
// or as Go writes them (90s, 1h30m).
func ParseWindow(s string) (time.Duration, error) {
	if _, unit, d, err := osloDuration(s); err == nil && d > 0 && (unit == 'd' || unit == 'w') {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 1m, 1h or 1d", s)
	}
	return d, nil
}
