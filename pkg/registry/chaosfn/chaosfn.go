// Package chaosfn builds the chaos-injector function from its ports: it
// starts, lists and clears faults in the ports' writable chaos store (the
// SSM parameter $COGNIFORGE_CHAOS_PARAMETER in AWS, the data directory's
// file locally), refusing faults for functions that do not exist, and
// publishes dev.cogniforge.chaos.fault.injected.v1 / .cleared.v1.
package chaosfn

import (
	"context"
	"errors"
	"net/http"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = "chaos-injector"

// Queue is the function's request queue.
const Queue = "chaos-requests"

// Source is the CloudEvents source of its events.
const Source = "cogniforge/" + Name

// errNoStore is the store of a function whose environment names no
// writable chaos configuration.
var errNoStore = errors.New("chaos-injector: no chaos store: set " + wiring.EnvChaosParameter + " (AWS) or " + wiring.EnvDataDir)

type noStore struct{}

func (noStore) Load(context.Context) (chaos.Document, error) { return chaos.Document{}, errNoStore }
func (noStore) Update(context.Context, func(*chaos.Document) error) error {
	return errNoStore
}

// Deps are what the chaos-injector needs of the registry (which imports
// this package).
type Deps struct {
	// Names lists the functions a fault may target.
	Names func() []string
	// Functions builds every function from p, for the experiments' probes
	// that run functions in-process (HTTP probes naming a function, state
	// machine probes). Nil refuses those probes.
	Functions func(p wiring.Ports) ([]faas.Function, error)
}

// Builder returns the chaos-injector's wiring.Builder.
func Builder(deps Deps) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		var st chaos.Store = noStore{}
		if p.Chaos.Store != nil {
			st = p.Chaos.Store
		}
		limits := p.Chaos.Limits
		if deps.Names != nil {
			limits.Functions = deps.Names()
		}
		svc := &chaos.Service{
			Manager: &chaos.Manager{Store: st, Limits: limits, Now: p.Now},
			Bus:     p.Bus, Source: Source, Logger: p.Logger,
		}
		tasks := &chaos.ExperimentTasks{
			Service: svc, Prober: &prober{p: p, deps: deps, http: &http.Client{Transport: chaos.Transport(nil)}},
			Store: p.Store, Source: Source, Logger: p.Logger, Now: p.Now,
		}
		return NewFunction(svc, tasks), nil
	}
}

// NewFunction is the chaos-injector around svc: function URL routes
// POST /faults (inject), GET /faults (list), POST /faults/clear, a queue of
// dev.cogniforge.chaos.request.v1 events, and (with tasks) the Tasks of
// the chaos-experiment state machine.
func NewFunction(svc *chaos.Service, tasks *chaos.ExperimentTasks) faas.Function {
	h := svc.Handle
	consumes := []string{events.TypeChaosRequest}
	if tasks != nil {
		consumes = append(consumes, events.TypeChaosExperimentTask)
		h = func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			if ev.Type() == events.TypeChaosExperimentTask {
				return tasks.Handle(ctx, ev)
			}
			return svc.Handle(ctx, ev)
		}
	}
	return faas.Function{
		Name:          Name,
		Description:   "starts, lists and clears chaos faults (with their expiry) in the chaos configuration, runs chaos experiments' steps; publishes chaos.fault.injected / cleared and experiment reports",
		Handler:       h,
		Consumes:      consumes,
		TaskEventType: events.TypeChaosExperimentTask,
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerHTTP},
			{Kind: faas.TriggerStepFunctions},
			{Kind: faas.TriggerQueue, Queue: Queue, EventTypes: []string{events.TypeChaosRequest}},
		},
		Routes: []faas.Route{
			{Method: http.MethodPost, Path: "/faults", EventType: events.TypeChaosRequest},
			{Method: http.MethodGet, Path: "/faults", EventType: events.TypeChaosRequest},
			{Method: http.MethodPost, Path: "/faults/clear", EventType: events.TypeChaosRequest},
		},
		Protected: true,
	}
}
