package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Names of the function and its events.
const (
	FunctionName = "incident-manager"
	EventSource  = "cogniforge/incident-manager"
	// RequestType is the event of the function's JSON routes.
	RequestType = events.TypeIncidentRequest
)

// AlertTypes are the catalog events that open and resolve incidents, which
// the function's queue receives from the bus.
var AlertTypes = []string{events.TypeSLOAlertFiring, events.TypeSLOAlertResolved, events.TypeSagaStuck}

// FromCloudEvent turns an alert event of AlertTypes into an Alert.
func FromCloudEvent(ev cloudevents.Event) (Alert, error) {
	switch ev.Type() {
	case events.TypeSLOAlertFiring, events.TypeSLOAlertResolved:
		var d events.SLOAlert
		if err := json.Unmarshal(ev.Data(), &d); err != nil {
			return Alert{}, faas.Invalid("data", err)
		}
		a := Alert{ID: ev.ID(), Source: SourceSLO, DedupKey: d.DedupKey, Service: d.Service, SourceSeverity: d.Severity,
			Title: fmt.Sprintf("SLO %s: %s (%s burn %.2f, threshold %.2f)", d.SLO, d.Severity, d.Rule, d.BurnRate.Long, d.Threshold),
			Time:  ev.Time(), SLO: d.SLO, BudgetRemaining: &d.BudgetRemaining,
			Details: map[string]string{"slo": d.SLO, "rule": d.Rule, "windows": strings.Join(d.Windows, "/"),
				"burnRateLong": fmt.Sprint(d.BurnRate.Long), "burnRateShort": fmt.Sprint(d.BurnRate.Short),
				"budgetRemaining": fmt.Sprint(d.BudgetRemaining), "exhaustion": d.Exhaustion}}
		if ev.Type() == events.TypeSLOAlertResolved {
			a.Action = ActionResolve
		}
		return a, nil
	case events.TypeSagaStuck:
		var d events.SagaStuck
		if err := json.Unmarshal(ev.Data(), &d); err != nil {
			return Alert{}, faas.Invalid("data", err)
		}
		return Alert{ID: ev.ID(), Source: SourceSaga, DedupKey: "saga/" + d.SagaID, Service: d.Saga, Time: ev.Time(),
			Title:   fmt.Sprintf("Saga %s (%s) stuck at %s (%s)", d.SagaID, d.Saga, d.Step, d.Phase),
			Details: map[string]string{"sagaId": d.SagaID, "step": d.Step, "phase": d.Phase, "reason": d.Reason}}, nil
	}
	return Alert{}, faas.Errorf(ErrNameInvalidRequest, "event type %q opens no incident (want one of %v)", ev.Type(), AlertTypes)
}

// Publish sends a change as its catalog event.
func Publish(ctx context.Context, p bus.Publisher, in *Incident, c Change) error {
	typ := map[string]string{"triggered": events.TypeIncidentTriggered, "acknowledged": events.TypeIncidentAcknowledged,
		"resolved": events.TypeIncidentResolved, "updated": events.TypeIncidentUpdated}[c.Kind]
	if typ == "" {
		return fmt.Errorf("incident: no event type for a %q change", c.Kind)
	}
	d := events.IncidentChanged{ID: in.ID, Title: in.Title, Service: in.Service, Severity: string(in.Severity), State: string(in.State),
		Source: in.Source, DedupKey: in.DedupKey, Alerts: in.Alerts, At: c.At.UTC().Format(time.RFC3339Nano), By: c.Who, Text: c.Text,
		CreatedAt: in.CreatedAt.UTC().Format(time.RFC3339Nano)}
	ev, err := events.New(ctx, typ, EventSource, d, events.ID(c.ID), events.Time(c.At), events.Subject(in.ID))
	if err != nil {
		return err
	}
	return bus.PublishOne(ctx, p, ev)
}

// Request is the data of RequestType: a route's body or query.
type Request struct {
	// Alert fields, for POST /incidents.
	Alert
	// By and Text: who acts, and a note or resolution text.
	By   string `json:"by,omitempty"`
	Text string `json:"text,omitempty"`
	// List filters (query parameters).
	State string `json:"state,omitempty"`
	Since string `json:"since,omitempty"`
	// Review, for PUT /incidents/{id}/review.
	Review *Review `json:"review,omitempty"`
}

