package release

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
	"github.com/cogniforge/cogniforge/pkg/slo"
)

// Names of the function, its state machine and its events.
const (
	FunctionName = "release-controller"
	// Machine is the state machine running a release's step loop
	// (statemachines/release.asl.json), started with the release id as the
	// execution name.
	Machine     = "release"
	EventSource = "cogniforge/release-controller"
	RequestType = events.TypeReleaseRequest
	StepType    = events.TypeReleaseStep
)

// Request is the data of RequestType: a route's body or query.
type Request struct {
	ID                string    `json:"id,omitempty"`
	Function          string    `json:"function,omitempty"`
	Alias             string    `json:"alias,omitempty"`
	Version           string    `json:"version,omitempty"`
	Strategy          Strategy  `json:"strategy,omitempty"`
	Weights           []float64 `json:"weights,omitempty"`
	Interval          string    `json:"interval,omitempty"`
	MaxErrorRate      float64   `json:"maxErrorRate,omitempty"`
	MaxLatencyMs      float64   `json:"maxLatencyMs,omitempty"`
	LatencyPercentile float64   `json:"latencyPercentile,omitempty"`
	SLO               string    `json:"slo,omitempty"`
	BurnWindow        string    `json:"burnWindow,omitempty"`
	MaxBurnRate       float64   `json:"maxBurnRate,omitempty"`
	MinRequests       int       `json:"minRequests,omitempty"`
	MaxHolds          int       `json:"maxHolds,omitempty"`
	By                string    `json:"by,omitempty"`
	Reason            string    `json:"reason,omitempty"`
	State             string    `json:"state,omitempty"`
	Description       string    `json:"description,omitempty"`
}

// Spec turns a start request into a Spec, naming a bad duration's field.
func (rq Request) Spec() (Spec, error) {
	s := Spec{ID: rq.ID, Function: rq.Function, Alias: rq.Alias, Version: rq.Version, Strategy: rq.Strategy, Weights: rq.Weights, By: rq.By,
		Checks: Checks{MaxErrorRate: rq.MaxErrorRate, MaxLatencyMs: rq.MaxLatencyMs, LatencyPercentile: rq.LatencyPercentile, SLO: rq.SLO,
			MaxBurnRate: rq.MaxBurnRate, MinRequests: rq.MinRequests, MaxHolds: rq.MaxHolds}}
	var errs []error
	if rq.Interval != "" {
		d, err := ParseDuration(rq.Interval)
		if err != nil {
			errs = append(errs, &FieldError{Field: "interval", Err: err})
		}
		s.Interval = Duration(d)
	}
	if rq.BurnWindow != "" {
		d, err := ParseDuration(rq.BurnWindow)
		if err != nil {
			errs = append(errs, &FieldError{Field: "burnWindow", Err: err})
		}
		s.Checks.BurnWindow = Duration(d)
	}
	return s, errors.Join(errs...)
}

// Step is the data of StepType, the state machine's Task input.
type Step struct {
	ReleaseID string `json:"releaseId"`
	// Action is "check" (empty) or "rollback", the Catch path.
	Action string `json:"action,omitempty"`
	// Error is what the state machine caught, on the rollback path.
	Error json.RawMessage `json:"error,omitempty"`
}

// Routes are the controller's JSON routes over its function URL.
var Routes = []faas.Route{
	{Method: "POST", Path: "/releases", EventType: RequestType},
	{Method: "GET", Path: "/releases", EventType: RequestType},
	{Method: "GET", Path: "/releases/{id}", EventType: RequestType},
	{Method: "POST", Path: "/releases/{id}/rollback", EventType: RequestType},
	{Method: "POST", Path: "/versions/{function}", EventType: RequestType},
	{Method: "GET", Path: "/aliases/{function}", EventType: RequestType},
}

// Publisher publishes versions (the local runtime's StoreAliases; on AWS,
// versions are published by deployments).
type Publisher interface {
	Publish(ctx context.Context, function, description string) (VersionInfo, error)
}

// Starter starts a state machine execution by machine and execution name.
type Starter func(ctx context.Context, machine, name, input string) error

