package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Manager starts, lists and clears faults in a Store, checking every new
// fault against Limits first: an invalid request stores nothing.
type Manager struct {
	Store  Store
	Limits Limits
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Inject validates f and stores it. For, when set, becomes ExpiresAt
// (For wins over an ExpiresAt also given); an empty ID gets a random one,
// CreatedAt is now. Expired faults are dropped from the document on the
// way. It returns the stored fault, or errors wrapping ErrInvalidFault.
func (m *Manager) Inject(ctx context.Context, f Fault) (Fault, error) {
	now := m.now().UTC().Truncate(time.Millisecond)
	if f.For != 0 {
		f.ExpiresAt = now.Add(f.For.D())
		f.For = 0
	}
	if f.ID == "" {
		f.ID = NewID()
	}
	f.CreatedAt = now
	f.ExpiresAt = f.ExpiresAt.UTC()
	if err := f.Validate(m.Limits, now); err != nil {
		return Fault{}, err
	}
	err := m.Store.Update(ctx, func(doc *Document) error {
		kept := doc.Active(now)
		for k, g := range kept {
			if g.ID == f.ID {
				kept = append(kept[:k], kept[k+1:]...)
				break
			}
		}
		doc.Faults = append(kept, f)
		return nil
	})
	if err != nil {
		return Fault{}, err
	}
	return f, nil
}

// List returns the active faults, by expiry then id.
func (m *Manager) List(ctx context.Context) ([]Fault, error) {
	doc, err := m.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := doc.Active(m.now())
	if out == nil {
		out = []Fault{}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ExpiresAt.Equal(out[j].ExpiresAt) {
			return out[i].ExpiresAt.Before(out[j].ExpiresAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ClearFilter selects the faults Clear removes; the zero value selects all.
type ClearFilter struct {
	Function   string
	ID         string
	Experiment string
}

func (c ClearFilter) selects(f Fault) bool {
	return (c.Function == "" || f.Function == c.Function) &&
		(c.ID == "" || f.ID == c.ID) &&
		(c.Experiment == "" || f.Experiment == c.Experiment)
}

// Clear removes the active faults filter selects (and every expired one)
// and returns the active ones removed.
func (m *Manager) Clear(ctx context.Context, filter ClearFilter) ([]Fault, error) {
	now := m.now()
	removed := []Fault{}
	err := m.Store.Update(ctx, func(doc *Document) error {
		var kept []Fault
		removed = removed[:0]
		for _, f := range doc.Active(now) {
			if filter.selects(f) {
				removed = append(removed, f)
				continue
			}
			kept = append(kept, f)
		}
		doc.Faults = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// NewID returns a random fault id ("f-" and 12 hex digits).
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "f-" + hex.EncodeToString(b[:])
}

// StoreClaimer claims minimal faults with conditional puts in a
// pkg/store Store (DynamoDB in AWS): the first instance to claim a fault
// holds it until the fault expires.
type StoreClaimer struct{ Store store.Store }

var _ Claimer = StoreClaimer{}

// ClaimPartition is the store partition of the claims.
const ClaimPartition = "chaos#claims"

// Claim takes the fault's claim for instance, or reports whether instance
// already holds it.
func (c StoreClaimer) Claim(ctx context.Context, faultID, instance string, until time.Time) (bool, error) {
	key := store.Key{Partition: ClaimPartition, Sort: faultID}
	_, err := c.Store.Put(ctx, store.Item{Key: key, Value: []byte(instance), ExpiresAt: until}, store.Condition{IfAbsent: true})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrConditionFailed) {
		return false, err
	}
	it, err := c.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(it.Value) == instance, nil
}
