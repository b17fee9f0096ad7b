package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Partition is the store partition of the registry.
const Partition = "discovery"

// maxAttempts bounds a change's read-modify-write attempts under
// contention before it gives up with ErrConflict; between attempts it
// waits a random time up to 1 ms doubling to at most 128 ms (full jitter),
// so writers racing on one instance spread out.
const maxAttempts = 30

// backoff waits before attempt n+1 after n conflicts.
func backoff(ctx context.Context, n int) error {
	if n == 0 {
		return ctx.Err()
	}
	limit := time.Millisecond << min(n-1, 7)
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxPending bounds the unannounced transitions an instance keeps while
// the bus refuses them; the oldest are dropped first.
const maxPending = 16

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// Store keeps the instances. Required.
	Store store.Store
	// Now is the clock leases are judged by; nil means time.Now.
	Now func() time.Time
}

// Registry is the instance registry over the store. It is safe for
// concurrent use by any number of processes sharing the store.
type Registry struct {
	st  store.Store
	now func() time.Time
}

// NewRegistry returns a Registry.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	if cfg.Store == nil {
		return nil, errors.New("discovery: RegistryConfig.Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Registry{st: cfg.Store, now: cfg.Now}, nil
}

func key(service, id string) store.Key {
	return store.Key{Partition: Partition, Sort: "instance/" + service + "/" + id}
}

func decode(it store.Item) (Instance, error) {
	var in Instance
	if err := json.Unmarshal(it.Value, &in); err != nil {
		return Instance{}, fmt.Errorf("discovery: %s: %w", it.Key.Sort, err)
	}
	in.Version = it.Version
	return in, nil
}

func (r *Registry) put(ctx context.Context, in Instance, cond store.Condition) (Instance, error) {
	in.Version, in.Routable = 0, false
	b, err := json.Marshal(in)
	if err != nil {
		return Instance{}, err
	}
	it, err := r.st.Put(ctx, store.Item{Key: key(in.Service, in.ID), Value: b, ExpiresAt: in.ExpiresAt}, cond)
	if err != nil {
		return Instance{}, err
	}
	in.Version = it.Version
	in.Routable = in.CanRoute(r.now())
	return in, nil
}

// Register writes an instance, or renews and updates it: its lease starts
// again, and its health state is kept unless its URL or health URL
// changed (then it is unknown again).
func (r *Registry) Register(ctx context.Context, reg Registration) (Instance, error) {
	if err := reg.Validate(); err != nil {
		return Instance{}, err
	}
	weight := DefaultWeight
	if reg.Weight != nil {
		weight = *reg.Weight
	}
	ttl := time.Duration(reg.TTL)
	if ttl == 0 {
		ttl = DefaultTTL
	}
	for n := range maxAttempts {
		if err := backoff(ctx, n); err != nil {
			return Instance{}, err
		}
		now := r.now()
		in := Instance{Service: reg.Service, ID: reg.ID, Health: Unknown, HealthSince: now, RegisteredAt: now}
		cond := store.Condition{IfAbsent: true}
		cur, err := r.Get(ctx, reg.Service, reg.ID)
		switch {
		case err == nil:
			cond = store.Condition{IfVersion: cur.Version}
			if cur.URL == reg.URL && cur.HealthURL == reg.HealthURL {
				in = cur
			} else {
				// Another endpoint: what was learnt about the old one says
				// nothing of it. Its transitions still count on.
				in.Changes, in.Pending, in.RegisteredAt = cur.Changes, cur.Pending, cur.RegisteredAt
			}
		case !errors.Is(err, ErrNotFound):
			return Instance{}, err
		}
		in.URL, in.Weight, in.Zone, in.HealthURL, in.TTL = reg.URL, weight, reg.Zone, reg.HealthURL, Duration(ttl)
		in.Metadata = maps.Clone(reg.Metadata)
		in.RenewedAt, in.ExpiresAt = now, now.Add(ttl)
		out, err := r.put(ctx, in, cond)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return out, err
	}
	return Instance{}, fmt.Errorf("%w: register %s/%s", ErrConflict, reg.Service, reg.ID)
}

// Get returns one live instance, or ErrNotFound.
func (r *Registry) Get(ctx context.Context, service, id string) (Instance, error) {
	if err := errors.Join(validName("service", service), validName("id", id)); err != nil {
		return Instance{}, err
	}
	it, err := r.st.Get(ctx, key(service, id))
	if errors.Is(err, store.ErrNotFound) {
		return Instance{}, fmt.Errorf("%w: %s/%s", ErrNotFound, service, id)
	}
	if err != nil {
		return Instance{}, err
	}
	in, err := decode(it)
	if err != nil {
		return Instance{}, err
	}
	now := r.now()
	if !now.Before(in.ExpiresAt) {
		return Instance{}, fmt.Errorf("%w: %s/%s (lease ended %s)", ErrNotFound, service, id, in.ExpiresAt.UTC().Format(time.RFC3339))
	}
	in.Routable = in.CanRoute(now)
	return in, nil
}

