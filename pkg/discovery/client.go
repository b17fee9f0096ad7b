package discovery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// Strategy is how a Client chooses among a service's routable instances.
type Strategy string

// The strategies.
const (
	// RoundRobin takes each instance in turn, weights aside.
	RoundRobin Strategy = "round-robin"
	// Weighted takes instances in proportion to their weights, spread
	// evenly over each cycle (smooth weighted round-robin, as nginx does):
	// weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
	Weighted Strategy = "weighted"
	// Random takes a uniformly random instance, weights aside.
	Random Strategy = "random"
	// LeastOutstanding takes the instance with the fewest picks not yet
	// released with Selection.Done by this Client per unit of weight;
	// among equals (all idle, say) it takes them in weighted turn, so with
	// requests that finish before the next pick the shares are the
	// weights', and under load an idle instance is always taken first.
	LeastOutstanding Strategy = "least-outstanding"
)

// Strategies lists every strategy.
var Strategies = []Strategy{RoundRobin, Weighted, Random, LeastOutstanding}

// ParseStrategy reads a strategy's name.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fieldErr("strategy", "%q is not one of %v", s, Strategies)
}

// DefaultCacheTTL is how long a Client uses what it read of a service.
const DefaultCacheTTL = 5 * time.Second

// Source is where a Client reads a service's instances: a *Registry, or a
// fake in tests.
type Source interface {
	Instances(ctx context.Context, service string) ([]Instance, error)
}

var _ Source = (*Registry)(nil)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Source is read when the cache of a service is empty or stale. Required.
	Source Source
	// Strategy; empty means Weighted.
	Strategy Strategy
	// CacheTTL is how long a read serves picks; zero means
	// DefaultCacheTTL. A registration, a deregistration or a health
	// transition reaches a Client within it. (A process that was paused,
	// such as a frozen Lambda instance, may serve a few picks from the old
	// read as it resumes, until the overdue timer has run.)
	CacheTTL time.Duration
	// Zone, when set, keeps picks in that zone while it has a routable
	// instance, and uses the other zones only when it has none.
	Zone string
	// FailOpen, when set, picks among the unhealthy instances (lease live,
	// weight above zero) when a service has no routable one, rather than
	// failing with ErrNoInstance: when every instance looks down, the
	// health checks may be what is wrong (Envoy's panic mode, at 0%).
	FailOpen bool
	// Clock is the clock of the cache and of leases; nil means the real
	// one (clock.Real). Tests pass a *clock.Fake.
	Clock Clock
}

// Clock is what a Client needs of a clock (clock.Real and *clock.Fake
// have it): the time, for leases, and a timer that marks a read stale, so
// a pick reads no clock at all.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type strategyKind uint8

const (
	kindRoundRobin strategyKind = iota
	kindWeighted
	kindRandom
	kindLeastOutstanding
)

// Client resolves services through a cache and balances over their
// routable instances. It is safe for concurrent use.
type Client struct {
	src  Source
	kind strategyKind
	ttl  time.Duration
	zone string
	open bool
	clk  Clock

	mu      sync.Mutex // serialises adding services
	entries atomic.Pointer[map[string]*Service]
}

// Service is one service as a Client sees it: Client.Service returns it
// once, and its Pick skips the Client's lookup of the name. Safe for
// concurrent use.
type Service struct {
	c          *Client
	name       string
	next       atomic.Uint64 // position of round-robin, weighted, ties
	view       atomic.Pointer[view]
	refreshing atomic.Bool
	mu         sync.Mutex               // serialises loads; guards counters
	counters   map[string]*atomic.Int64 // outstanding picks by instance id, kept across refreshes
	lastErr    atomic.Pointer[error]
}

// view is an immutable read of a service.
type view struct {
	insts []Instance
	out   []*atomic.Int64
	order []uint32 // one weighted cycle, when small enough
	cum   []int    // cumulative weights otherwise
	// stale is set by a timer when the view is CacheTTL old: a pick checks
	// a flag instead of reading the clock (a read of kvm-clock cost two
	// thirds of a pick).
	stale atomic.Bool
	stop  func() bool
}

