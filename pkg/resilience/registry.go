package resilience

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/metric"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// EventSource is the source of the breaker events.
const EventSource = "cogniforge/resilience"

// BulkheadPartition holds each instance's last bulkhead report, one item
// per bulkhead and instance, expiring when the instance stops reporting.
const BulkheadPartition = "resilience#bulkheads"

// DefaultReportInterval is how often an instance making calls writes its
// bulkheads' use to the store (for the status command).
const DefaultReportInterval = 5 * time.Second

// RegistryConfig builds a Registry.
type RegistryConfig struct {
	// Function is the calling function's name, in events and reports.
	Function string
	// Downstreams are the resolved settings (Resolve), by name. Required.
	Downstreams map[string]Downstream
	// Bulkheads is the resolved table of bulkhead limits per kind; nil
	// means DefaultBulkheads.
	Bulkheads map[Kind]BulkheadLimits
	// Store holds the shared breakers and the bulkhead reports; nil means
	// no breakers (each call judged alone) and no reports.
	Store store.Store
	// Publisher receives the breaker events; nil publishes none.
	Publisher bus.Publisher
	// Clock; nil means the wall clock.
	Clock Clock
	// Meter records the metrics; nil records none.
	Meter metric.Meter
	// Logger reports what cannot fail a call (an event not published, a
	// report not written); nil discards.
	Logger *slog.Logger
	// ReportInterval: zero means DefaultReportInterval, negative never.
	ReportInterval time.Duration
}

// Registry holds one function instance's policies, one per downstream,
// built once at cold start. Safe for concurrent use.
type Registry struct {
	cfg      RegistryConfig
	policies map[string]*Policy
	instance string
	next     atomic.Int64 // unix nanos of the next bulkhead report
	logger   *slog.Logger
}

