package projection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Config configures a Projector.
type Config struct {
	// Events is the event store: its feed, its checkpoints, and its store,
	// which holds the model too. Required.
	Events *eventstore.EventStore
	// Projection is the read model. Required.
	Projection Projection
	// Now stamps rebuilds. Nil means time.Now.
	Now func() time.Time
	// FlushAt is how many changed items a live projector gathers before it
	// writes them with the checkpoint (one transaction). One event may
	// change at most store.MaxTransactOps-FlushAt items. Zero means 64.
	FlushAt int
	// Workers is how many transactions a rebuild writes at once. Zero
	// means 8.
	Workers int
	// Keep is how many superseded generations Cleanup keeps whatever
	// their age (the most recent ones). Zero means DefaultKeep (the
	// previous one, for Rollback); negative means none.
	Keep int
	// Grace is how long Cleanup keeps a superseded generation after it
	// was superseded, however many there are: longer than a query runs,
	// so a reader that read the meta before a switch finds its whole
	// generation. Zero means DefaultGrace; negative means none.
	Grace time.Duration
	// CleanupBatch is how many items Cleanup reads from a partition at
	// once. Zero means DefaultCleanupBatch.
	CleanupBatch int
	// ManualCleanup: Rebuild does not call Cleanup after a switch.
	ManualCleanup bool
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Events == nil {
		errs = append(errs, errors.New("projection: Events is required"))
	}
	if c.Projection == nil {
		errs = append(errs, errors.New("projection: Projection is required"))
	} else if err := ValidateName(c.Projection.Name()); err != nil {
		errs = append(errs, err)
	}
	if c.FlushAt < 0 || c.FlushAt >= store.MaxTransactOps {
		errs = append(errs, fmt.Errorf("projection: FlushAt %d: want 0 to %d", c.FlushAt, store.MaxTransactOps-1))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("projection: Workers %d is negative", c.Workers))
	}
	if c.CleanupBatch < 0 {
		errs = append(errs, fmt.Errorf("projection: CleanupBatch %d is negative", c.CleanupBatch))
	}
	return errors.Join(errs...)
}

// Projector runs one projection, live (CatchUp) or from scratch (Rebuild).
// It is safe for concurrent use, as are many Projectors in many processes
// over one store: the checkpoint's conditional write decides.
type Projector struct {
	es      *eventstore.EventStore
	st      store.Store
	p       Projection
	name    string
	now     func() time.Time
	flushAt int
	workers int

	keep, cleanupBatch int
	grace              time.Duration
	autoCleanup        bool
	// registered are the partitions (generation + "#" + partition) this
	// instance knows are in their generation's registry.
	regMu      sync.Mutex
	registered map[string]bool
}

