package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Error names, what ASL Catch, the HTTP problem and the CLI see.
const (
	ErrNameInvalid   = "Release.InvalidRequest"
	ErrNameNotFound  = "Release.NotFound"
	ErrNameConflict  = "Release.Conflict"
	ErrNameFailed    = "Release.StepFailed" // transient: the state machine retries it
	ErrNameAliasFail = "Release.AliasFailed"
	// ErrNameNotSupported: publishing versions where deployments do it.
	ErrNameNotSupported = "Release.NotSupported"
)

// State is where a release is.
type State string

// The states. Promoted and RolledBack are final.
const (
	Running    State = "running"
	Promoted   State = "promoted"
	RolledBack State = "rolledback"
)

// Decision kinds, the suffix of their event types.
const (
	Started     = "started"
	Stepped     = "stepped"
	Held        = "held"
	DidPromote  = "promoted"
	DidRollBack = "rolledback"
)

// Controller is the name decisions made by the controller are made by.
const Controller = "release-controller"

// Metrics is what one check read of the new version.
type Metrics = events.ReleaseMetrics

// Decision is one entry of a release's history.
type Decision struct {
	Seq     int       `json:"seq"`
	Kind    string    `json:"kind"`
	At      time.Time `json:"at"`
	Weight  float64   `json:"weight"`
	Step    int       `json:"step"`
	By      string    `json:"by,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Metrics *Metrics  `json:"metrics,omitempty"`
}

// Release is a release's record.
type Release struct {
	Spec
	PreviousVersion string     `json:"previousVersion"`
	State           State      `json:"state"`
	Step            int        `json:"step"`   // index of Weights applied now
	Weight          float64    `json:"weight"` // percent to the new version now
	Holds           int        `json:"holds"`
	StartedAt       time.Time  `json:"startedAt"`
	StepStartedAt   time.Time  `json:"stepStartedAt"`
	NextCheckAt     time.Time  `json:"nextCheckAt"`
	EndedAt         time.Time  `json:"endedAt,omitzero"`
	Reason          string     `json:"reason,omitempty"`
	History         []Decision `json:"history"`
	// Outbox holds the decisions not yet published (their seq).
	Outbox []int `json:"outbox,omitempty"`

	version int64 // the store item's version
}

// Done reports whether the release is over.
func (r *Release) Done() bool { return r.State == Promoted || r.State == RolledBack }

// plan is the weights in percent the release goes through: Weights, then 100.
func (r *Release) plan() []float64 { return append(append([]float64(nil), r.Weights...), 100) }

// Error is a named release error.
type Error struct {
	Name string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorName is the name Catch and problems see.
func (e *Error) ErrorName() string { return e.Name }

func named(name string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Name: name, Err: err}
}

// aliasError names an Aliases failure: a missing function, alias or
// version is bad input, anything else a failure worth retrying.
func aliasError(err error) error {
	if errors.Is(err, ErrFunctionNotFound) || errors.Is(err, ErrAliasNotFound) || errors.Is(err, ErrVersionNotFound) {
		return named(ErrNameNotFound, err)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return named(ErrNameInvalid, err)
	}
	return named(ErrNameAliasFail, err)
}

// Config configures a Controller.
type Config struct {
	Store   store.Store // required
	Aliases Aliases     // required
	Counter *Counter    // required: where checks read
	// Publish sends a decision event; nil publishes nothing.
	Publish func(ctx context.Context, typ string, id string, d events.ReleaseChanged) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Validate reports every missing dependency.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("release: Config.Store is required"))
	}
	if c.Aliases == nil {
		errs = append(errs, errors.New("release: Config.Aliases is required"))
	}
	if c.Counter == nil {
		errs = append(errs, errors.New("release: Config.Counter is required"))
	}
	return errors.Join(errs...)
}

// Releases runs releases.
type Releases struct {
	cfg Config
	now func() time.Time
}

// New checks cfg and returns a controller.
func New(cfg Config) (*Releases, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Releases{cfg: cfg, now: cfg.Now}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

func recordKey(id string) store.Key { return store.Key{Partition: "release#releases", Sort: id} }
func lockKey(fn, alias string) store.Key {
	return store.Key{Partition: "release#active", Sort: fn + "#" + alias}
}

// Start checks spec (every field, the function, alias and version), records
// the release and moves the alias to its first weight. Nothing is changed
// when any check fails; a failed alias update removes the record again.
func (c *Releases) Start(ctx context.Context, spec Spec) (*Release, error) {
	now := c.now().UTC()
	if err := spec.Normalize(now); err != nil {
		return nil, named(ErrNameInvalid, err)
	}
	if spec.Checks.SLO != "" {
		found := false
		var have []string
		for _, s := range c.cfg.Counter.SLOs {
			have = append(have, s.Name)
			found = found || s.Name == spec.Checks.SLO
		}
		if !found {
			return nil, named(ErrNameInvalid, &FieldError{Field: "slo", Err: fmt.Errorf("no SLO named %q (have %v)", spec.Checks.SLO, have)})
		}
	}
	cur, err := c.cfg.Aliases.Alias(ctx, spec.Function, spec.Alias)
	if err != nil {
		return nil, aliasError(err)
	}
	versions, err := c.cfg.Aliases.Versions(ctx, spec.Function)
	if err != nil {
		return nil, aliasError(err)
	}
	if !contains(versions, spec.Version) {
		return nil, named(ErrNameNotFound, &FieldError{Field: "version", Err: fmt.Errorf("%w: %s has no version %q (have %v)", ErrVersionNotFound, spec.Function, spec.Version, versions)})
	}
	if cur.Version == spec.Version {
		return nil, named(ErrNameConflict, &FieldError{Field: "version", Err: fmt.Errorf("%s:%s is on version %s already", spec.Function, spec.Alias, spec.Version)})
	}
	if len(cur.Weights) > 0 {
		return nil, named(ErrNameConflict, fmt.Errorf("%s:%s already splits its traffic (%v beside version %s): finish or roll back that release first", spec.Function, spec.Alias, cur.Weights, cur.Version))
	}
	if it, err := c.cfg.Store.Get(ctx, lockKey(spec.Function, spec.Alias)); err == nil {
		return nil, named(ErrNameConflict, fmt.Errorf("release %s is running on %s:%s", it.Value, spec.Function, spec.Alias))
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, named(ErrNameFailed, err)
	}
	plan := append(append([]float64(nil), spec.Weights...), 100)
	rel := &Release{Spec: spec, PreviousVersion: cur.Version, State: Running, Weight: plan[0], StartedAt: now, StepStartedAt: now,
		NextCheckAt: now.Add(time.Duration(spec.Interval))}
	by := spec.By
	if by == "" {
		by = Controller
	}
	rel.decide(Started, now, by, fmt.Sprintf("%s release of version %s (from %s): %v%% first", spec.Strategy, spec.Version, cur.Version, plan[0]), nil)
	b, _ := json.Marshal(rel)
	err = c.cfg.Store.Transact(ctx, []store.Op{
		{Kind: store.OpPut, Item: store.Item{Key: recordKey(spec.ID), Value: b}, Cond: store.Condition{IfAbsent: true}},
		{Kind: store.OpPut, Item: store.Item{Key: lockKey(spec.Function, spec.Alias), Value: []byte(spec.ID)}, Cond: store.Condition{IfAbsent: true}},
	})
	var tx *store.TxError
	if errors.As(err, &tx) {
		if len(tx.Failed) > 0 && tx.Failed[0] == 0 {
			return nil, named(ErrNameConflict, &FieldError{Field: "id", Err: fmt.Errorf("a release %q exists already", spec.ID)})
		}
		return nil, named(ErrNameConflict, fmt.Errorf("another release is running on %s:%s", spec.Function, spec.Alias))
	}
	if err != nil {
		return nil, named(ErrNameFailed, err)
	}
	rel.version = 1
	if err := c.cfg.Aliases.SetAlias(ctx, spec.Function, spec.Alias, Split(cur.Version, spec.Version, plan[0])); err != nil {
		// Undo the record: nothing is half-applied.
		_ = c.cfg.Store.Transact(context.WithoutCancel(ctx), []store.Op{
			{Kind: store.OpDelete, Item: store.Item{Key: recordKey(spec.ID)}},
			{Kind: store.OpDelete, Item: store.Item{Key: lockKey(spec.Function, spec.Alias)}},
		})
		return nil, aliasError(err)
	}
	return rel, c.flush(ctx, rel)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// decide appends a decision and queues its event.
func (r *Release) decide(kind string, at time.Time, by, reason string, m *Metrics) {
	d := Decision{Seq: len(r.History) + 1, Kind: kind, At: at, Weight: r.Weight, Step: r.Step, By: by, Reason: reason, Metrics: m}
	r.History = append(r.History, d)
	r.Outbox = append(r.Outbox, d.Seq)
	if reason != "" {
		r.Reason = reason
	}
}

// Get returns a release.
func (c *Releases) Get(ctx context.Context, id string) (*Release, error) {
	it, err := c.cfg.Store.Get(ctx, recordKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, named(ErrNameNotFound, fmt.Errorf("no release %q", id))
	}
	if err != nil {
		return nil, named(ErrNameFailed, err)
	}
	var r Release
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return nil, named(ErrNameFailed, fmt.Errorf("release %s: %w", id, err))
	}
	r.version = it.Version
	return &r, nil
}

// List returns every release in state (all when empty), newest first.
func (c *Releases) List(ctx context.Context, state State) ([]*Release, error) {
	items, err := c.cfg.Store.Query(ctx, recordKey("").Partition, "", 0)
	if err != nil {
		return nil, named(ErrNameFailed, err)
	}
	out := []*Release{}
	for _, it := range items {
		var r Release
		if err := json.Unmarshal(it.Value, &r); err != nil {
			continue
		}
		if state == "" || r.State == state {
			r.version = it.Version
			out = append(out, &r)
		}
	}
	sortByStart(out)
	return out, nil
}

func sortByStart(rs []*Release) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].StartedAt.After(rs[j-1].StartedAt); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// save writes r if nobody changed it since it was read (and drops the lock
// when it is done).
func (c *Releases) save(ctx context.Context, r *Release) error {
	b, _ := json.Marshal(r)
	ops := []store.Op{{Kind: store.OpPut, Item: store.Item{Key: recordKey(r.ID), Value: b}, Cond: store.Condition{IfVersion: r.version}}}
	if r.Done() {
		ops = append(ops, store.Op{Kind: store.OpDelete, Item: store.Item{Key: lockKey(r.Function, r.Alias)}})
	}
	if err := c.cfg.Store.Transact(ctx, ops); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			// Someone else decided first (an operator's rollback racing a
			// check): the alias may hold this call's routing, so put back
			// the routing of the decision that won.
			rerr := c.reconcile(context.WithoutCancel(ctx), r.ID)
			return named(ErrNameFailed, errors.Join(fmt.Errorf("release %s changed while deciding; the step runs again: %w", r.ID, err), rerr))
		}
		return named(ErrNameFailed, err)
	}
	r.version++
	return nil
}

// reconcile sets the alias to what the stored release says.
func (c *Releases) reconcile(ctx context.Context, id string) error {
	r, err := c.Get(ctx, id)
	if err != nil {
		return err
	}
	want := Split(r.PreviousVersion, r.Version, r.Weight)
	switch r.State {
	case Promoted:
		want = Routing{Version: r.Version}
	case RolledBack:
		want = Routing{Version: r.PreviousVersion}
	}
	return c.cfg.Aliases.SetAlias(ctx, r.Function, r.Alias, want)
}

// flush publishes r's outbox, then empties it. A failure leaves the events
// in the outbox for the next call: each is sent at least once, with a
// stable id.
func (c *Releases) flush(ctx context.Context, r *Release) error {
	if len(r.Outbox) == 0 {
		return nil
	}
	if c.cfg.Publish != nil {
		for _, seq := range r.Outbox {
			d := r.History[seq-1]
			data := r.changed(d)
			if err := c.cfg.Publish(ctx, "dev.cogniforge.release."+d.Kind+".v1", r.ID+"/"+strconv.Itoa(seq), data); err != nil {
				return named(ErrNameFailed, fmt.Errorf("publishing release %s decision %d: %w", r.ID, seq, err))
			}
		}
	}
	r.Outbox = nil
	// When this write loses a race, a later flush sends the events again
	// with the same ids: consumers drop repeats by id.
	_ = c.save(ctx, r)
	return nil
}

// changed is the event data of decision d.
func (r *Release) changed(d Decision) events.ReleaseChanged {
	state := Running
	switch d.Kind {
	case DidPromote:
		state = Promoted
	case DidRollBack:
		state = RolledBack
	}
	return events.ReleaseChanged{ID: r.ID, Function: r.Function, Alias: r.Alias, Version: r.Version, PreviousVersion: r.PreviousVersion,
		Strategy: string(r.Strategy), State: string(state), Weight: d.Weight, Step: d.Step, Holds: r.holdsAt(d), Reason: d.Reason, By: d.By,
		At: d.At.UTC().Format(time.RFC3339Nano), Metrics: d.Metrics}
}

func (r *Release) holdsAt(d Decision) int {
	if d.Kind != Held {
		return 0
	}
	n := 0
	for i := d.Seq - 1; i >= 0 && r.History[i].Kind == Held; i-- {
		n++
	}
	return n
}

// Outcome is what a check decided.
type Outcome struct {
	ReleaseID string  `json:"releaseId"`
	Done      bool    `json:"done"`
	State     State   `json:"state"`
	Weight    float64 `json:"weight"`
	// WaitSeconds is how long to wait before the next check.
	WaitSeconds int    `json:"waitSeconds"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason,omitempty"`
}