// Routes are the function's JSON routes (under its function URL).
var Routes = []faas.Route{
	{Method: "POST", Path: "/incidents", EventType: RequestType},
	{Method: "GET", Path: "/incidents", EventType: RequestType},
	{Method: "GET", Path: "/incidents/metrics", EventType: RequestType},
	{Method: "GET", Path: "/incidents/{id}", EventType: RequestType},
	{Method: "POST", Path: "/incidents/{id}/ack", EventType: RequestType},
	{Method: "POST", Path: "/incidents/{id}/resolve", EventType: RequestType},
	{Method: "POST", Path: "/incidents/{id}/notes", EventType: RequestType},
	{Method: "PUT", Path: "/incidents/{id}/review", EventType: RequestType},
	{Method: "GET", Path: "/incidents/{id}/review.md", EventType: RequestType},
}

// NewFunction is the incident-manager function: alerts from its queue (the
// bus delivers SLO alerts and stuck sagas) and the incident API over its
// function URL.
func NewFunction(m *Manager, now func() time.Time) faas.Function {
	if now == nil {
		now = time.Now
	}
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, now(), v)
	}
	return faas.Function{
		Name:        FunctionName,
		Description: "Opens incidents from alerts (one per dedup key), tracks acknowledgement and resolution, serves the incident API.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if ev.Type() != RequestType {
				a, err := FromCloudEvent(ev)
				if err != nil {
					return nil, err
				}
				_, _, err = m.Handle(ctx, a)
				return nil, err
			}
			var rq Request
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &rq); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			return serve(ctx, m, ev, rq, reply)
		},
		Consumes: append([]string{RequestType}, AlertTypes...),
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue, Queue: FunctionName, EventTypes: AlertTypes, MaxReceives: 5},
			{Kind: faas.TriggerHTTP},
		},
		Routes: Routes,
		// The incident API changes incidents: IAM on the AWS function URL,
		// the runtime's bearer token locally.
		Protected: true,
	}
}

func serve(ctx context.Context, m *Manager, ev cloudevents.Event, rq Request, reply func(cloudevents.Event, any) (*cloudevents.Event, error)) (*cloudevents.Event, error) {
	path := strings.Trim(ev.Subject(), "/")
	parts := strings.Split(path, "/")
	if len(parts) == 0 || parts[0] != "incidents" {
		return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
	}
	filter := func() (Filter, error) {
		f := Filter{State: State(rq.State), Service: rq.Service, Severity: rq.Severity}
		if rq.Since != "" {
			t, err := time.Parse(time.RFC3339, rq.Since)
			if err != nil {
				return f, faas.Invalid("since", fmt.Errorf("%q is not an RFC 3339 time", rq.Since))
			}
			f.Since = t
		}
		return f, nil
	}
	switch {
	case len(parts) == 1 && rq.Alert.ID != "" || len(parts) == 1 && rq.Title != "":
		// POST /incidents: an API caller's alert.
		a := rq.Alert
		if a.Source == "" {
			a.Source = SourceAPI
		}
		if a.ID == "" {
			a.ID = ev.ID()
		}
		if a.DedupKey == "" {
			a.DedupKey = "api/" + a.ID
		}
		in, out, err := m.Handle(ctx, a)
		if err != nil {
			return nil, err
		}
		return reply(ev, map[string]any{"outcome": out, "incident": in})
	case len(parts) == 1:
		f, err := filter()
		if err != nil {
			return nil, err
		}
		list, err := m.List(ctx, f)
		if err != nil {
			return nil, err
		}
		return reply(ev, map[string]any{"incidents": list})
	case len(parts) == 2 && parts[1] == "metrics":
		f, err := filter()
		if err != nil {
			return nil, err
		}
		ms, err := m.Metrics(ctx, f)
		if err != nil {
			return nil, err
		}
		return reply(ev, map[string]any{"metrics": ms})
	case len(parts) == 2:
		in, err := m.Get(ctx, parts[1])
		if err != nil {
			return nil, err
		}
		return reply(ev, in)
	case len(parts) == 3:
		id := parts[1]
		var in *Incident
		var err error
		switch parts[2] {
		case "ack":
			in, err = m.Acknowledge(ctx, id, rq.By)
		case "resolve":
			in, err = m.Resolve(ctx, id, rq.By, rq.Text)
		case "notes":
			in, err = m.Note(ctx, id, rq.By, rq.Text)
		case "review":
			if rq.Review == nil {
				return nil, faas.Invalid("review", errors.New("required"))
			}
			in, err = m.SetReview(ctx, id, rq.By, *rq.Review)
		case "review.md":
			in, err = m.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			return reply(ev, map[string]string{"markdown": Markdown(in)})
		default:
			return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
		}
		if err != nil {
			return nil, err
		}
		return reply(ev, in)
	}
	return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
}
