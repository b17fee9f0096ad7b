package apigov

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// The function and its schedule.
const (
	FunctionName = "governance-auditor"
	// AuditSchedule audits every embedded spec once a day.
	AuditSchedule = "rate(1 day)"
)

// Error names the function reports (ASL Catch and problem bodies).
const (
	ErrNameNotFound    = "Governance.NotFound"
	ErrNameAuditFailed = "Governance.AuditFailed"
)

// Routes are the governance dashboard's JSON routes (under the function
// URL).
var Routes = []faas.Route{
	{Method: "GET", Path: "/governance/overview", EventType: QueryType},
	{Method: "GET", Path: "/governance/apis/{name}/report", EventType: QueryType},
}

// Query is the data of QueryType: the query parameters of the routes.
type Query struct {
	// Version picks an API version for /governance/apis/{name}/report.
	Version string `json:"version,omitempty"`
}

func errorNotFound(api string) error { return fmt.Errorf("%w of API %q", ErrNotFound, api) }

// asFaas gives errors the named shape every adapter reports.
func asFaas(err error) error {
	var fe *FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return faas.Invalid(fe.Field, fe.Err)
	case errors.Is(err, ErrNotFound):
		return &faas.Error{Name: ErrNameNotFound, Message: err.Error(), Err: err}
	}
	return &faas.Error{Name: ErrNameAuditFailed, Message: err.Error(), Retryable: true, Err: err}
}

// NewFunction is the governance-auditor: a spec change (SpecChangedType on
// the bus) is audited and diffed; the daily schedule audits every catalog
// spec; request.completed events are tallied for client impact; the
// routes serve the overview and each API's report.
func NewFunction(g *Governor) faas.Function {
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, g.cfg.Now(), v)
	}
	return faas.Function{
		Name:        FunctionName,
		Description: "Audits every API spec (OWASP API Top 10) daily and on each spec change, detects breaking changes with the callers they affect, publishes the findings and serves the governance dashboard.",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			switch ev.Type() {
			case SpecChangedType:
				var c SpecChange
				if err := ev.DataAs(&c); err != nil {
					return nil, faas.Invalid("data", err)
				}
				_, err := g.SpecChanged(ctx, c)
				return nil, asFaas(err)
			case events.TypeRequestCompleted:
				if err := g.RecordCall(ctx, ev); err != nil {
					if strings.Contains(err.Error(), "data") {
						return nil, faas.Invalid("data", err)
					}
					return nil, asFaas(err)
				}
				return nil, nil
			case QueryType:
				var q Query
				if len(ev.Data()) > 0 {
					if err := json.Unmarshal(ev.Data(), &q); err != nil {
						return nil, faas.Invalid("data", err)
					}
				}
				parts := strings.Split(strings.Trim(ev.Subject(), "/"), "/")
				switch {
				case len(parts) == 2 && parts[0] == "governance" && parts[1] == "overview":
					ov, err := g.Overview(ctx)
					if err != nil {
						return nil, asFaas(err)
					}
					return reply(ev, ov)
				case len(parts) == 4 && parts[0] == "governance" && parts[1] == "apis" && parts[3] == "report":
					r, err := g.ReportFor(ctx, parts[2], q.Version)
					if err != nil {
						return nil, asFaas(err)
					}
					return reply(ev, r)
				}
				return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
			default:
				// The schedule (or any trigger event): audit everything.
				_, err := g.AuditAll(ctx)
				return nil, asFaas(err)
			}
		},
		Consumes: []string{SpecChangedType, QueryType, events.TypeRequestCompleted, faas.ScheduleFiredType},
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerSchedule, Schedule: AuditSchedule},
			{Kind: faas.TriggerEventBus, EventTypes: []string{SpecChangedType}},
			{Kind: faas.TriggerQueue, Queue: FunctionName, EventTypes: []string{events.TypeRequestCompleted}, MaxReceives: 5, VisibilityTimeoutSeconds: 60},
			{Kind: faas.TriggerHTTP},
		},
		Routes: Routes,
		// Reports name weaknesses of every API: IAM on the AWS function
		// URL, the runtime's bearer token locally.
		Protected: true,
	}
}
