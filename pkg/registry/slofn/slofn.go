// Package slofn builds the SLO functions (slo-aggregator, slo-evaluator)
// from their ports: the definitions come from the ports' configuration
// source (config/slos locally, SSM Parameter Store in AWS), compiled once
// at cold start. pkg/slo stays free of where its definitions live.
package slofn

import (
	"context"
	"fmt"
	// Calendar windows name IANA time zones; provided.al2023 images may
	// lack the zone database, so the binary carries its own.
	_ "time/tzdata"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Names of the functions.
const (
	Aggregator = slo.AggregatorName
	Evaluator  = slo.EvaluatorName
	// ConfigKind is the configuration kind holding SLO definitions
	// (config/slos, or <ssm path>/slos).
	ConfigKind = "slos"
)

// Definitions compiles the SLOs of the ports' configuration; none when it
// has no source or no files.
func Definitions(ctx context.Context, p wiring.Ports) ([]slo.SLO, error) {
	if p.Config == nil {
		return nil, nil
	}
	files, err := p.Config(ctx, ConfigKind)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	srcs := make([]slo.Source, len(files))
	for i, f := range files {
		srcs[i] = slo.Source{Name: f.Name, Data: f.Data}
	}
	slos, err := slo.ParseSources(srcs)
	if err != nil {
		return nil, fmt.Errorf("SLO definitions: %w", err)
	}
	return slos, nil
}

// BuildAggregator is the slo-aggregator's wiring.Builder.
func BuildAggregator(p wiring.Ports) (faas.Function, error) {
	slos, err := Definitions(context.Background(), p)
	if err != nil {
		return faas.Function{}, err
	}
	a, err := slo.NewAggregator(slo.AggregatorConfig{Store: p.Store, SLOs: slos, Now: p.Now})
	if err != nil {
		return faas.Function{}, err
	}
	return slo.NewAggregatorFunction(a, p.Logger), nil
}

// BuildEvaluator is the slo-evaluator's wiring.Builder: alerts go to the
// ports' bus.
func BuildEvaluator(p wiring.Ports) (faas.Function, error) {
	slos, err := Definitions(context.Background(), p)
	if err != nil {
		return faas.Function{}, err
	}
	e, err := slo.NewEvaluator(slo.EvaluatorConfig{Store: p.Store, SLOs: slos, Notify: func(ctx context.Context, t slo.Transition) error {
		return slo.Publish(ctx, p.Bus, t)
	}})
	if err != nil {
		return faas.Function{}, err
	}
	return slo.NewEvaluatorFunction(e, p.Now), nil
}
