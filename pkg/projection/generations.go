package projection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Defaults of the retention of superseded generations.
const (
	// DefaultKeep is how many superseded generations are kept whatever
	// their age: the previous one, for Rollback.
	DefaultKeep = 1
	// DefaultGrace is how long a superseded generation is kept after it
	// was superseded: longer than any query runs.
	DefaultGrace = 10 * time.Minute
	// DefaultCleanupBatch is how many items Cleanup reads from a
	// partition at once.
	DefaultCleanupBatch = 1000
)

// Partitioner is implemented by projections that can list the partitions
// of one of their generations from its items. Cleanup and item counts use
// it, besides the partition registry, for generations written before the
// registry existed.
type Partitioner interface {
	Partitions(ctx context.Context, r *Reader) ([]string, error)
}

// registryPartition holds, one item per partition, the partitions a
// generation has written (sort key: the partition, relative to the
// generation).
func registryPartition(name, generation string) string {
	return "proj-parts#" + name + "#" + generation
}

// registryOps are the puts that register partitions (relative to the
// generation) not yet in known, which they are added to.
func registryOps(name, generation string, parts []string, known map[string]bool) []store.Op {
	var ops []store.Op
	for _, part := range parts {
		if known[part] {
			continue
		}
		known[part] = true
		ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{
			Key: store.Key{Partition: registryPartition(name, generation), Sort: part}, Value: []byte("1")}})
	}
	return ops
}

// partitionsOf returns the distinct partitions of ops, relative to the
// namespace ns.
func partitionsOf(ns string, ops []store.Op) []string {
	var out []string
	last := ""
	for _, op := range ops {
		part := strings.TrimPrefix(op.Item.Key.Partition, ns)
		if part != last && !slices.Contains(out, part) {
			out = append(out, part)
		}
		last = part
	}
	return out
}

// transactChunks writes ops, at most store.MaxTransactOps at a time.
func transactChunks(ctx context.Context, st store.Store, ops []store.Op) error {
	for i := 0; i < len(ops); i += store.MaxTransactOps {
		if err := st.Transact(ctx, ops[i:min(i+store.MaxTransactOps, len(ops))]); err != nil {
			return err
		}
	}
	return nil
}

// generationPartitions lists the partitions of a generation: the
// registry's, and the Partitioner's when p is one.
func generationPartitions(ctx context.Context, st store.Store, p Projection, name, generation string) ([]string, error) {
	items, err := st.Query(ctx, registryPartition(name, generation), "", 0)
	if err != nil {
		return nil, fmt.Errorf("projection %s: read the partitions of %s: %w", name, generation, err)
	}
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, it.Key.Sort)
	}
	if pt, ok := p.(Partitioner); ok {
		more, err := pt.Partitions(ctx, GenerationReader(st, name, generation))
		if err != nil {
			return nil, fmt.Errorf("projection %s: list the partitions of %s: %w", name, generation, err)
		}
		for _, m := range more {
			if !slices.Contains(parts, m) {
				parts = append(parts, m)
			}
		}
	}
	return parts, nil
}

// CleanupReport says what a Cleanup did.
type CleanupReport struct {
	// Deleted are the generations deleted completely.
	Deleted []string `json:"deleted,omitempty"`
	// Items deleted.
	Items int `json:"items"`
	// Done is false when Cleanup stopped at its max items with
	// generations still being deleted (call it again).
	Done bool `json:"done"`
	// Kept are the superseded generations kept.
	Kept []Superseded `json:"kept,omitempty"`
}

// Cleanup deletes the superseded generations the retention lets go (those
// beyond the Keep most recent that were superseded at least Grace ago),
// and finishes deleting any a previous Cleanup began. It deletes at most
// max items (max <= 0: no limit), in transactions of at most
// store.MaxTransactOps deletes, and can be interrupted anywhere: the next
// call resumes. The active generation and as-of views are never deleted.
func (p *Projector) Cleanup(ctx context.Context, max int) (CleanupReport, error) {
	rep := CleanupReport{Done: true}
	var m Meta
	for {
		var err error
		if m, err = LoadMeta(ctx, p.st, p.name); err != nil {
			return rep, err
		}
		now := p.now()
		var keep []Superseded
		var drop []string
		for i, g := range m.Previous {
			if i < p.keep || now.Sub(g.Since) < p.grace || g.Generation == m.Active {
				keep = append(keep, g)
			} else {
				drop = append(drop, g.Generation)
			}
		}
		rep.Kept = keep
		if len(drop) == 0 {
			break
		}
		m.Previous = keep
		m.Deleting = append(m.Deleting, drop...)
		err = saveMeta(ctx, p.st, m)
		if errors.Is(err, store.ErrConditionFailed) {
			continue // a rebuild switched meanwhile: decide again
		}
		if err != nil {
			return rep, fmt.Errorf("projection %s: mark generations for deletion: %w", p.name, err)
		}
		break
	}
	for _, gen := range slices.Clone(m.Deleting) {
		done, err := p.deleteGeneration(ctx, gen, max, &rep)
		if err != nil {
			return rep, err
		}
		if !done {
			rep.Done = false
			return rep, nil
		}
		rep.Deleted = append(rep.Deleted, gen)
		if err := p.updateMeta(ctx, func(m *Meta) bool {
			i := slices.Index(m.Deleting, gen)
			if i < 0 {
				return false
			}
			m.Deleting = slices.Delete(m.Deleting, i, i+1)
			return true
		}); err != nil {
			return rep, fmt.Errorf("projection %s: %s deleted: %w", p.name, gen, err)
		}
	}
	return rep, nil
}