// Update applies change to a live instance in a read-modify-write
// conditional on the version read, retried on a conflict; change may be
// called more than once and must only depend on its argument. It returns
// the instance as written, or ErrNotFound.
func (r *Registry) Update(ctx context.Context, service, id string, change func(*Instance) error) (Instance, error) {
	for n := range maxAttempts {
		if err := backoff(ctx, n); err != nil {
			return Instance{}, err
		}
		cur, err := r.Get(ctx, service, id)
		if err != nil {
			return Instance{}, err
		}
		before := cur
		if err := change(&cur); errors.Is(err, errUnchanged) {
			return before, nil
		} else if err != nil {
			return Instance{}, err
		}
		out, err := r.put(ctx, cur, store.Condition{IfVersion: cur.Version})
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return out, err
	}
	return Instance{}, fmt.Errorf("%w: %s/%s", ErrConflict, service, id)
}

// errUnchanged, returned by an Update's change, leaves the instance as it
// is, unwritten.
var errUnchanged = errors.New("unchanged")

// QuietWrite is how long the registry may leave a probe result unwritten
// when it changes nothing (the same state, counters at their threshold,
// the same error): a healthy fleet costs a write per instance every
// QuietWrite, not every minute, and LastCheck is at most that old.
const QuietWrite = 5 * time.Minute

// Heartbeat renews an instance's lease for its TTL; ErrNotFound means its
// lease ran out (or it was deregistered) and it must register again.
func (r *Registry) Heartbeat(ctx context.Context, service, id string) (Instance, error) {
	return r.Update(ctx, service, id, func(in *Instance) error {
		now := r.now()
		in.RenewedAt, in.ExpiresAt = now, now.Add(time.Duration(in.TTL))
		return nil
	})
}

// Deregister removes an instance; ErrNotFound when there is none.
func (r *Registry) Deregister(ctx context.Context, service, id string) error {
	if _, err := r.Get(ctx, service, id); err != nil {
		return err
	}
	return r.st.Delete(ctx, key(service, id), store.Condition{})
}

// Instances returns the live instances of service (of every service when
// service is empty), ordered by service and id, routable or not.
func (r *Registry) Instances(ctx context.Context, service string) ([]Instance, error) {
	prefix := "instance/"
	if service != "" {
		if err := validName("service", service); err != nil {
			return nil, err
		}
		prefix += service + "/"
	}
	items, err := r.st.Query(ctx, Partition, prefix, 0)
	if err != nil {
		return nil, err
	}
	now := r.now()
	out := make([]Instance, 0, len(items))
	for _, it := range items {
		in, err := decode(it)
		if err != nil {
			return nil, err
		}
		if !now.Before(in.ExpiresAt) {
			continue
		}
		in.Routable = in.CanRoute(now)
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Services returns the names of the services with a live instance.
func (r *Registry) Services(ctx context.Context) ([]string, error) {
	all, err := r.Instances(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range all {
		if len(out) == 0 || out[len(out)-1] != in.Service {
			out = append(out, in.Service)
		}
	}
	return out, nil
}

// Record applies one probe result to an instance (errText empty for a
// pass) and returns it as written with the transition it caused, which is
// also appended to its Pending list until Announced. A result that
// changes nothing is written only when the last written check is
// QuietWrite old.
func (r *Registry) Record(ctx context.Context, service, id string, th Thresholds, at time.Time, errText string) (Instance, *HealthChange, error) {
	var change *HealthChange
	in, err := r.Update(ctx, service, id, func(in *Instance) error {
		was := *in
		change = in.Apply(th, at, errText)
		if change == nil && in.Passes == was.Passes && in.Failures == was.Failures && in.LastError == was.LastError &&
			at.Sub(was.LastCheck) < QuietWrite {
			return errUnchanged
		}
		if change != nil {
			in.Pending = append(in.Pending, *change)
			if len(in.Pending) > maxPending {
				in.Pending = in.Pending[len(in.Pending)-maxPending:]
			}
		}
		return nil
	})
	if err != nil {
		return Instance{}, nil, err
	}
	return in, change, nil
}

// Announced removes the transitions up to seq from an instance's Pending
// list once they are published.
func (r *Registry) Announced(ctx context.Context, service, id string, seq int64) error {
	_, err := r.Update(ctx, service, id, func(in *Instance) error {
		kept := in.Pending[:0]
		for _, p := range in.Pending {
			if p.Seq > seq {
				kept = append(kept, p)
			}
		}
		in.Pending = kept
		if len(in.Pending) == 0 {
			in.Pending = nil
		}
		return nil
	})
	return err
}

// String is the instance's service/id.
func (in Instance) String() string { return strings.Join([]string{in.Service, in.ID}, "/") }
