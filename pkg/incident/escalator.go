package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// EscalationMachine is the state machine that drives escalations
// (statemachines/incident-escalation.asl.json): it calls the escalator for
// a step, waits what the step says, and calls it again until it is done,
// so a waiting escalation costs nothing and survives restarts.
const EscalationMachine = "incident-escalation"

// EscalatorName is the escalator function's name.
const EscalatorName = "incident-escalator"

// Delivery is one notification of an escalation step.
type Delivery struct {
	// Key identifies the delivery (incident, round, level, target,
	// channel): a step run twice delivers nothing twice.
	Key      string
	Incident *Incident
	Step     Step
	Target   string
	Channel  string
}

// StepInput is what the state machine passes the escalator.
type StepInput struct {
	IncidentID string `json:"incidentId"`
	// Step is the index in the policy's plan (0 the first level).
	Step int `json:"step"`
}

// StepOutput says what the state machine does next.
type StepOutput struct {
	IncidentID string `json:"incidentId"`
	// Done ends the escalation: acknowledged, resolved, or out of levels.
	Done   bool   `json:"done"`
	Reason string `json:"reason,omitempty"`
	// Step and WaitSeconds: the next step, after this long.
	Step        int `json:"step"`
	WaitSeconds int `json:"waitSeconds"`
}

// Escalator runs escalation steps.
type Escalator struct {
	Manager  *Manager
	Policies *Policies
	Roster   Roster
	// Deliver sends one notification; nil records what would be sent.
	Deliver func(ctx context.Context, d Delivery) error
	Now     func() time.Time
}

// Run executes step in.Step of the incident's escalation: it stops when
// the incident is acknowledged or resolved (escalation stops / ends), else
// notifies the step's targets (who is on call now) on its channels,
// records each outcome in the timeline, and says how long to wait for the
// next step. A failed delivery does not stop the escalation: the next
// level still pages.
func (e *Escalator) Run(ctx context.Context, in StepInput) (StepOutput, error) {
	out := StepOutput{IncidentID: in.IncidentID, Done: true}
	inc, err := e.Manager.Get(ctx, in.IncidentID)
	if err != nil {
		return out, err
	}
	if inc.State != Triggered {
		out.Reason = "incident " + string(inc.State)
		return out, nil
	}
	if e.Policies == nil || len(e.Policies.Policies) == 0 {
		out.Reason = "no escalation policy"
		return out, nil
	}
	pol := e.Policies.For(inc.Service)
	steps := pol.Steps(inc.Severity)
	if in.Step < 0 || in.Step >= len(steps) {
		out.Reason = "out of levels"
		return out, nil
	}
	st := steps[in.Step]
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	recips, empty, err := st.Recipients(e.Roster, e.Policies.Users, now)
	if err != nil {
		return out, err
	}
	for _, sched := range empty {
		if _, err := e.Manager.Record(ctx, inc.ID, Entry{Kind: EntryEscalated, Who: "escalation",
			Text: fmt.Sprintf("level %d: nobody on call on %s", st.Level, sched)}); err != nil {
			return out, err
		}
	}
	for _, rc := range recips {
		u := rc.User
		for _, ch := range rc.Channels {
			d := Delivery{Key: fmt.Sprintf("%s/r%d/l%d/%s/%s", inc.ID, st.Round, st.Level, u, ch), Incident: inc, Step: st, Target: u, Channel: ch}
			entry := Entry{Kind: EntryNotified, Who: "escalation", Data: map[string]string{
				"level": fmt.Sprint(st.Level), "round": fmt.Sprint(st.Round), "target": u, "channel": ch, "key": d.Key}}
			switch {
			case e.Deliver == nil:
				entry.Text = fmt.Sprintf("level %d: %s on %s (no delivery configured: recorded only)", st.Level, u, ch)
			default:
				if err := e.Deliver(ctx, d); err != nil {
					entry.Kind = EntryNotifyFailed
					entry.Text = fmt.Sprintf("level %d: %s on %s failed: %v", st.Level, u, ch, err)
				} else {
					entry.Text = fmt.Sprintf("level %d: %s on %s", st.Level, u, ch)
				}
			}
			if _, err := e.Manager.Record(ctx, inc.ID, entry); err != nil {
				return out, err
			}
		}
	}
	out.Done = in.Step+1 >= len(steps)
	if out.Done {
		out.Reason = "out of levels"
	}
	out.Step = in.Step + 1
	out.WaitSeconds = int(time.Duration(pol.levelDelay(st)).Seconds())
	return out, nil
}

// levelDelay is the delay after a step's level.
func (pol *Policy) levelDelay(s Step) Duration {
	if s.Level >= 1 && s.Level <= len(pol.Levels) {
		return pol.Levels[s.Level-1].Delay
	}
	return 0
}

