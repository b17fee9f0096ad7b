// Package incidentfn builds the incident-manager function from its ports:
// the severity map and maintenance windows come from the ports'
// configuration (config/incidents locally, SSM in AWS), compiled at cold
// start; changes are published to the ports' bus.
package incidentfn

import (
	"context"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/incident"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = incident.FunctionName

// ConfigKind holds the incident settings.
const ConfigKind = "incidents"

// Settings reads and merges every settings file of the ports.
func Settings(ctx context.Context, p wiring.Ports) (incident.Settings, error) {
	var s incident.Settings
	if p.Config == nil {
		return s, nil
	}
	files, err := p.Config(ctx, ConfigKind)
	if err != nil {
		return s, err
	}
	for _, f := range files {
		one, err := incident.ParseSettings(f.Name, f.Data)
		if err != nil {
			return s, err
		}
		s.Merge(one)
	}
	return s, nil
}

// Build is the incident-manager's wiring.Builder.
func Build(p wiring.Ports) (faas.Function, error) {
	s, err := Settings(context.Background(), p)
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
	return incident.NewFunction(m, p.Now), nil
}
