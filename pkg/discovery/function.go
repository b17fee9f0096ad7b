package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// The function, its schedule and its events.
const (
	FunctionName = "health-checker"
	EventSource  = "cogniforge/health-checker"
	// CheckSchedule probes every instance each minute.
	CheckSchedule = "rate(1 minute)"
	// RequestType is the event of the function's JSON routes.
	RequestType = events.TypeDiscoveryRequest
	// HealthChangedType is the event of a health transition.
	HealthChangedType = events.TypeDiscoveryHealthChanged
)

// Routes are the health-checker's JSON routes (under its function URL).
var Routes = []faas.Route{
	{Method: "POST", Path: "/instances", EventType: RequestType},
	{Method: "GET", Path: "/instances", EventType: RequestType},
	{Method: "GET", Path: "/instances/{service}", EventType: RequestType},
	{Method: "DELETE", Path: "/instances/{service}/{id}", EventType: RequestType},
	{Method: "POST", Path: "/instances/{service}/{id}/heartbeat", EventType: RequestType},
	{Method: "POST", Path: "/check", EventType: RequestType},
}

// Request is the data of RequestType: a registration (POST /instances) or
// list filters (the query parameters of GET /instances).
type Request struct {
	Registration
	// Health keeps the instances in that state (lists).
	Health Health `json:"health,omitempty"`
}

// isRegistration tells POST /instances from GET /instances, which share
// the path (the routes pass no method): a registration names an instance.
func (r Request) isRegistration() bool {
	return r.ID != "" || r.URL != "" || r.HealthURL != "" || r.Weight != nil || r.TTL != 0 || r.Zone != "" || len(r.Metadata) > 0
}

// Publisher returns the Publish function of a Checker that sends each
// transition to p as HealthChangedType, with the change's stable id.
func Publisher(p bus.Publisher) func(context.Context, HealthChange) error {
	return func(ctx context.Context, c HealthChange) error {
		ev, err := events.New(ctx, HealthChangedType, EventSource, c, events.ID(c.EventID()), events.Time(c.At), events.Subject(c.Service+"/"+c.ID))
		if err != nil {
			return err
		}
		return bus.PublishOne(ctx, p, ev)
	}
}

// AsFaas gives the package's errors the named shape every adapter
// reports: a bad field is an invalid event naming it (400), a missing
// instance Discovery.NotFound, a lost race Discovery.Conflict (retryable).
func AsFaas(err error) error {
	var fe *FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return faas.Invalid(fe.Field, errors.New(strings.TrimPrefix(err.Error(), fe.Field+": ")))
	case errors.Is(err, ErrNotFound):
		return &faas.Error{Name: ErrNameNotFound, Message: err.Error(), Err: err}
	case errors.Is(err, ErrNoInstance):
		return &faas.Error{Name: ErrNameNoInstance, Message: err.Error(), Err: err}
	case errors.Is(err, ErrConflict):
		return &faas.Error{Name: ErrNameConflict, Message: err.Error(), Retryable: true, Err: err}
	}
	return err
}

// NewFunction is the health-checker: every minute (its schedule) and on
// POST /check it probes every instance's health URL; its routes register,
// list, renew and deregister instances.
func NewFunction(r *Registry, ck *Checker, now func() time.Time) faas.Function {
	if now == nil {
		now = time.Now
	}
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, now(), v)
	}
	check := func(ctx context.Context) (Report, error) {
		rep, err := ck.Check(ctx)
		if err != nil {
			return rep, &faas.Error{Name: ErrNameCheckFailed, Message: err.Error(), Retryable: true, Err: err}
		}
		return rep, nil
	}
	return faas.Function{
		Name:        FunctionName,
		Description: "Probes every registered service instance's health URL each minute, marks it healthy or unhealthy after N results in a row, and serves the discovery registry.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if ev.Type() != RequestType {
				// The schedule (or any trigger event): check.
				_, err := check(ctx)
				return nil, err
			}
			var rq Request
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &rq); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			out, err := serve(ctx, r, ev.Subject(), rq, check)
			if err != nil {
				return nil, AsFaas(err)
			}
			return reply(ev, out)
		},
		Consumes: []string{RequestType, faas.ScheduleFiredType},
		Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: CheckSchedule}, {Kind: faas.TriggerHTTP}},
		Routes:   Routes,
		// Registering and deregistering change where traffic goes: IAM on
		// the AWS function URL, the runtime's bearer token locally.
		Protected: true,
	}
}

func serve(ctx context.Context, r *Registry, subject string, rq Request, check func(context.Context) (Report, error)) (any, error) {
	parts := strings.Split(strings.Trim(subject, "/"), "/")
	list := func(service string) (any, error) {
		all, err := r.Instances(ctx, service)
		if err != nil {
			return nil, err
		}
		out := make([]Instance, 0, len(all))
		for _, in := range all {
			if rq.Health == "" || in.Health == rq.Health {
				out = append(out, in)
			}
		}
		return map[string]any{"instances": out}, nil
	}
	switch {
	case len(parts) == 1 && parts[0] == "check":
		return check(ctx)
	case len(parts) == 1 && parts[0] == "instances" && rq.isRegistration():
		return r.Register(ctx, rq.Registration)
	case len(parts) == 1 && parts[0] == "instances":
		return list(rq.Service)
	case len(parts) == 2 && parts[0] == "instances":
		return list(parts[1])
	case len(parts) == 3 && parts[0] == "instances":
		if err := r.Deregister(ctx, parts[1], parts[2]); err != nil {
			return nil, err
		}
		return map[string]any{"service": parts[1], "id": parts[2], "deregistered": true}, nil
	case len(parts) == 4 && parts[0] == "instances" && parts[3] == "heartbeat":
		return r.Heartbeat(ctx, parts[1], parts[2])
	}
	return nil, faas.Errorf(ErrNameNotFound, "no route %q", subject)
}