func (r *Release) outcome(decision string, now time.Time) Outcome {
	o := Outcome{ReleaseID: r.ID, Done: r.Done(), State: r.State, Weight: r.Weight, Decision: decision, Reason: r.Reason}
	if !o.Done {
		o.WaitSeconds = max(1, int(math.Ceil(r.NextCheckAt.Sub(now).Seconds())))
	}
	return o
}

// Check judges the release's current step when its check is due: a breach
// rolls back at once; too few requests hold the step (and more than
// MaxHolds holds roll back); a healthy step moves to the next weight or
// promotes. Called early it changes nothing and says how long to wait.
func (c *Releases) Check(ctx context.Context, id string) (Outcome, error) {
	r, err := c.Get(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	// Decisions a failed publish left in the outbox go out first. The bus
	// being down is no reason to judge (or roll back) a release: they stay
	// queued, and the decision below tries again.
	_ = c.flush(ctx, r)
	now := c.now().UTC()
	if r.Done() {
		return r.outcome("done", now), nil
	}
	if now.Before(r.NextCheckAt) {
		return r.outcome("waiting", now), nil
	}
	m, breach, err := c.measure(ctx, r, now)
	if err != nil {
		return Outcome{}, named(ErrNameFailed, err)
	}
	switch {
	case breach != "":
		return c.rollback(ctx, r, now, Controller, breach, m)
	case m.Requests < int64(r.Checks.MinRequests):
		reason := fmt.Sprintf("%d requests of version %s since %s, fewer than the %d needed to judge it", m.Requests, r.Version, r.StepStartedAt.Format(time.RFC3339), r.Checks.MinRequests)
		if r.Holds >= r.Checks.MaxHolds {
			return c.rollback(ctx, r, now, Controller, reason+fmt.Sprintf("; held %d times already", r.Holds), m)
		}
		r.Holds++
		r.NextCheckAt = now.Add(time.Duration(r.Interval))
		r.decide(Held, now, Controller, reason, m)
		if err := c.save(ctx, r); err != nil {
			return Outcome{}, err
		}
		return r.outcome(Held, now), c.flush(ctx, r)
	}
	plan := r.plan()
	next := r.Step + 1
	if next >= len(plan) || plan[r.Step] >= 100 {
		// At 100% already (blue-green): the check passed, the old version
		// is let go.
		return c.promote(ctx, r, now, m)
	}
	if plan[next] >= 100 {
		r.Step = next
		return c.promote(ctx, r, now, m)
	}
	if err := c.cfg.Aliases.SetAlias(ctx, r.Function, r.Alias, Split(r.PreviousVersion, r.Version, plan[next])); err != nil {
		return Outcome{}, aliasError(err)
	}
	r.Step, r.Weight, r.Holds = next, plan[next], 0
	r.StepStartedAt, r.NextCheckAt = now, now.Add(time.Duration(r.Interval))
	r.decide(Stepped, now, Controller, fmt.Sprintf("healthy (%s): %v%% to version %s", summary(m), r.Weight, r.Version), m)
	if err := c.save(ctx, r); err != nil {
		return Outcome{}, err
	}
	return r.outcome(Stepped, now), c.flush(ctx, r)
}

func summary(m *Metrics) string {
	s := fmt.Sprintf("%d requests, error rate %.4g", m.Requests, m.ErrorRate)
	if m.LatencyPercentile > 0 && m.LatencyMs > 0 {
		s += fmt.Sprintf(", p%g %gms", m.LatencyPercentile, m.LatencyMs)
	}
	if m.BurnRate != nil {
		s += fmt.Sprintf(", %s burn rate %.4g", m.SLO, *m.BurnRate)
	}
	return s
}

func (c *Releases) promote(ctx context.Context, r *Release, now time.Time, m *Metrics) (Outcome, error) {
	if err := c.cfg.Aliases.SetAlias(ctx, r.Function, r.Alias, Routing{Version: r.Version}); err != nil {
		return Outcome{}, aliasError(err)
	}
	r.State, r.Weight, r.EndedAt, r.Holds = Promoted, 100, now, 0
	r.decide(DidPromote, now, Controller, fmt.Sprintf("healthy (%s): version %s serves all of %s", summary(m), r.Version, r.Alias), m)
	if err := c.save(ctx, r); err != nil {
		return Outcome{}, err
	}
	return r.outcome(DidPromote, now), c.flush(ctx, r)
}

// measure reads the new version's counts since the step began (the SLO's
// over its burn window) and names the first breach, if any.
func (c *Releases) measure(ctx context.Context, r *Release, now time.Time) (*Metrics, string, error) {
	w, err := c.cfg.Counter.Read(ctx, r.Function, r.Version, r.StepStartedAt, now)
	if err != nil {
		return nil, "", err
	}
	m := &Metrics{Requests: w.Requests, Errors: w.Errors, ErrorRate: round(w.ErrorRate()), LatencyPercentile: r.Checks.LatencyPercentile,
		LatencyMs: w.Percentile(r.Checks.LatencyPercentile), From: r.StepStartedAt.Format(time.RFC3339), To: now.Format(time.RFC3339)}
	var breach string
	if r.Checks.SLO != "" {
		sw, err := c.cfg.Counter.Read(ctx, r.Function, r.Version, now.Add(-time.Duration(r.Checks.BurnWindow)), now)
		if err != nil {
			return nil, "", err
		}
		gt := sw.SLOs[r.Checks.SLO]
		burn := 0.0
		if gt[1] > 0 {
			target := 0.0
			for _, s := range c.cfg.Counter.SLOs {
				if s.Name == r.Checks.SLO {
					target = s.Target
				}
			}
			burn = round(float64(gt[1]-gt[0]) / float64(gt[1]) / (1 - target))
		}
		m.BurnRate, m.SLO = &burn, r.Checks.SLO
		if gt[1] >= int64(r.Checks.MinRequests) && burn > r.Checks.MaxBurnRate {
			breach = fmt.Sprintf("SLO %s burn rate %.4g over the maximum %g in the last %s (%d bad of %d events of version %s)",
				r.Checks.SLO, burn, r.Checks.MaxBurnRate, time.Duration(r.Checks.BurnWindow), gt[1]-gt[0], gt[1], r.Version)
		}
	}
	if m.Requests < int64(r.Checks.MinRequests) {
		return m, breach, nil
	}
	switch {
	case m.ErrorRate > r.Checks.MaxErrorRate:
		breach = fmt.Sprintf("error rate %.4g over the maximum %g (%d of %d requests of version %s failed)", m.ErrorRate, r.Checks.MaxErrorRate, m.Errors, m.Requests, r.Version)
	case r.Checks.MaxLatencyMs > 0 && m.LatencyMs > r.Checks.MaxLatencyMs:
		breach = fmt.Sprintf("p%g latency %gms over the maximum %gms (%d requests of version %s)", r.Checks.LatencyPercentile, m.LatencyMs, r.Checks.MaxLatencyMs, m.Requests, r.Version)
	}
	if !r.Checks.latencyWanted() {
		m.LatencyMs, m.LatencyPercentile = 0, 0
	}
	return m, breach, nil
}

func (c Checks) latencyWanted() bool { return c.MaxLatencyMs > 0 }

func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Rollback returns the alias to the previous version at once and ends the
// release. Rolling back a release that is over is a conflict (a promoted
// one: start a release of the old version instead), except that rolling
// back a rolled-back release again is a no-op.
func (c *Releases) Rollback(ctx context.Context, id, by, reason string) (*Release, error) {
	r, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State == RolledBack {
		return r, c.flush(ctx, r)
	}
	if r.State == Promoted {
		return nil, named(ErrNameConflict, fmt.Errorf("release %s was promoted at %s: version %s serves all of %s:%s; release version %s to go back",
			id, r.EndedAt.Format(time.RFC3339), r.Version, r.Function, r.Alias, r.PreviousVersion))
	}
	if by == "" {
		by = Controller
	}
	if reason == "" {
		reason = "rolled back by " + by
	}
	if _, err := c.rollback(ctx, r, c.now().UTC(), by, reason, nil); err != nil {
		return nil, err
	}
	return r, nil
}

func (c *Releases) rollback(ctx context.Context, r *Release, now time.Time, by, reason string, m *Metrics) (Outcome, error) {
	if err := c.cfg.Aliases.SetAlias(ctx, r.Function, r.Alias, Routing{Version: r.PreviousVersion}); err != nil {
		return Outcome{}, aliasError(err)
	}
	r.State, r.Weight, r.EndedAt = RolledBack, 0, now
	r.decide(DidRollBack, now, by, reason, m)
	if err := c.save(ctx, r); err != nil {
		return Outcome{}, err
	}
	return r.outcome(DidRollBack, now), c.flush(ctx, r)
}
