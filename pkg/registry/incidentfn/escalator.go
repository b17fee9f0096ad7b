package incidentfn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"gopkg.in/yaml.v3"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/incident"
	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/notify/snsnotify"
	"github.com/cogniforge/cogniforge/pkg/oncall"
	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Escalator is the escalator function's name.
const Escalator = incident.EscalatorName

// OnCallKind holds schedules, policies and channels (config/oncall).
const OnCallKind = "oncall"

// OnCall is what config/oncall holds, each file told apart by its
// top-level key (schedules, policies or channels).
type OnCall struct {
	Schedules []*oncall.Config
	Policies  *incident.Policies
	Channels  []notify.ChannelConfig
	// Reminders, when set, remind people before their shifts.
	Reminders *incident.Reminders
}

// Zone is a schedule's time zone, for escalation rules in the paged
// person's local time.
func (o *OnCall) Zone(name string) (*time.Location, bool) {
	for _, c := range o.Schedules {
		if s, err := c.Schedule(name); err == nil {
			return s.Location(), true
		}
	}
	return nil, false
}

// ShiftsStarting lists every schedule's shifts that start in [from, to).
func (o *OnCall) ShiftsStarting(from, to time.Time) []incident.Shift {
	var out []incident.Shift
	for _, c := range o.Schedules {
		for _, s := range c.Schedules() {
			// Shifts clips to its range: a minute earlier, a shift already
			// running at from starts before it and is left out.
			for _, sh := range s.Shifts(from.Add(-time.Minute), to) {
				if !sh.Start.Before(from) {
					out = append(out, incident.Shift{Schedule: s.Name(), User: sh.User, Start: sh.Start, End: sh.End})
				}
			}
		}
	}
	return out
}

// OnCall reads who is on call: schedules, policies, channels.
func (o *OnCall) OnCall(name string, at time.Time) ([]string, error) {
	var have []string
	for _, c := range o.Schedules {
		if s, err := c.Schedule(name); err == nil {
			return s.Who(at), nil
		}
		have = append(have, c.Names()...)
	}
	sort.Strings(have)
	return nil, fmt.Errorf("no schedule %q (have %v)", name, have)
}

// LoadOnCall reads the ports' config/oncall files.
func LoadOnCall(ctx context.Context, p wiring.Ports) (*OnCall, error) {
	o := &OnCall{Policies: &incident.Policies{}}
	if p.Config == nil {
		return o, nil
	}
	files, err := p.Config(ctx, OnCallKind)
	if err != nil {
		return nil, err
	}
	var policyFiles []wiring.ConfigFile
	var errs []error
	for _, f := range files {
		var top map[string]yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(f.Data)).Decode(&top); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		switch {
		case has(top, "schedules"):
			c, err := oncall.Parse(f.Name, f.Data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			o.Schedules = append(o.Schedules, c)
		case has(top, "policies"):
			policyFiles = append(policyFiles, f)
		case has(top, "reminders"):
			var r struct {
				Reminders incident.Reminders `yaml:"reminders"`
			}
			dec := yaml.NewDecoder(bytes.NewReader(f.Data))
			dec.KnownFields(true)
			if err := dec.Decode(&r); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
				continue
			}
			if err := r.Reminders.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s: reminders: %w", f.Name, err))
				continue
			}
			o.Reminders = &r.Reminders
		case has(top, "channels"):
			cs, err := notify.ParseChannels(f.Data)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
				continue
			}
			o.Channels = append(o.Channels, cs...)
		default:
			errs = append(errs, fmt.Errorf("%s: holds none of schedules, policies, channels or reminders", f.Name))
		}
	}
	var known []string
	for _, c := range o.Schedules {
		known = append(known, c.Names()...)
	}
	for _, f := range policyFiles {
		ps, err := incident.ParsePolicies(f.Name, f.Data, known)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o.Policies.Policies = append(o.Policies.Policies, ps.Policies...)
		for u, us := range ps.Users {
			if o.Policies.Users == nil {
				o.Policies.Users = map[string]incident.UserSettings{}
			}
			o.Policies.Users[u] = us
		}
	}
	return o, errors.Join(errs...)
}

func has(m map[string]yaml.Node, k string) bool { _, ok := m[k]; return ok }

// BuildEscalator is the incident-escalator's wiring.Builder: deliveries go
// through the configured channels with pkg/notify's retries, breakers and
// store-backed idempotency. A channel whose secret is missing from the
// environment does not stop the function: its deliveries fail, named, into
// the timeline, and the next level still pages.
func BuildEscalator(p wiring.Ports) (faas.Function, error) {
	ctx := context.Background()
	oc, err := LoadOnCall(ctx, p)
	if err != nil {
		return faas.Function{}, err
	}
	s, err := Settings(ctx, p)
	if err != nil {
		return faas.Function{}, err
	}
	m, err := incident.New(incident.Config{Store: p.Store, Now: p.Now, Severities: s.Severities, Maintenance: s.Maintenance,
		Publish: func(ctx context.Context, in *incident.Incident, c incident.Change) error {
			return incident.Publish(ctx, p.Bus, in, c)
		}})
	if err != nil {
		return faas.Function{}, err
	}
	send, err := sender(p, Escalator, oc)
	if err != nil {
		return faas.Function{}, err
	}
	esc := &incident.Escalator{Manager: m, Policies: oc.Policies, Roster: oc, Now: p.Now,
		Deliver: func(ctx context.Context, d incident.Delivery) error {
			return send(ctx, d.Channel, notify.Message{Key: d.Key, Action: "trigger", IncidentID: d.Incident.ID, Title: d.Incident.Title,
				Service: d.Incident.Service, Severity: string(d.Incident.Severity), DedupKey: d.Incident.DedupKey,
				Target: d.Target, Time: d.Incident.CreatedAt,
				Summary: fmt.Sprintf("%s %s: level %d of the escalation pages %s", d.Incident.Severity, d.Incident.Title, d.Step.Level, d.Target)})
		}}
	var start incident.Starter
	if p.Executions != nil {
		start = p.Executions.StartExecution
	}
	followUp := func(ctx context.Context, f incident.FollowUp) error {
		return send(ctx, f.Channel, notify.Message{Key: f.Key, Action: f.Action, IncidentID: f.Incident.ID, Title: f.Incident.Title,
			Service: f.Incident.Service, Severity: string(f.Incident.Severity), DedupKey: f.Incident.DedupKey, Time: f.Incident.UpdatedAt,
			Summary: fmt.Sprintf("%s %s: %s", f.Incident.Severity, f.Incident.Title, f.Incident.State)})
	}
	return incident.NewEscalatorFunction(esc, start, func(err error) bool { return errors.Is(err, wiring.ErrExecutionExists) }, followUp), nil
}