// FunctionConfig is what NewFunction wires.
type FunctionConfig struct {
	Releases *Releases
	Counter  *Counter
	Aliases  Aliases
	// Versions publishes versions for POST /versions/{function}; nil
	// answers that route with Release.NotSupported.
	Versions Publisher
	// Start starts the release state machine; nil leaves releases to be
	// stepped by whoever calls Check.
	Start Starter
	// Exists tells a start error that means the execution exists already.
	Exists func(error) bool
	Now    func() time.Time
}

// PublishTo returns a Config.Publish that sends decisions to p.
func PublishTo(p bus.Publisher) func(ctx context.Context, typ, id string, d events.ReleaseChanged) error {
	return func(ctx context.Context, typ, id string, d events.ReleaseChanged) error {
		at, _ := time.Parse(time.RFC3339Nano, d.At)
		ev, err := events.New(ctx, typ, EventSource, d, events.ID(id), events.Time(at), events.Subject(d.ID))
		if err != nil {
			return err
		}
		return bus.PublishOne(ctx, p, ev)
	}
}

// asFaas gives errors the named shape every adapter reports.
func asFaas(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return &faas.Error{Name: ErrNameFailed, Message: err.Error(), Retryable: true, Err: err}
	}
	fe := &faas.Error{Name: e.Name, Message: e.Error(), Retryable: e.Name == ErrNameFailed || e.Name == ErrNameAliasFail, Err: err}
	if e.Name == ErrNameInvalid {
		var f *FieldError
		if errors.As(err, &f) {
			// The catalog's field-naming error, so the problem says which.
			inv := faas.Invalid(f.Field, f.Err)
			inv.Message = e.Error()
			return inv
		}
		fe.Name = faas.ErrInvalidEvent
	}
	return fe
}

// NewFunction is the release-controller: it counts the versioned
// request.completed events of its queue, serves the release API, and runs
// the release state machine's steps.
func NewFunction(cfg FunctionConfig) faas.Function {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, now(), v)
	}
	batch := func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
		out := make([]faas.Result, len(evs))
		decoded := make([]slo.Event, 0, len(evs))
		idx := make([]int, 0, len(evs))
		for i, ev := range evs {
			e, err := slo.FromCloudEvent(ev)
			if err != nil {
				out[i].Err = faas.Invalid("data", err)
				continue
			}
			decoded = append(decoded, e)
			idx = append(idx, i)
		}
		for j, err := range cfg.Counter.Count(ctx, decoded) {
			if err != nil {
				out[idx[j]].Err = &faas.Error{Name: ErrNameFailed, Message: err.Error(), Retryable: true, Err: err}
			}
		}
		return out
	}
	return faas.Function{
		Name:          FunctionName,
		Description:   "Shifts alias traffic to a new function version in steps (canary, linear, blue-green), judged by its request.completed events; rolls back on a breach.",
		TaskEventType: StepType,
		Consumes:      []string{slo.EventType, RequestType, StepType},
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			switch ev.Type() {
			case slo.EventType:
				return nil, batch(ctx, []cloudevents.Event{ev})[0].Err
			case StepType:
				var st Step
				if err := json.Unmarshal(ev.Data(), &st); err != nil {
					return nil, faas.Invalid("data", err)
				}
				out, err := runStep(ctx, cfg.Releases, st)
				if err != nil {
					return nil, asFaas(err)
				}
				return reply(ev, out)
			}
			var rq Request
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &rq); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			out, err := serve(ctx, cfg, ev.Subject(), rq, now)
			if err != nil {
				return nil, asFaas(err)
			}
			return reply(ev, out)
		},
		Batch: batch,
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue, Queue: FunctionName, EventTypes: []string{slo.EventType}, MaxReceives: 5, VisibilityTimeoutSeconds: 60},
			{Kind: faas.TriggerStepFunctions},
			{Kind: faas.TriggerHTTP},
		},
		Routes: Routes,
		// The API moves production traffic: IAM on the AWS function URL,
		// the runtime's bearer token locally.
		Protected: true,
	}
}