// FollowUp tells the channels an incident was paged on that it was
// acknowledged or resolved (PagerDuty closes its incident by dedup key,
// Slack gets the new state), once per channel: action is "acknowledge" or
// "resolve".
type FollowUp struct {
	Key      string
	Action   string
	Incident *Incident
	Channel  string
	// Targets are the people paged on the channel.
	Targets []string
}

// FollowUps lists what an incident's acknowledgement or resolution owes
// the channels its timeline says were notified.
func FollowUps(in *Incident, action string) []FollowUp {
	byChannel := map[string][]string{}
	var order []string
	for _, e := range in.Timeline {
		if e.Kind != EntryNotified || e.Data["action"] != "" {
			continue
		}
		ch, who := e.Data["channel"], e.Data["target"]
		if ch == "" {
			continue
		}
		if _, ok := byChannel[ch]; !ok {
			order = append(order, ch)
		}
		byChannel[ch] = append(byChannel[ch], who)
	}
	var out []FollowUp
	for _, ch := range order {
		out = append(out, FollowUp{Key: in.ID + "/" + action + "/" + ch, Action: action, Incident: in, Channel: ch, Targets: byChannel[ch]})
	}
	return out
}

// Starter starts an escalation execution.
type Starter func(ctx context.Context, machine, name, input string) error

// NewEscalatorFunction is the incident-escalator: a new incident
// (dev.cogniforge.incident.triggered.v1 from its queue) starts the
// escalation state machine, named after the incident so a redelivery
// starts nothing twice; the machine's Task calls it with a StepInput.
//
// An acknowledged or resolved incident (their events on the same queue)
// is followed up on every channel that was paged, through followUp.
func NewEscalatorFunction(e *Escalator, start Starter, exists func(error) bool, followUp func(ctx context.Context, f FollowUp) error) faas.Function {
	return faas.Function{
		Name:          EscalatorName,
		Description:   "Starts an incident's escalation state machine and runs its steps: notifies each level's on-call targets until acknowledged.",
		TaskEventType: events.TypeIncidentEscalation,
		Consumes:      []string{events.TypeIncidentTriggered, events.TypeIncidentAcknowledged, events.TypeIncidentResolved, events.TypeIncidentEscalation},
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if t := ev.Type(); t == events.TypeIncidentAcknowledged || t == events.TypeIncidentResolved {
				var d events.IncidentChanged
				if err := json.Unmarshal(ev.Data(), &d); err != nil {
					return nil, faas.Invalid("data", err)
				}
				in, err := e.Manager.Get(ctx, d.ID)
				if err != nil || followUp == nil {
					return nil, err
				}
				action := "acknowledge"
				if t == events.TypeIncidentResolved {
					action = "resolve"
				}
				for _, f := range FollowUps(in, action) {
					entry := Entry{Kind: EntryNotified, Who: "escalation", Text: fmt.Sprintf("%s sent on %s", action, f.Channel),
						Data: map[string]string{"channel": f.Channel, "action": action, "key": f.Key}}
					if err := followUp(ctx, f); err != nil {
						entry.Kind, entry.Text = EntryNotifyFailed, fmt.Sprintf("%s on %s failed: %v", action, f.Channel, err)
					}
					if _, err := e.Manager.Record(ctx, in.ID, entry); err != nil {
						return nil, err
					}
				}
				// A failed follow-up is in the timeline (notify retried it
				// already); the event is done either way.
				return nil, nil
			}
			if ev.Type() == events.TypeIncidentTriggered {
				var d events.IncidentChanged
				if err := json.Unmarshal(ev.Data(), &d); err != nil {
					return nil, faas.Invalid("data", err)
				}
				if start == nil {
					return nil, faas.Errorf(ErrNameInvalidRequest, "no state machines to start the escalation of %s on", d.ID)
				}
				input, _ := json.Marshal(StepInput{IncidentID: d.ID})
				err := start(ctx, EscalationMachine, d.ID, string(input))
				if err != nil && !(exists != nil && exists(err)) {
					return nil, &faas.Error{Name: "Incident.EscalationNotStarted", Message: err.Error(), Retryable: true, Err: err}
				}
				return nil, nil
			}
			var in StepInput
			if err := json.Unmarshal(ev.Data(), &in); err != nil {
				return nil, faas.Invalid("data", err)
			}
			out, err := e.Run(ctx, in)
			if err != nil {
				var ie *Error
				if errors.As(err, &ie) {
					return nil, err
				}
				return nil, &faas.Error{Name: "Incident.EscalationFailed", Message: err.Error(), Retryable: true, Err: err}
			}
			return faas.JSONReply(ev, EventSource, time.Now(), out)
		},
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerQueue, Queue: EscalatorName, EventTypes: []string{events.TypeIncidentTriggered, events.TypeIncidentAcknowledged, events.TypeIncidentResolved}, MaxReceives: 5},
			{Kind: faas.TriggerStepFunctions},
		},
	}
}