// NewClient returns a Client, or every problem of cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	var errs []error
	if cfg.Source == nil {
		errs = append(errs, errors.New("discovery: ClientConfig.Source is required"))
	}
	if cfg.Strategy == "" {
		cfg.Strategy = Weighted
	}
	if _, err := ParseStrategy(string(cfg.Strategy)); err != nil {
		errs = append(errs, err)
	}
	if cfg.CacheTTL < 0 {
		errs = append(errs, fieldErr("cacheTTL", "%v is negative", cfg.CacheTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	kind := map[Strategy]strategyKind{RoundRobin: kindRoundRobin, Weighted: kindWeighted, Random: kindRandom, LeastOutstanding: kindLeastOutstanding}[cfg.Strategy]
	c := &Client{src: cfg.Source, kind: kind, ttl: cfg.CacheTTL, zone: cfg.Zone, open: cfg.FailOpen, clk: cfg.Clock}
	c.entries.Store(&map[string]*Service{})
	return c, nil
}

// Selection is a picked instance. Call Done exactly once when the request
// to it has finished (it releases the outstanding count LeastOutstanding
// balances on; for the other strategies it does nothing).
type Selection struct {
	// Instance is the pick; it is shared and must not be modified.
	Instance *Instance
	out      *atomic.Int64
}

// Done releases the selection.
func (s Selection) Done() {
	if s.out != nil {
		s.out.Add(-1)
	}
}

// Service returns the handle of service, the same one every time.
func (c *Client) Service(service string) *Service {
	if e, ok := (*c.entries.Load())[service]; ok {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.entries.Load()
	if e, ok := old[service]; ok {
		return e
	}
	m := make(map[string]*Service, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	e := &Service{c: c, name: service, counters: map[string]*atomic.Int64{}}
	m[service] = e
	c.entries.Store(&m)
	return e
}

// Pick chooses one routable instance of service, reading the source when
// the cache is empty or stale. It fails with ErrNoInstance when none may
// take traffic, or with the source's error when there is nothing cached.
func (c *Client) Pick(ctx context.Context, service string) (Selection, error) {
	return c.Service(service).Pick(ctx)
}

// Name is the service's name.
func (e *Service) Name() string { return e.name }

// Pick chooses one routable instance of the service, as Client.Pick does.
func (e *Service) Pick(ctx context.Context) (Selection, error) {
	c := e.c
	v := e.view.Load()
	if v == nil || v.stale.Load() {
		var err error
		if v, err = c.refresh(ctx, e.name, e, v); err != nil {
			return Selection{}, err
		}
	}
	n := len(v.insts)
	if n == 0 {
		return Selection{}, ErrNoInstance
	}
	var i int
	switch c.kind {
	case kindRoundRobin:
		i = int((e.next.Add(1) - 1) % uint64(n))
	case kindWeighted:
		i = v.weightedIndex(e.next.Add(1) - 1)
	case kindRandom:
		i = rand.IntN(n)
	case kindLeastOutstanding:
		// Start from the weighted turn's instance; a scan stops at the
		// first idle one. o/w is compared as o_j*w_i < o_i*w_j.
		start := v.weightedIndex(e.next.Add(1) - 1)
		i = start
		best, bw := v.out[start].Load(), int64(v.insts[start].Weight)
		for k := 1; k < n && best > 0; k++ {
			j := start + k
			if j >= n {
				j -= n
			}
			if o, w := v.out[j].Load(), int64(v.insts[j].Weight); o*bw < best*w {
				i, best, bw = j, o, w
			}
		}
		v.out[i].Add(1)
		return Selection{Instance: &v.insts[i], out: v.out[i]}, nil
	}
	return Selection{Instance: &v.insts[i]}, nil
}

// refresh reads service again. The first load waits; a stale view is
// refreshed by one caller while the others keep picking from it, and a
// failed refresh keeps it for another TTL (the error is in Err).
func (c *Client) refresh(ctx context.Context, service string, e *Service, stale *view) (*view, error) {
	if stale != nil {
		if !e.refreshing.CompareAndSwap(false, true) {
			return stale, nil
		}
		defer e.refreshing.Store(false)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur := e.view.Load(); cur != stale && cur != nil {
		return cur, nil // another caller loaded it meanwhile
	}
	insts, err := c.src.Instances(ctx, service)
	now := c.clk.Now()
	if err != nil {
		err = fmt.Errorf("discovery: resolve %s: %w", service, err)
		e.lastErr.Store(&err)
		if stale == nil {
			return nil, err
		}
		kept := &view{insts: stale.insts, out: stale.out, order: stale.order, cum: stale.cum}
		c.publish(e, kept)
		return kept, nil
	}
	e.lastErr.Store(nil)
	v := c.build(e, insts, now)
	c.publish(e, v)
	return v, nil
}

// publish makes v the view of e, stale after CacheTTL, and stops the
// timer of the view it replaces. Called with e.mu held.
func (c *Client) publish(e *Service, v *view) {
	v.stop = c.clk.AfterFunc(c.ttl, func() { v.stale.Store(true) })
	if old := e.view.Swap(v); old != nil {
		old.stop()
	}
}

// build makes the view of insts at now: the routable ones, of the
// preferred zone when it has any, with their outstanding counters.
func (c *Client) build(e *Service, insts []Instance, now time.Time) *view {
	v := &view{}
	inZone := false
	for i := range insts {
		if insts[i].CanRoute(now) && c.zone != "" && insts[i].Zone == c.zone {
			inZone = true
			break
		}
	}
	for _, in := range insts {
		if in.CanRoute(now) && (!inZone || in.Zone == c.zone) {
			in.Routable = true
			v.insts = append(v.insts, in)
		}
	}
	if len(v.insts) == 0 && c.open {
		for _, in := range insts {
			if now.Before(in.ExpiresAt) && in.Weight > 0 {
				v.insts = append(v.insts, in)
			}
		}
	}
	sort.Slice(v.insts, func(i, j int) bool { return v.insts[i].ID < v.insts[j].ID })
	seen := make(map[string]bool, len(v.insts))
	v.out = make([]*atomic.Int64, len(v.insts))
	for i, in := range v.insts {
		ctr := e.counters[in.ID]
		if ctr == nil {
			ctr = new(atomic.Int64)
			e.counters[in.ID] = ctr
		}
		v.out[i], seen[in.ID] = ctr, true
	}
	for id := range e.counters {
		if !seen[id] {
			delete(e.counters, id)
		}
	}
	if (c.kind == kindWeighted || c.kind == kindLeastOutstanding) && len(v.insts) > 0 {
		v.order, v.cum = weightedOrder(v.insts)
	}
	return v
}

// weightedIndex is the instance of turn n of the weighted cycle, or a
// weighted random one when the cycle was too long to precompute.
func (v *view) weightedIndex(n uint64) int {
	if v.order != nil {
		return int(v.order[n%uint64(len(v.order))])
	}
	r := rand.IntN(v.cum[len(v.cum)-1])
	return sort.SearchInts(v.cum, r+1)
}

// maxOrderWork bounds the work of precomputing one weighted cycle
// (cycle length × instances); beyond it picks draw weighted random numbers.
const maxOrderWork = 1 << 20

// weightedOrder returns one cycle of smooth weighted round-robin over
// insts (weights divided by their greatest common divisor), or, when that
// cycle would be too long to compute, the cumulative weights.
func weightedOrder(insts []Instance) ([]uint32, []int) {
	g := 0
	for _, in := range insts {
		g = gcd(g, in.Weight)
	}
	w := make([]int, len(insts))
	total := 0
	for i, in := range insts {
		w[i] = in.Weight / g
		total += w[i]
	}
	if total*len(insts) > maxOrderWork {
		cum := make([]int, len(insts))
		sum := 0
		for i, in := range insts {
			sum += in.Weight
			cum[i] = sum
		}
		return nil, cum
	}
	order := make([]uint32, total)
	cur := make([]int, len(insts))
	for k := range order {
		best := 0
		for i := range cur {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		order[k] = uint32(best)
	}
	return order, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Invalidate drops what the Client read of service, so the next Pick
// reads it again.
func (c *Client) Invalidate(service string) {
	if e, ok := (*c.entries.Load())[service]; ok {
		e.mu.Lock()
		if old := e.view.Swap(nil); old != nil {
			old.stop()
		}
		e.mu.Unlock()
	}
}

// Err is the error of the last read of service that failed, nil when the
// last read succeeded (picks then come from the last good read).
func (c *Client) Err(service string) error {
	if e, ok := (*c.entries.Load())[service]; ok {
		if p := e.lastErr.Load(); p != nil {
			return *p
		}
	}
	return nil
}

// Outstanding returns the picks of service not yet released, by instance
// id (LeastOutstanding only).
func (c *Client) Outstanding(service string) map[string]int64 {
	out := map[string]int64{}
	if e, ok := (*c.entries.Load())[service]; ok {
		e.mu.Lock()
		for id, ctr := range e.counters {
			out[id] = ctr.Load()
		}
		e.mu.Unlock()
	}
	return out
}

// Resolve returns the routable instances of service the next Pick chooses
// among (read through the cache).
func (c *Client) Resolve(ctx context.Context, service string) ([]Instance, error) {
	e := c.Service(service)
	v := e.view.Load()
	if v == nil || v.stale.Load() {
		var err error
		if v, err = c.refresh(ctx, service, e, v); err != nil {
			return nil, err
		}
	}
	return append([]Instance(nil), v.insts...), nil
}
