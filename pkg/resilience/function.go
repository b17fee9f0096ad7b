package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// AdminName is the resilience-admin function's name.
const AdminName = "resilience-admin"

// CommandType is the event type of the admin function's requests.
const CommandType = events.TypeResilienceCommand

// Command is the data of a CommandType event.
type Command struct {
	Name  string `json:"name,omitempty"`
	Mode  string `json:"mode,omitempty"`
	For   string `json:"for,omitempty"`
	Until string `json:"until,omitempty"`
}

// AdminRoutes are the admin function's JSON routes.
var AdminRoutes = []faas.Route{
	{Method: "GET", Path: "/breakers", EventType: CommandType},
	{Method: "POST", Path: "/breakers/{name}/force", EventType: CommandType},
}

// ErrNameNotFound names a route the admin function does not serve.
const ErrNameNotFound = "Resilience.NotFound"

// ParseForce reads a force command's mode and end (until, or now plus for;
// zero for neither), naming the field at fault.
func ParseForce(c Command, now time.Time) (ForceMode, time.Time, error) {
	var mode ForceMode
	switch c.Mode {
	case "open":
		mode = ForceOpen
	case "closed":
		mode = ForceClosed
	case "none":
		mode = ForceNone
	default:
		return "", time.Time{}, faas.Invalid("mode", fmt.Errorf("%q is not open, closed or none", c.Mode))
	}
	var until time.Time
	switch {
	case c.For != "" && c.Until != "":
		return "", time.Time{}, faas.Invalid("for", fmt.Errorf("give for or until, not both"))
	case c.For != "":
		d, err := time.ParseDuration(c.For)
		if err != nil || d <= 0 {
			return "", time.Time{}, faas.Invalid("for", fmt.Errorf("%q is not a positive duration such as 5m", c.For))
		}
		until = now.Add(d)
	case c.Until != "":
		t, err := time.Parse(time.RFC3339, c.Until)
		if err != nil || !t.After(now) {
			return "", time.Time{}, faas.Invalid("until", fmt.Errorf("%q is not an RFC 3339 time in the future", c.Until))
		}
		until = t
	}
	return mode, until, nil
}

// NewAdminFunction is the resilience-admin function over a: GET /breakers
// answers Admin.Status; POST /breakers/NAME/force (or a Step Functions
// task with a name, as a chaos experiment runs it) forces a breaker and
// answers its status.
func NewAdminFunction(a *Admin) faas.Function {
	reply := func(in cloudevents.Event, v any) (*cloudevents.Event, error) {
		return faas.JSONReply(in, EventSource, a.now(), v)
	}
	return faas.Function{
		Name:          AdminName,
		Description:   "Lists the shared circuit breakers and bulkheads, and forces a breaker open or closed (operators, chaos experiments).",
		Consumes:      []string{CommandType},
		TaskEventType: CommandType,
		Triggers:      []faas.Trigger{{Kind: faas.TriggerHTTP}, {Kind: faas.TriggerStepFunctions}},
		Routes:        AdminRoutes,
		Protected:     true,
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			var c Command
			if len(ev.Data()) > 0 {
				if err := json.Unmarshal(ev.Data(), &c); err != nil {
					return nil, faas.Invalid("data", err)
				}
			}
			parts := strings.Split(strings.Trim(ev.Subject(), "/"), "/")
			switch {
			case len(parts) == 3 && parts[0] == "breakers" && parts[2] == "force":
				c.Name = parts[1]
			case (len(parts) == 1 && parts[0] == "breakers") || (ev.Subject() == "" && c.Mode == ""):
				st, err := a.Status(ctx)
				if err != nil {
					return nil, err
				}
				return reply(ev, st)
			case ev.Subject() != "":
				return nil, faas.Errorf(ErrNameNotFound, "no route %q", ev.Subject())
			}
			if c.Name == "" {
				return nil, faas.Invalid("name", fmt.Errorf("required"))
			}
			mode, until, err := ParseForce(c, a.now())
			if err != nil {
				return nil, err
			}
			if err := a.Force(ctx, c.Name, mode, until); err != nil {
				return nil, err
			}
			b, err := NewBreaker(BreakerConfig{Name: c.Name, Store: a.Store, Now: a.Now})
			if err != nil {
				return nil, err
			}
			bs, err := b.State(ctx)
			if err != nil {
				return nil, err
			}
			return reply(ev, bs)
		},
	}
}
