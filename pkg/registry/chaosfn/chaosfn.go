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

// Builder returns the chaos-injector's wiring.Builder; functions lists the
// names a fault may target (registry.Names).
func Builder(functions func() []string) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		var st chaos.Store = noStore{}
		if p.Chaos.Store != nil {
			st = p.Chaos.Store
		}
		limits := p.Chaos.Limits
		limits.Functions = functions()
		svc := &chaos.Service{
			Manager: &chaos.Manager{Store: st, Limits: limits, Now: p.Now},
			Bus:     p.Bus, Source: Source, Logger: p.Logger,
		}
		return NewFunction(svc), nil
	}
}

// NewFunction is the chaos-injector around svc: function URL routes
// POST /faults (inject), GET /faults (list), POST /faults/clear, and a
// queue of dev.cogniforge.chaos.request.v1 events.
func NewFunction(svc *chaos.Service) faas.Function {
	return faas.Function{
		Name:        Name,
		Description: "starts, lists and clears chaos faults (with their expiry) in the chaos configuration; publishes chaos.fault.injected / cleared",
		Handler:     svc.Handle,
		Consumes:    []string{events.TypeChaosRequest},
		Triggers: []faas.Trigger{
			{Kind: faas.TriggerHTTP},
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