// NewRegistry builds every downstream's policy.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	if len(cfg.Downstreams) == 0 {
		return nil, errors.New("resilience: RegistryConfig.Downstreams is empty")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Bulkheads == nil {
		cfg.Bulkheads = DefaultBulkheads
	}
	if cfg.ReportInterval == 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	r := &Registry{cfg: cfg, policies: map[string]*Policy{}, logger: cfg.Logger}
	if r.logger == nil {
		r.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var id [4]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	r.instance = hex.EncodeToString(id[:])
	in := noopInstruments()
	if cfg.Meter != nil {
		var err error
		if in, err = newInstruments(cfg.Meter); err != nil {
			return nil, fmt.Errorf("resilience: metrics: %w", err)
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Downstreams)) {
		d := cfg.Downstreams[name]
		if err := d.validate(); err != nil {
			errs = append(errs, prefixed("downstreams."+name+".", err))
			continue
		}
		limits, ok := cfg.Bulkheads[d.Kind]
		if !ok {
			limits = DefaultBulkheads[d.Kind]
		}
		if d.Bulkhead != nil {
			limits = *d.Bulkhead
		}
		bh, err := NewBulkhead(name, limits, cfg.Clock.After)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var br *Breaker
		if cfg.Store != nil && !d.NoBreaker {
			br, err = NewBreaker(BreakerConfig{Name: name, Settings: d.Breaker, Store: cfg.Store, Now: cfg.Clock.Now, OnChange: r.publish})
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		p, err := NewPolicy(PolicyConfig{Name: name, Timeout: d.Timeout, AttemptTimeout: d.AttemptTimeout, Idempotent: d.Idempotent,
			Retry: d.Retry, Breaker: br, Bulkhead: bh, Clock: cfg.Clock})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.m = newPolicyMetrics(in, name)
		if cfg.Store != nil && cfg.ReportInterval > 0 {
			p.onCall = r.maybeReport
		}
		r.policies[name] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Meter != nil {
		if err := r.observe(cfg.Meter); err != nil {
			return nil, fmt.Errorf("resilience: metrics: %w", err)
		}
	}
	return r, nil
}

// Policy returns the named downstream's policy, or an error naming the
// downstreams there are.
func (r *Registry) Policy(name string) (*Policy, error) {
	if p, ok := r.policies[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("resilience: unknown downstream %q (have %v)", name, slices.Sorted(maps.Keys(r.policies)))
}

// publish turns a breaker transition into a catalog event.
func (r *Registry) publish(ctx context.Context, tr Transition) {
	if err := PublishTransition(ctx, r.cfg.Publisher, r.cfg.Function, tr); err != nil {
		r.logger.WarnContext(ctx, "resilience: breaker event not published", "breaker", tr.Name, "state", tr.To, "error", err)
	}
}

// PublishTransition publishes tr as a dev.cogniforge.resilience.breaker.*
// event; a nil publisher publishes nothing.
func PublishTransition(ctx context.Context, pub bus.Publisher, function string, tr Transition) error {
	if pub == nil {
		return nil
	}
	typ := map[State]string{Open: events.TypeBreakerOpened, HalfOpen: events.TypeBreakerHalfOpened, Closed: events.TypeBreakerClosed}[tr.To]
	data := events.BreakerChanged{Name: tr.Name, State: string(tr.To), From: string(tr.From), Reason: tr.Reason,
		ConsecutiveFailures: tr.ConsecutiveFailures, WindowCalls: tr.WindowCalls, WindowFailures: tr.WindowFailures,
		At: tr.At.UTC().Format(time.RFC3339Nano), Function: function}
	if !tr.OpenedAt.IsZero() {
		data.OpenedAt = tr.OpenedAt.UTC().Format(time.RFC3339Nano)
	}
	ev, err := events.New(ctx, typ, EventSource, data, events.Time(tr.At))
	if err != nil {
		return err
	}
	ev.SetSubject(tr.Name)
	errs, err := pub.Publish(ctx, []cloudevents.Event{ev})
	if err == nil && len(errs) == 1 {
		err = errs[0]
	}
	return err
}

// bulkheadReport is one instance's bulkhead use, as stored.
type bulkheadReport struct {
	BulkheadStatus
	Function string    `json:"function,omitempty"`
	Instance string    `json:"instance"`
	At       time.Time `json:"at"`
}

// maybeReport writes every bulkhead's use once per ReportInterval, on the
// call that finds it due (no goroutine of its own; an idle instance's
// reports expire).
func (r *Registry) maybeReport(now time.Time) {
	next := r.next.Load()
	if now.UnixNano() < next || !r.next.CompareAndSwap(next, now.Add(r.cfg.ReportInterval).UnixNano()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.Report(ctx); err != nil {
		r.logger.Warn("resilience: bulkhead report not written", "error", err)
	}
}

// Report writes every bulkhead's use to the store now, expiring after
// three report intervals.
func (r *Registry) Report(ctx context.Context) error {
	if r.cfg.Store == nil {
		return nil
	}
	now := r.cfg.Clock.Now()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(r.policies)) {
		p := r.policies[name]
		raw, err := json.Marshal(bulkheadReport{BulkheadStatus: p.bulkhead.Status(), Function: r.cfg.Function, Instance: r.instance, At: now})
		if err != nil {
			return err
		}
		key := store.Key{Partition: BulkheadPartition, Sort: name + "#" + r.instance}
		if _, err := r.cfg.Store.Put(ctx, store.Item{Key: key, Value: raw, ExpiresAt: now.Add(3 * r.cfg.ReportInterval)}, store.Condition{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LoadConfig picks the function's configuration: the file named
// <function>.yaml (or .yml) among files (the configuration capability's
// "resilience" files, by name or path) when there is one, else envJSON
// (the $COGNIFORGE_RESILIENCE variable) when not empty, else none.
func LoadConfig(function string, files map[string][]byte, envJSON string) (Config, error) {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		base := path.Base(strings.ReplaceAll(name, "\\", "/"))
		if base == function+".yaml" || base == function+".yml" {
			return ParseConfig(name, files[name])
		}
	}
	if strings.TrimSpace(envJSON) != "" {
		return ParseConfig(EnvConfig, []byte(envJSON))
	}
	return Config{}, nil
}

// EnvConfig is the environment variable holding a function's resilience
// configuration as JSON, when no configuration file names it.
const EnvConfig = "COGNIFORGE_RESILIENCE"

// ConfigKind is the configuration kind (config/resilience/*.yaml).
const ConfigKind = "resilience"
