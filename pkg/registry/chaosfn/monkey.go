package chaosfn

import (
	"context"
	"errors"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Monkey is the chaos monkey function's name.
const Monkey = "chaos-monkey"

// MonkeyConfigKind holds the monkey's settings (config/chaos-monkey).
const MonkeyConfigKind = "chaos-monkey"

// MonkeySchedule is how often the monkey may strike.
const MonkeySchedule = "rate(1 hour)"

// MonkeyBuilder returns the chaos-monkey's wiring.Builder: on its schedule
// it injects one short fault into one opted-in function at random (see
// chaos.Monkey), within the chaos limits, one at a time. Without settings
// it does nothing.
func MonkeyBuilder(deps Deps) wiring.Builder {
	return func(p wiring.Ports) (faas.Function, error) {
		var st chaos.Store = noStore{}
		if p.Chaos.Store != nil {
			st = p.Chaos.Store
		}
		limits := p.Chaos.Limits
		if deps.Names != nil {
			limits.Functions = deps.Names()
		}
		var cfg chaos.MonkeyConfig
		if p.Config != nil {
			files, err := p.Config(context.Background(), MonkeyConfigKind)
			if err != nil {
				return faas.Function{}, err
			}
			for _, f := range files {
				c, err := chaos.ParseMonkeyConfig(f.Name, f.Data, limits)
				if err != nil {
					return faas.Function{}, err
				}
				if c.Enabled {
					cfg = c
				}
			}
		}
		m := &chaos.Monkey{Config: cfg, Service: &chaos.Service{
			Manager: &chaos.Manager{Store: st, Limits: limits, Now: p.Now}, Bus: p.Bus, Source: "cogniforge/" + Monkey, Logger: p.Logger,
		}}
		return faas.Function{
			Name:        Monkey,
			Description: "chaos monkey: now and then injects one short fault into one opted-in function (config/chaos-monkey)",
			Handler: func(ctx context.Context, _ cloudevents.Event) (*cloudevents.Event, error) {
				f, err := m.Strike(ctx)
				if errors.Is(err, chaos.ErrMonkeyIdle) {
					return nil, nil
				}
				if err != nil {
					return nil, &faas.Error{Name: "Chaos.MonkeyFailed", Message: fmt.Sprintf("chaos monkey: %v", err), Retryable: true, Err: err}
				}
				p.Logger.InfoContext(ctx, "chaos monkey struck", "function", f.Function, "fault", f.ID, "kind", string(f.Kind), "until", f.ExpiresAt)
				return nil, nil
			},
			Triggers: []faas.Trigger{{Kind: faas.TriggerSchedule, Schedule: MonkeySchedule}},
		}, nil
	}
}