// New returns a Projector.
func New(cfg Config) (*Projector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Projector{es: cfg.Events, st: cfg.Events.Store(), p: cfg.Projection, name: cfg.Projection.Name(),
		now: cfg.Now, flushAt: cfg.FlushAt, workers: cfg.Workers,
		keep: cfg.Keep, grace: cfg.Grace, cleanupBatch: cfg.CleanupBatch, autoCleanup: !cfg.ManualCleanup,
		registered: map[string]bool{}}
	switch {
	case p.keep == 0:
		p.keep = DefaultKeep
	case p.keep < 0:
		p.keep = 0
	}
	switch {
	case p.grace == 0:
		p.grace = DefaultGrace
	case p.grace < 0:
		p.grace = 0
	}
	if p.cleanupBatch == 0 {
		p.cleanupBatch = DefaultCleanupBatch
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.flushAt == 0 {
		p.flushAt = 64
	}
	if p.workers == 0 {
		p.workers = 8
	}
	return p, nil
}

// Progress is where a live projector got to.
type Progress struct {
	Generation string `json:"generation"`
	// Position is the generation's checkpoint after the call.
	Position int64 `json:"position"`
	// Applied is how many events this call applied.
	Applied int `json:"applied"`
}

// CatchUp applies the feed's events after the active generation's
// checkpoint, at most max of them (max <= 0: up to the end of the feed),
// each exactly once (see the package doc). It returns
// eventstore.ErrCheckpointMoved (wrapped) when another instance advanced
// the checkpoint meanwhile; what was written before stays.
func (p *Projector) CatchUp(ctx context.Context, max int) (Progress, error) {
	m, err := LoadMeta(ctx, p.st, p.name)
	if err != nil {
		return Progress{}, err
	}
	cp, err := p.es.LoadCheckpoint(ctx, CheckpointName(p.name, m.Active))
	if err != nil {
		return Progress{}, err
	}
	prog := Progress{Generation: m.Active, Position: cp.Position}
	v := newView(p.st, namespace(p.name, m.Active))
	pos := cp.Position
	flush := func() error {
		ops, err := v.ops()
		if err != nil {
			return err
		}
		if len(ops)+1 > store.MaxTransactOps {
			return fmt.Errorf("projection %s: the events up to position %d change %d items, more than one transaction holds (%d)", p.name, pos, len(ops), store.MaxTransactOps-1)
		}
		if err := p.register(ctx, m.Active, partitionsOf(namespace(p.name, m.Active), ops)); err != nil {
			return err
		}
		ops = append(ops, eventstore.CheckpointOp(cp, pos))
		if err := p.st.Transact(ctx, ops); err != nil {
			if errors.Is(err, store.ErrConditionFailed) {
				return fmt.Errorf("%w: projection %s, generation %s", eventstore.ErrCheckpointMoved, p.name, m.Active)
			}
			return fmt.Errorf("projection %s: write: %w", p.name, err)
		}
		cp = cp.Advanced(pos)
		prog.Position = pos
		return nil
	}
	err = p.es.ScanFeed(ctx, cp.Position, func(recs []eventstore.Record) (bool, error) {
		for _, r := range recs {
			if err := p.p.Apply(ctx, v, r); err != nil {
				return false, fmt.Errorf("projection %s: apply position %d (%s %s v%d): %w", p.name, r.Position, r.Type, r.Stream, r.Version, err)
			}
			pos = r.Position
			prog.Applied++
			if v.Dirty() >= p.flushAt {
				if err := flush(); err != nil {
					return false, err
				}
			}
			if max > 0 && prog.Applied >= max {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return prog, err
	}
	if pos > cp.Position {
		if err := flush(); err != nil {
			return prog, err
		}
	}
	return prog, nil
}

// register writes the registry items of the partitions of generation this
// instance has not registered yet, before the items are written (a
// registered partition that stays empty costs Cleanup one read).
func (p *Projector) register(ctx context.Context, generation string, parts []string) error {
	p.regMu.Lock()
	var todo []string
	for _, part := range parts {
		if !p.registered[generation+"#"+part] {
			todo = append(todo, part)
		}
	}
	p.regMu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	if err := transactChunks(ctx, p.st, registryOps(p.name, generation, todo, map[string]bool{})); err != nil {
		return fmt.Errorf("projection %s: register partitions of %s: %w", p.name, generation, err)
	}
	p.regMu.Lock()
	for _, part := range todo {
		p.registered[generation+"#"+part] = true
	}
	p.regMu.Unlock()
	return nil
}

// RebuildOptions says what to rebuild from.
type RebuildOptions struct {
	// Source is read from its first event. Nil means the event store's
	// feed. The checkpoint of a generation built from another source (an
	// archive: ArchiveSource) is the feed's head read before the scan
	// began, so a live projector that continues it applies only the
	// events the feed got after that; the events that reached the source
	// before the scan but the feed after its head was read are applied
	// twice, so activate such a generation when the feed is quiet.
	Source Source
	// AsOf, when not zero, applies only the events recorded at or before
	// it (Record.Recorded, else Record.Time): the model as it was then. The
	// generation is kept as a view and not made active.
	AsOf time.Time
	// View keeps the generation as a view, not made active (AsOf implies
	// it).
	View bool
}

// Report says what a rebuild did.
type Report struct {
	Name       string    `json:"name"`
	Generation string    `json:"generation"`
	AsOf       time.Time `json:"asOf,omitzero"`
	// Events applied, and Skipped: recorded after AsOf.
	Events  int `json:"events"`
	Skipped int `json:"skipped,omitempty"`
	// Position is the generation's checkpoint: the last position applied
	// from the feed, or the feed's head when the source was another.
	Position int64 `json:"position"`
	// SourcePosition is the source's last position applied, when the
	// source is not the feed.
	SourcePosition int64 `json:"sourcePosition,omitempty"`
	// Items written.
	Items     int           `json:"items"`
	Activated bool          `json:"activated"`
	Duration  time.Duration `json:"durationNs"`
	// Cleanup is what the Cleanup after the switch did, and CleanupError
	// why it failed (the rebuild itself succeeded; the next Cleanup
	// resumes).
	Cleanup      *CleanupReport `json:"cleanup,omitempty"`
	CleanupError string         `json:"cleanupError,omitempty"`
}

// bulkFlushAt is how many changed items a rebuild gathers before writing.
const bulkFlushAt = 50_000

// Rebuild builds the projection again in a new generation from every event
// of the source, writes the generation's checkpoint, and, unless AsOf is
// set, makes it the active generation. The live model is served unchanged
// until then. A rebuild that fails before that marks its generation for
// deletion (Meta.Deleting) and deletes what it wrote; what it could not
// delete, the next Cleanup does. (A rebuild whose process dies leaves its
// generation behind, unlisted.)
func (p *Projector) Rebuild(ctx context.Context, o RebuildOptions) (Report, error) {
	start := time.Now()
	src := o.Source
	if src == nil {
		src = FeedSource{Events: p.es}
	}
	_, fromFeed := src.(FeedSource)
	var head int64
	if !fromFeed {
		var err error
		if head, err = p.es.Head(ctx); err != nil {
			return Report{}, err
		}
	}
	// Reserve a generation number: a fresh, empty namespace.
	var m Meta
	for {
		var err error
		if m, err = LoadMeta(ctx, p.st, p.name); err != nil {
			return Report{}, err
		}
		gen := m.Next
		m.Next++
		err = saveMeta(ctx, p.st, m)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return Report{}, fmt.Errorf("projection %s: reserve a generation: %w", p.name, err)
		}
		m.Next = gen
		break
	}
	rep := Report{Name: p.name, Generation: fmt.Sprintf("g%d", m.Next), AsOf: o.AsOf}
	ns := namespace(p.name, rep.Generation)
	v := newView(p.st, ns)
	v.fresh = true
	known := map[string]bool{}
	// Writes run in the background while the scan goes on (one batch at a
	// time, in order: a batch may delete what the one before it put), so
	// reading and applying overlap with the store's commits.
	var inflight chan error
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}
	flush := func() error {
		ops, err := v.ops()
		if err != nil {
			return err
		}
		if err := wait(); err != nil {
			return err
		}
		rep.Items += len(ops)
		if len(ops) > 0 {
			// The registry first: every partition with items is in it.
			reg := registryOps(p.name, rep.Generation, partitionsOf(ns, ops), known)
			ch := make(chan error, 1)
			inflight = ch
			go func() {
				if err := transactChunks(ctx, p.st, reg); err != nil {
					ch <- fmt.Errorf("projection %s: register partitions: %w", p.name, err)
					return
				}
				ch <- p.writeOps(ctx, ops)
			}()
		}
		return nil
	}
	err := src.Scan(ctx, 0, func(recs []eventstore.Record) (bool, error) {
		for _, r := range recs {
			if !o.AsOf.IsZero() {
				at := r.Recorded
				if at.IsZero() {
					at = r.Time
				}
				if at.After(o.AsOf) {
					rep.Skipped++
					continue
				}
			}
			if err := p.p.Apply(ctx, v, r); err != nil {
				return false, fmt.Errorf("projection %s: apply position %d (%s %s v%d): %w", p.name, r.Position, r.Type, r.Stream, r.Version, err)
			}
			rep.Events++
			rep.Position = r.Position
		}
		if v.Dirty() >= bulkFlushAt {
			if err := flush(); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err == nil {
		err = flush()
	}
	if werr := wait(); err == nil {
		err = werr
	}
	if err != nil {
		return rep, p.abandon(ctx, rep.Generation, err)
	}
	if !fromFeed {
		rep.SourcePosition, rep.Position = rep.Position, head
	}
	cp, err := p.es.LoadCheckpoint(ctx, CheckpointName(p.name, rep.Generation))
	if err != nil {
		return rep, err
	}
	if _, err := p.es.SaveCheckpoint(ctx, cp, rep.Position); err != nil {
		return rep, err
	}
	if o.AsOf.IsZero() && !o.View {
		for {
			cur, err := LoadMeta(ctx, p.st, p.name)
			if err != nil {
				return rep, err
			}
			now := p.now().UTC()
			cur.Previous = append([]Superseded{{Generation: cur.Active, Since: now}}, cur.Previous...)
			cur.Active, cur.RebuiltAt = rep.Generation, now
			err = saveMeta(ctx, p.st, cur)
			if errors.Is(err, store.ErrConditionFailed) {
				continue // another rebuild reserved a number meanwhile
			}
			if err != nil {
				return rep, fmt.Errorf("projection %s: activate %s: %w", p.name, rep.Generation, err)
			}
			break
		}
		rep.Activated = true
		if p.autoCleanup {
			c, err := p.Cleanup(ctx, 0)
			rep.Cleanup = &c
			if err != nil {
				rep.CleanupError = err.Error()
			}
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// abandon deletes the generation of a rebuild that failed with cause, as
// Cleanup would (it is listed in Meta.Deleting first, so the next Cleanup
// finishes what this cannot), even when ctx was cancelled.
func (p *Projector) abandon(ctx context.Context, gen string, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := p.updateMeta(ctx, func(m *Meta) bool {
		if slices.Contains(m.Deleting, gen) {
			return false
		}
		m.Deleting = append(m.Deleting, gen)
		return true
	})
	if err == nil {
		var rep CleanupReport
		if _, err = p.deleteGeneration(ctx, gen, 0, &rep); err == nil {
			err = p.updateMeta(ctx, func(m *Meta) bool {
				i := slices.Index(m.Deleting, gen)
				if i < 0 {
					return false
				}
				m.Deleting = slices.Delete(m.Deleting, i, i+1)
				return true
			})
		}
	}
	if err != nil {
		return errors.Join(cause, fmt.Errorf("projection %s: delete the failed rebuild's generation %s (the next cleanup will): %w", p.name, gen, err))
	}
	return cause
}

// writeOps writes a rebuild's changed items, Workers transactions at a
// time (the generation is not read by anyone yet, so the writes need not be
// one transaction).
func (p *Projector) writeOps(ctx context.Context, ops []store.Op) error {
	// In key order, each transaction touches few partitions and a B+tree
	// store (bbolt) inserts into neighbouring leaves instead of splitting
	// pages all over.
	slices.SortFunc(ops, func(a, b store.Op) int {
		if c := strings.Compare(a.Item.Key.Partition, b.Item.Key.Partition); c != 0 {
			return c
		}
		return strings.Compare(a.Item.Key.Sort, b.Item.Key.Sort)
	})
	chunks := make(chan []store.Op)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				if err := p.st.Transact(ctx, c); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("projection %s: write: %w", p.name, err)
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
	for i := 0; i < len(ops); i += store.MaxTransactOps {
		select {
		case chunks <- ops[i:min(i+store.MaxTransactOps, len(ops))]:
		case <-ctx.Done():
		}
	}
	close(chunks)
	wg.Wait()
	return first
}

// Status is a projection's state.
type Status struct {
	Name      string    `json:"name"`
	Active    string    `json:"active"`
	Position  int64     `json:"position"`
	Head      int64     `json:"head"`
	Lag       int64     `json:"lag"`
	RebuiltAt time.Time `json:"rebuiltAt,omitzero"`
	// Generations lists every generation with a checkpoint (as-of views and
	// older rebuilds included) and its position.
	Generations map[string]int64 `json:"generations"`
	// Kept lists every generation with its state, newest first.
	Kept []GenerationStatus `json:"kept"`
}

// Generation states.
const (
	StateLive     = "live"     // the active generation
	StatePrevious = "previous" // superseded, kept (Rollback, readers mid-query)
	StateDeleting = "deleting" // Cleanup has begun to delete it
	StateView     = "view"     // an as-of or archive view, or a failed rebuild's
)

// GenerationStatus is one generation of a projection.
type GenerationStatus struct {
	Generation string `json:"generation"`
	State      string `json:"state"`
	Position   int64  `json:"position"`
	// Since is when a previous generation stopped being active.
	Since time.Time `json:"since,omitzero"`
	// Items is how many items it holds; -1 when not counted (CountItems
	// counts them) or its partitions are unknown.
	Items int `json:"items"`
}

// CountItems sets the Items of each of s's generations, p being the
// projection s is the status of.
func (s *Status) CountItems(ctx context.Context, st store.Store, p Projection) error {
	for i := range s.Kept {
		n, err := GenerationItems(ctx, st, p, s.Kept[i].Generation)
		if err != nil {
			return err
		}
		s.Kept[i].Items = n
	}
	return nil
}

// generationNumber orders generations g<n> by n (others last, by name).
func generationNumber(g string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(g, "g"))
	if err != nil || !strings.HasPrefix(g, "g") {
		return -1
	}
	return n
}

// Statuses returns the status of each named projection and of every
// projection with a checkpoint in the store, by name.
func Statuses(ctx context.Context, es *eventstore.EventStore, names ...string) ([]Status, error) {
	head, err := es.Head(ctx)
	if err != nil {
		return nil, err
	}
	cps, err := es.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	gens := map[string]map[string]int64{}
	for _, n := range names {
		gens[n] = map[string]int64{}
	}
	for _, cp := range cps {
		rest, ok := strings.CutPrefix(cp.Name, "projection/")
		if !ok {
			continue
		}
		name, gen, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		if gens[name] == nil {
			gens[name] = map[string]int64{}
		}
		gens[name][gen] = cp.Position
	}
	var out []Status
	for name, g := range gens {
		m, err := LoadMeta(ctx, es.Store(), name)
		if err != nil {
			return nil, err
		}
		pos := g[m.Active]
		st := Status{Name: name, Active: m.Active, Position: pos, Head: head, Lag: head - pos, RebuiltAt: m.RebuiltAt, Generations: g}
		states := map[string]GenerationStatus{m.Active: {Generation: m.Active, State: StateLive}}
		for _, pr := range m.Previous {
			states[pr.Generation] = GenerationStatus{Generation: pr.Generation, State: StatePrevious, Since: pr.Since}
		}
		for _, d := range m.Deleting {
			states[d] = GenerationStatus{Generation: d, State: StateDeleting}
		}
		for gen := range g {
			if _, ok := states[gen]; !ok {
				states[gen] = GenerationStatus{Generation: gen, State: StateView}
			}
		}
		for gen, gs := range states {
			gs.Position, gs.Items = g[gen], -1
			st.Kept = append(st.Kept, gs)
		}
		slices.SortFunc(st.Kept, func(a, b GenerationStatus) int {
			if c := generationNumber(b.Generation) - generationNumber(a.Generation); c != 0 {
				return c
			}
			return strings.Compare(a.Generation, b.Generation)
		})
		out = append(out, st)
	}
	sortStatuses(out)
	return out, nil
}

func sortStatuses(s []Status) {
	slices.SortFunc(s, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
}