// NotifyDownstream is the resilience downstream of a notification channel:
// its breaker is shared through the store by every instance of every
// function that pages on it, shown by `cogniforge resilience status` and
// tuned in config/resilience/<function>.yaml.
func NotifyDownstream(channel string) string { return "notify." + channel }

// sender delivers messages on the configured channels by name. A channel
// whose secret is missing from the environment does not stop the function:
// its deliveries fail, named.
func sender(p wiring.Ports, function string, oc *OnCall) (func(ctx context.Context, channel string, m notify.Message) error, error) {
	// Through chaos.Transport, a game day's deny fault on hooks.slack.com
	// or events.pagerduty.com reaches the pages as a failing endpoint.
	deps := notify.Deps{HTTPClient: &http.Client{Transport: chaos.Transport(nil)}, Getenv: os.Getenv, Now: p.Now}
	if p.AWS != nil {
		deps.SNS = snsnotify.NewFromConfig(*p.AWS)
	}
	channels := map[string]notify.Channel{}
	broken := map[string]error{}
	for _, c := range oc.Channels {
		ch, err := notify.Build(c, deps)
		if err != nil {
			broken[c.Name] = err
			continue
		}
		channels[c.Name] = ch
	}
	breakers, err := channelBreakers(p, function, channels)
	if err != nil {
		return nil, err
	}
	n, err := notify.New(notify.Config{Store: p.Store, Breakers: breakers})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, name string, m notify.Message) error {
		ch, ok := channels[name]
		if !ok {
			if err := broken[name]; err != nil {
				return fmt.Errorf("channel %s is not usable: %w", name, err)
			}
			return fmt.Errorf("no channel %q in config/oncall", name)
		}
		_, err := n.Deliver(ctx, ch, m)
		return err
	}, nil
}

// channelBreakers returns the shared breaker of each channel, from the
// function's resilience registry (nil without a store: notify keeps a
// per-instance breaker then).
func channelBreakers(p wiring.Ports, function string, channels map[string]notify.Channel) (func(string) *resilience.Breaker, error) {
	if p.Store == nil || len(channels) == 0 {
		return nil, nil
	}
	declared := make(map[string]resilience.Downstream, len(channels))
	for name := range channels {
		declared[NotifyDownstream(name)] = resilience.Downstream{Kind: resilience.KindExternal}
	}
	reg, err := resiliencefn.Registry(context.Background(), p, function, declared, os.Getenv)
	if err != nil {
		return nil, err
	}
	return func(channel string) *resilience.Breaker {
		pol, err := reg.Policy(NotifyDownstream(channel))
		if err != nil {
			return nil
		}
		return pol.Breaker()
	}, nil
}

// Reminder is the reminder function's name.
const Reminder = "oncall-reminder"

// ReminderSchedule runs the reminders every five minutes.
const ReminderSchedule = "rate(5 minutes)"

// BuildReminder is the oncall-reminder's wiring.Builder: on its schedule,
// everyone whose shift starts within the configured lead is reminded once
// per shift and channel.
func BuildReminder(p wiring.Ports) (faas.Function, error) {
	oc, err := LoadOnCall(context.Background(), p)
	if err != nil {
		return faas.Function{}, err
	}
	send, err := sender(p, Reminder, oc)
	if err != nil {
		return faas.Function{}, err
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	return faas.Function{
		Name:        Reminder,
		Description: "Reminds each on-call person before their shift starts, once per shift and channel.",
		Handler: func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
			if oc.Reminders == nil {
				return nil, nil
			}
			_, err := oc.Reminders.RunReminders(ctx, oc, now(), func(ctx context.Context, r incident.Reminder) error {
				return send(ctx, r.Channel, notify.Message{Key: r.Key, Action: notify.ActionTrigger, DedupKey: r.Key, Severity: notify.SEV4,
					Title:   fmt.Sprintf("On-call reminder: %s, your shift on %s starts at %s", r.Shift.User, r.Shift.Schedule, r.Shift.Start.Format(time.RFC3339)),
					Summary: fmt.Sprintf("%s is on call on %s from %s to %s", r.Shift.User, r.Shift.Schedule, r.Shift.Start.Format(time.RFC3339), r.Shift.End.Format(time.RFC3339)),
					Target:  r.Shift.User, Time: r.Shift.Start})
			})
			if err != nil {
				return nil, &faas.Error{Name: "OnCall.ReminderFailed", Message: err.Error(), Retryable: true, Err: err}
			}
			return nil, nil
		},
		Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: ReminderSchedule}},
	}, nil
}