// deleteGeneration deletes gen's items, partition by partition, then its
// registry and checkpoint, counting into rep. It reports false when it
// stopped at max items first.
func (p *Projector) deleteGeneration(ctx context.Context, gen string, max int, rep *CleanupReport) (bool, error) {
	if gen == "" || strings.ContainsRune(gen, '#') {
		return false, fmt.Errorf("%w: generation %q", ErrInvalid, gen)
	}
	parts, err := generationPartitions(ctx, p.st, p.p, p.name, gen)
	if err != nil {
		return false, err
	}
	// Register what the Partitioner found first, so a deletion
	// interrupted after the items it derives them from are gone still
	// knows every partition.
	known := map[string]bool{}
	reg, err := p.st.Query(ctx, registryPartition(p.name, gen), "", 0)
	if err != nil {
		return false, err
	}
	for _, it := range reg {
		known[it.Key.Sort] = true
	}
	if err := transactChunks(ctx, p.st, registryOps(p.name, gen, parts, known)); err != nil {
		return false, fmt.Errorf("projection %s: register the partitions of %s: %w", p.name, gen, err)
	}
	ns := namespace(p.name, gen)
	for _, part := range parts {
		for {
			limit := p.cleanupBatch
			if max > 0 {
				limit = min(limit, max-rep.Items)
				if limit <= 0 {
					return false, nil
				}
			}
			items, err := p.st.Query(ctx, ns+part, "", limit)
			if err != nil {
				return false, fmt.Errorf("projection %s: read %s of %s: %w", p.name, part, gen, err)
			}
			if len(items) == 0 {
				break
			}
			ops := make([]store.Op, len(items))
			for i, it := range items {
				ops[i] = store.Op{Kind: store.OpDelete, Item: store.Item{Key: it.Key}}
			}
			if err := transactChunks(ctx, p.st, ops); err != nil {
				return false, fmt.Errorf("projection %s: delete %s of %s: %w", p.name, part, gen, err)
			}
			rep.Items += len(items)
		}
		if err := p.st.Delete(ctx, store.Key{Partition: registryPartition(p.name, gen), Sort: part}, store.Condition{}); err != nil {
			return false, fmt.Errorf("projection %s: unregister %s of %s: %w", p.name, part, gen, err)
		}
	}
	if err := p.es.DeleteCheckpoint(ctx, CheckpointName(p.name, gen)); err != nil {
		return false, err
	}
	return true, nil
}

// updateMeta applies change to the meta and saves it, again on a
// concurrent change; change returns false when there is nothing to save.
func (p *Projector) updateMeta(ctx context.Context, change func(*Meta) bool) error {
	for {
		m, err := LoadMeta(ctx, p.st, p.name)
		if err != nil {
			return err
		}
		if !change(&m) {
			return nil
		}
		err = saveMeta(ctx, p.st, m)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return err
	}
}

// ErrNoPrevious: Rollback found no previous generation to switch back to.
var ErrNoPrevious = errors.New("projection: no previous generation to roll back to")

// Rollback makes the previous generation (Meta.Previous[0]) active again;
// the generation it replaces becomes the previous one, so a second
// Rollback switches forth again. The live projector then catches the
// restored generation up from its checkpoint.
func (p *Projector) Rollback(ctx context.Context) (from, to string, err error) {
	err = p.updateMeta(ctx, func(m *Meta) bool {
		from, to = m.Active, ""
		if len(m.Previous) == 0 {
			return false
		}
		to = m.Previous[0].Generation
		now := p.now().UTC()
		m.Previous[0] = Superseded{Generation: m.Active, Since: now}
		m.Active, m.RebuiltAt = to, now
		return true
	})
	if err == nil && to == "" {
		err = fmt.Errorf("%w: %s is active and none was before it (or it was deleted)", ErrNoPrevious, from)
	}
	return from, to, err
}

// GenerationItems counts the items of a generation (over the partitions
// its registry and, when p is a Partitioner, p list); -1 when it knows no
// partition of it.
func GenerationItems(ctx context.Context, st store.Store, p Projection, generation string) (int, error) {
	name := p.Name()
	parts, err := generationPartitions(ctx, st, p, name, generation)
	if err != nil || len(parts) == 0 {
		return -1, err
	}
	n := 0
	ns := namespace(name, generation)
	for _, part := range parts {
		items, err := st.Query(ctx, ns+part, "", 0)
		if err != nil {
			return 0, err
		}
		n += len(items)
	}
	return n, nil
}
