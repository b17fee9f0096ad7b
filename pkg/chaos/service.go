package chaos

import (
	"bytes"
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

// The actions of a Request.
const (
	ActionInject = "inject"
	ActionList   = "list"
	ActionClear  = "clear"
)

// Request is the data of a dev.cogniforge.chaos.request.v1 event: an
// action and a fault's fields (inject) or a selection (list, clear: by
// function, id, experiment). Without an action, a request whose subject
// (the route path) ends in /clear clears, one naming a fault kind injects,
// and others list.
type Request struct {
	Action string `json:"action,omitempty"`
	Fault
}

// Service is the chaos-injector's logic: it starts and stops faults in its
// Manager's Store and publishes dev.cogniforge.chaos.fault.injected.v1 and
// .cleared.v1 (at least once per change when the bus answers; a failed
// publish is logged, the change stands).
type Service struct {
	Manager *Manager
	Bus     bus.Publisher
	// Source is the CloudEvents source of the published events.
	Source string
	Logger *slog.Logger
}

// Inject stores f (see Manager.Inject) and publishes its injected event.
func (s *Service) Inject(ctx context.Context, f Fault) (Fault, error) {
	f, err := s.Manager.Inject(ctx, f)
	if err != nil {
		return Fault{}, err
	}
	s.publish(ctx, events.TypeChaosFaultInjected, f.ID+"/injected", f.Function, f)
	return f, nil
}

// Clear removes the faults filter selects and publishes a cleared event for
// each.
func (s *Service) Clear(ctx context.Context, filter ClearFilter) ([]Fault, error) {
	removed, err := s.Manager.Clear(ctx, filter)
	if err != nil {
		return nil, err
	}
	now := s.Manager.now().UTC()
	for _, f := range removed {
		s.publish(ctx, events.TypeChaosFaultCleared, f.ID+"/cleared", f.Function, struct {
			Fault
			ClearedAt time.Time `json:"clearedAt"`
		}{f, now})
	}
	return removed, nil
}

func (s *Service) publish(ctx context.Context, typ, id, subject string, data any) {
	if s.Bus == nil {
		return
	}
	ev, err := events.New(ctx, typ, s.Source, data, events.ID(id), events.Subject(subject))
	if err == nil {
		var errs []error
		errs, err = s.Bus.Publish(ctx, []cloudevents.Event{ev})
		if err == nil && len(errs) > 0 {
			err = errs[0]
		}
	}
	if err != nil && s.Logger != nil {
		s.Logger.WarnContext(ctx, "chaos: publishing failed", "type", typ, "id", id, "error", err.Error())
	}
}

// Handle serves one request event and answers its result as the reply's
// data: the stored fault (inject), the active faults (list), the removed
// ones (clear: {"cleared": [...]}). An invalid request is
// CogniForge.InvalidEvent naming the field, and nothing is stored.
func (s *Service) Handle(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	var req Request
	if data := bytes.TrimSpace(ev.Data()); len(data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return nil, faas.Invalid("data", err)
		}
	}
	action := req.Action
	if action == "" {
		switch {
		case strings.HasSuffix(ev.Subject(), "/clear"):
			action = ActionClear
		case req.Kind != "":
			action = ActionInject
		default:
			action = ActionList
		}
	}
	now := s.Manager.now()
	switch action {
	case ActionInject:
		f, err := s.Inject(ctx, req.Fault)
		if err != nil {
			return nil, requestError(err)
		}
		return faas.JSONReply(ev, s.Source, now, f)
	case ActionList:
		all, err := s.Manager.List(ctx)
		if err != nil {
			return nil, err
		}
		out := []Fault{}
		for _, f := range all {
			if (req.Function == "" || f.Function == req.Function) && (req.Experiment == "" || f.Experiment == req.Experiment) {
				out = append(out, f)
			}
		}
		return faas.JSONReply(ev, s.Source, now, out)
	case ActionClear:
		removed, err := s.Clear(ctx, ClearFilter{Function: req.Function, ID: req.ID, Experiment: req.Experiment})
		if err != nil {
			return nil, err
		}
		return faas.JSONReply(ev, s.Source, now, map[string]any{"cleared": removed})
	}
	return nil, faas.Invalid("action", fmt.Errorf("%q is not inject, list or clear", action))
}

// requestError makes a validation failure a CogniForge.InvalidEvent naming
// its first field.
func requestError(err error) error {
	if !errors.Is(err, ErrInvalidFault) {
		return err
	}
	msg := err.Error()
	first := strings.SplitN(msg, "\n", 2)[0]
	field := strings.TrimPrefix(first, ErrInvalidFault.Error()+": ")
	if i := strings.Index(field, ":"); i > 0 {
		field = field[:i]
	}
	return &faas.Error{Name: faas.ErrInvalidEvent, Message: msg, Err: &faas.FieldError{Field: field, Err: err}}
}
