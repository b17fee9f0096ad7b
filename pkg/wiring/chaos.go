package wiring

import (
	"context"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/awschaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
	chaosssm "github.com/cogniforge/cogniforge/pkg/chaos/ssmchaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Environment variables of the chaos injector (see pkg/chaos). Every
// function's chain has the injector unless COGNIFORGE_CHAOS is "off"; it
// injects only what the source configures, and nothing while no source is
// named.
const (
	EnvChaos            = "COGNIFORGE_CHAOS"              // "off" leaves the injector out
	EnvChaosFaults      = "COGNIFORGE_CHAOS_FAULTS"       // a chaos.Document (JSON), wins over the others
	EnvChaosParameter   = "COGNIFORGE_CHAOS_PARAMETER"    // SSM parameter holding the document (AWS)
	EnvChaosTTL         = "COGNIFORGE_CHAOS_TTL"          // how long a read is used: default 30s in AWS, 1s locally
	EnvChaosMaxDuration = "COGNIFORGE_CHAOS_MAX_DURATION" // the furthest expiry accepted, default 24h
)

// ChaosPorts are what the chaos injector of every function is built from.
type ChaosPorts struct {
	// Source provides the faults; nil leaves the injector out.
	Source chaos.Source
	// Store is Source when it can be written (SSM, the data directory's
	// file), for the chaos-injector function; nil otherwise.
	Store  chaos.Store
	TTL    time.Duration
	Limits chaos.Limits
	// Breakers forces shared circuit breakers; nil means pkg/resilience's
	// breakers in the function's store (Instrument).
	Breakers chaos.Breakers
	// Version is the function version this instance runs.
	Version string
}

// chaosFromEnv picks the chaos source: the inline document, else the SSM
// parameter (with AWS), else the data directory's file. A malformed TTL or
// maximum keeps its default (chaos never stops a function from starting)
// and is logged.
func chaosFromEnv(env Env, cfg *aws.Config, logger *slog.Logger) ChaosPorts {
	if strings.EqualFold(env(EnvChaos), "off") {
		return ChaosPorts{}
	}
	p := ChaosPorts{TTL: chaos.LocalTTL, Version: env("AWS_LAMBDA_FUNCTION_VERSION")}
	if cfg != nil {
		p.TTL = chaos.DefaultTTL
	}
	duration := func(key string, into *time.Duration) {
		if v := env(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				logger.Warn("chaos: ignoring malformed "+key, "value", v)
				return
			}
			*into = d
		}
	}
	duration(EnvChaosTTL, &p.TTL)
	duration(EnvChaosMaxDuration, &p.Limits.MaxDuration)
	switch {
	case env(EnvChaosFaults) != "":
		doc, err := chaos.ParseDocument([]byte(env(EnvChaosFaults)))
		if err != nil {
			// Corrupt configuration injects nothing, and says so at each read.
			p.Source = chaos.SourceFunc(func(context.Context) (chaos.Document, error) { return chaos.Document{}, err })
		} else {
			p.Source = chaos.Static(doc)
		}
	case env(EnvChaosParameter) != "" && cfg != nil:
		st := chaosssm.Store{Client: ssm.NewFromConfig(*cfg), Name: env(EnvChaosParameter)}
		p.Source, p.Store = st, st
	case env(EnvDataDir) != "" && cfg == nil:
		st := chaosfile.Store{Dir: env(EnvDataDir)}
		p.Source, p.Store = st, st
	}
	return p
}

// Instrument returns fn with its chaos injector innermost in its chain
// (see pkg/chaos), or fn unchanged when the ports have no chaos source.
// Serve and registry.Build call it on every function they build.
func Instrument(p Ports, fn faas.Function) faas.Function {
	if p.Chaos.Source == nil {
		return fn
	}
	var claimer chaos.Claimer
	breakers := p.Chaos.Breakers
	if p.Store != nil {
		claimer = chaos.StoreClaimer{Store: p.Store}
		if breakers == nil {
			// A breaker fault forces the shared breaker of pkg/resilience
			// open in the store, so every instance's calls see it.
			breakers = resilience.OpenForcer{Admin: &resilience.Admin{Store: p.Store, Publisher: p.Bus}}
		}
	}
	inj, err := chaos.New(chaos.Config{
		Function: fn.Name, Source: p.Chaos.Source, TTL: p.Chaos.TTL, Limits: p.Chaos.Limits,
		Version: p.Chaos.Version, Alias: lambdaAlias, Breakers: breakers,
		Claimer: claimer, Logger: p.Logger,
	})
	if err != nil {
		p.Logger.Warn("chaos: injector not built", "function", fn.Name, "error", err.Error())
		return fn
	}
	return inj.Wrap(fn)
}

// lambdaAlias is the alias (or version) a Lambda invocation came through:
// the qualifier of the invoked function ARN, "" when unqualified.
func lambdaAlias(ctx context.Context) string {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return ""
	}
	parts := strings.Split(lc.InvokedFunctionArn, ":")
	if len(parts) == 8 {
		return parts[7]
	}
	return ""
}

// instrumentAWS makes the SDK's calls deniable by chaos deny faults.
func instrumentAWS(cfg *aws.Config) { awschaos.Instrument(cfg) }
