package resilience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Admin reads and overrides the shared breakers of a store: the status
// command, the chaos capability (ForceOpen) and operators.
type Admin struct {
	// Store holds the breakers. Required.
	Store store.Store
	// Publisher receives an event when a force opens or closes a breaker;
	// nil publishes none.
	Publisher bus.Publisher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (a *Admin) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// Force makes every instance treat breaker name as open (ForceOpen) or
// closed (ForceClosed) until until (zero: until cleared), or clears a force
// (ForceNone); instances obey within their cache period.
func (a *Admin) Force(ctx context.Context, name string, mode ForceMode, until time.Time) error {
	switch mode {
	case ForceNone, ForceOpen, ForceClosed:
	default:
		return fmt.Errorf("resilience: mode: %q is not one of open, closed, none", mode)
	}
	if name == "" {
		return errors.New("resilience: name: required")
	}
	if !until.IsZero() && !until.After(a.now()) {
		return fmt.Errorf("resilience: until: %s is not in the future", until.Format(time.RFC3339))
	}
	b, err := NewBreaker(BreakerConfig{Name: name, Store: a.Store, Now: a.Now})
	if err != nil {
		return err
	}
	b.admin = true
	before, err := b.State(ctx)
	if err != nil {
		return err
	}
	if err := b.Force(ctx, mode, until); err != nil {
		return err
	}
	from := before.State
	if before.Forced == ForceOpen {
		from = Open
	}
	to := map[ForceMode]State{ForceOpen: Open, ForceClosed: Closed, ForceNone: before.State}[mode]
	if to == from {
		return nil
	}
	reason := "forced " + string(mode)
	if mode == ForceNone {
		reason = "force cleared"
	}
	return PublishTransition(ctx, a.Publisher, "", Transition{Name: name, From: from, To: to, ConsecutiveFailures: before.ConsecutiveFailures,
		WindowCalls: before.WindowCalls, WindowFailures: before.WindowFailures, OpenedAt: before.OpenedAt, At: a.now(), Reason: reason})
}

// BulkheadUse is one bulkhead summed over the instances that reported in
// the last three report intervals.
type BulkheadUse struct {
	Name      string         `json:"name"`
	Limits    BulkheadLimits `json:"limits"`
	InUse     int            `json:"inUse"`
	Queued    int            `json:"queued"`
	Instances int            `json:"instances"`
}

// Status is every breaker and bulkhead of a store.
type Status struct {
	Breakers  []BreakerStatus `json:"breakers"`
	Bulkheads []BulkheadUse   `json:"bulkheads"`
}

// Status reads every breaker and the bulkhead reports, sorted by name.
func (a *Admin) Status(ctx context.Context) (Status, error) {
	now := a.now()
	br, err := ListBreakers(ctx, a.Store, now)
	if err != nil {
		return Status{}, err
	}
	items, err := a.Store.Query(ctx, BulkheadPartition, "", 0)
	if err != nil {
		return Status{}, err
	}
	use := map[string]*BulkheadUse{}
	for _, it := range items {
		var r bulkheadReport
		if err := json.Unmarshal(it.Value, &r); err != nil {
			return Status{}, fmt.Errorf("resilience: bulkhead report %s: %w", it.Key.Sort, err)
		}
		u := use[r.Name]
		if u == nil {
			u = &BulkheadUse{Name: r.Name, Limits: r.Limits}
			use[r.Name] = u
		}
		u.InUse += r.InUse
		u.Queued += r.Queued
		u.Instances++
	}
	st := Status{Breakers: br, Bulkheads: []BulkheadUse{}}
	for _, name := range slices.Sorted(maps.Keys(use)) {
		st.Bulkheads = append(st.Bulkheads, *use[name])
	}
	return st, nil
}

// NewBreakerStatus reads breaker name's shared state from s.
func NewBreakerStatus(ctx context.Context, s store.Store, name string) (BreakerStatus, error) {
	b, err := NewBreaker(BreakerConfig{Name: name, Store: s})
	if err != nil {
		return BreakerStatus{}, err
	}
	return b.State(ctx)
}

// OpenForcer adapts an Admin to ports that hold a breaker open for a
// while or release it (the chaos capability's Breakers port: a breaker
// fault forces its breaker open until the fault expires).
type OpenForcer struct{ Admin *Admin }

// Force holds breaker name open until until when open, else clears the
// force.
func (f OpenForcer) Force(ctx context.Context, name string, open bool, until time.Time) error {
	if !open {
		return f.Admin.Force(ctx, name, ForceNone, time.Time{})
	}
	return f.Admin.Force(ctx, name, ForceOpen, until)
}