func runStep(ctx context.Context, rs *Releases, st Step) (Outcome, error) {
	if st.ReleaseID == "" {
		return Outcome{}, named(ErrNameInvalid, &FieldError{Field: "releaseId", Err: errors.New("required")})
	}
	switch st.Action {
	case "", "check":
		return rs.Check(ctx, st.ReleaseID)
	case "rollback":
		reason := "the release state machine failed"
		if len(st.Error) > 0 {
			var caught struct{ Error, Cause string }
			if json.Unmarshal(st.Error, &caught) == nil && caught.Error != "" {
				reason += ": " + caught.Error
				if caught.Cause != "" {
					reason += ": " + caught.Cause
				}
			}
		}
		r, err := rs.Rollback(ctx, st.ReleaseID, Controller, reason)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Name == ErrNameConflict {
				// Promoted already: nothing to roll back.
				r, gerr := rs.Get(ctx, st.ReleaseID)
				if gerr != nil {
					return Outcome{}, gerr
				}
				return r.outcome("done", time.Now()), nil
			}
			return Outcome{}, err
		}
		return r.outcome(DidRollBack, time.Now()), nil
	}
	return Outcome{}, named(ErrNameInvalid, &FieldError{Field: "action", Err: fmt.Errorf("%q is not check or rollback", st.Action)})
}

func serve(ctx context.Context, cfg FunctionConfig, subject string, rq Request, now func() time.Time) (any, error) {
	parts := strings.Split(strings.Trim(subject, "/"), "/")
	rs := cfg.Releases
	switch {
	case len(parts) == 1 && parts[0] == "releases" && rq.Function != "":
		spec, err := rq.Spec()
		if err != nil {
			return nil, named(ErrNameInvalid, err)
		}
		r, err := rs.Start(ctx, spec)
		if err != nil {
			return nil, err
		}
		if cfg.Start != nil {
			input, _ := json.Marshal(map[string]any{"releaseId": r.ID, "waitSeconds": r.outcome("", now()).WaitSeconds})
			if err := cfg.Start(ctx, Machine, r.ID, string(input)); err != nil && !(cfg.Exists != nil && cfg.Exists(err)) {
				// A release nobody steps must not keep its traffic split.
				if _, rerr := rs.Rollback(context.WithoutCancel(ctx), r.ID, Controller, "the release state machine did not start: "+err.Error()); rerr != nil {
					err = errors.Join(err, rerr)
				}
				return nil, named(ErrNameFailed, fmt.Errorf("starting the %s state machine for %s: %w", Machine, r.ID, err))
			}
		}
		return r, nil
	case len(parts) == 1 && parts[0] == "releases":
		list, err := rs.List(ctx, State(rq.State))
		if err != nil {
			return nil, err
		}
		return map[string]any{"releases": list}, nil
	case len(parts) == 2 && parts[0] == "releases":
		return rs.Get(ctx, parts[1])
	case len(parts) == 3 && parts[0] == "releases" && parts[2] == "rollback":
		return rs.Rollback(ctx, parts[1], rq.By, rq.Reason)
	case len(parts) == 2 && parts[0] == "versions":
		// POST /versions/{function}: publish a version (locally).
		if cfg.Versions == nil {
			return nil, named(ErrNameNotSupported, fmt.Errorf("versions of %s are published by deployments here, not by the release controller", parts[1]))
		}
		v, err := cfg.Versions.Publish(ctx, parts[1], rq.Description)
		if err != nil {
			return nil, aliasError(err)
		}
		return v, nil
	case len(parts) == 2 && parts[0] == "aliases":
		// GET /aliases/{function}: its versions and where an alias routes.
		alias := rq.Alias
		if alias == "" {
			alias = DefaultAlias
		}
		vs, err := cfg.Aliases.Versions(ctx, parts[1])
		if err != nil {
			return nil, aliasError(err)
		}
		r, err := cfg.Aliases.Alias(ctx, parts[1], alias)
		if err != nil {
			return nil, aliasError(err)
		}
		return map[string]any{"function": parts[1], "versions": vs, "alias": alias, "routing": r}, nil
	}
	return nil, named(ErrNameNotFound, fmt.Errorf("no route %q", subject))
}
