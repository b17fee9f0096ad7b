package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// EmbeddedPartition is the store partition the embedded ParameterStore
// keeps its versions in.
const EmbeddedPartition = "config"

// versionSep separates a name from its zero-padded version in a Sort key.
// It is not a character names may hold, and it sorts after all of them, so
// a prefix query on "<name>|" finds exactly that name's versions in order.
const versionSep = "|"

// Embedded is the ParameterStore over the store port, the local backend of
// `cogniforge config`: each version is one item (partition "config", sort
// "<name>|<version, 19 digits>"), written with IfAbsent so two writers never
// share a version. Secure values are stored as given: the embedded store is
// a developer's machine, not a vault.
type Embedded struct {
	st  store.Store
	now func() time.Time
}

var _ ParameterStore = (*Embedded)(nil)

// NewEmbedded returns a ParameterStore over st. now stamps LastModified; nil
// means time.Now.
func NewEmbedded(st store.Store, now func() time.Time) *Embedded {
	if now == nil {
		now = time.Now
	}
	return &Embedded{st: st, now: now}
}

type embeddedRecord struct {
	Value        string    `json:"value"`
	Secure       bool      `json:"secure,omitempty"`
	LastModified time.Time `json:"lastModified"`
	Labels       []string  `json:"labels,omitempty"`
}

func versionKey(name string, v int64) store.Key {
	return store.Key{Partition: EmbeddedPartition, Sort: fmt.Sprintf("%s%s%019d", name, versionSep, v)}
}

func decodeItem(it store.Item) (Parameter, error) {
	i := strings.LastIndex(it.Key.Sort, versionSep)
	if i < 0 {
		return Parameter{}, fmt.Errorf("config: malformed item %q", it.Key.Sort)
	}
	v, err := strconv.ParseInt(it.Key.Sort[i+1:], 10, 64)
	if err != nil {
		return Parameter{}, fmt.Errorf("config: malformed item %q: %v", it.Key.Sort, err)
	}
	var r embeddedRecord
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return Parameter{}, fmt.Errorf("config: malformed item %q: %v", it.Key.Sort, err)
	}
	return Parameter{Name: it.Key.Sort[:i], Value: r.Value, Version: v, Secure: r.Secure, LastModified: r.LastModified, Labels: r.Labels}, nil
}

func (e *Embedded) versions(ctx context.Context, name string) ([]Parameter, []store.Item, error) {
	items, err := e.st.Query(ctx, EmbeddedPartition, name+versionSep, 0)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Parameter, 0, len(items))
	for _, it := range items {
		p, err := decodeItem(it)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p)
	}
	return out, items, nil
}

// Put implements ParameterStore.
func (e *Embedded) Put(ctx context.Context, name, value string, secure bool) (int64, error) {
	if err := CheckName(name); err != nil {
		return 0, err
	}
	rec, _ := json.Marshal(embeddedRecord{Value: value, Secure: secure, LastModified: e.now().UTC()})
	for {
		vs, _, err := e.versions(ctx, name)
		if err != nil {
			return 0, err
		}
		next := int64(len(vs) + 1)
		if len(vs) > 0 {
			next = vs[len(vs)-1].Version + 1
		}
		_, err = e.st.Put(ctx, store.Item{Key: versionKey(name, next), Value: rec}, store.Condition{IfAbsent: true})
		if errors.Is(err, store.ErrConditionFailed) {
			// Another writer took this version: take the next one.
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		return next, nil
	}
}

// Get implements ParameterStore.
func (e *Embedded) Get(ctx context.Context, name, selector string) (Parameter, error) {
	if err := CheckName(name); err != nil {
		return Parameter{}, err
	}
	v, label, err := ParseSelector(selector)
	if err != nil {
		return Parameter{}, err
	}
	vs, _, err := e.versions(ctx, name)
	if err != nil {
		return Parameter{}, err
	}
	if len(vs) == 0 {
		return Parameter{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	switch {
	case v != 0:
		for _, p := range vs {
			if p.Version == v {
				return p, nil
			}
		}
		return Parameter{}, fmt.Errorf("%w: %s version %d", ErrNotFound, name, v)
	case label != "":
		for _, p := range vs {
			for _, l := range p.Labels {
				if l == label {
					return p, nil
				}
			}
		}
		return Parameter{}, fmt.Errorf("%w: %s label %q", ErrNotFound, name, label)
	}
	return vs[len(vs)-1], nil
}

// History implements ParameterStore.
func (e *Embedded) History(ctx context.Context, name string) ([]Version, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	vs, _, err := e.versions(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	for i := range vs {
		if vs[i].Secure {
			vs[i].Value = MaskedValue
		}
	}
	return vs, nil
}

// Label implements ParameterStore. It rewrites the items whose labels
// change with IfVersion, and starts over if another writer got there first.
func (e *Embedded) Label(ctx context.Context, name string, version int64, labels ...string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if len(labels) == 0 {
		return fmt.Errorf("%w: no label given", ErrInvalidName)
	}
	for _, l := range labels {
		if err := CheckLabel(l); err != nil {
			return err
		}
	}
	for {
		vs, items, err := e.versions(ctx, name)
		if err != nil {
			return err
		}
		target := -1
		for i, p := range vs {
			if p.Version == version {
				target = i
			}
		}
		if target < 0 {
			return fmt.Errorf("%w: %s version %d", ErrNotFound, name, version)
		}
		var ops []store.Op
		for i, p := range vs {
			var keep []string
			for _, l := range p.Labels {
				if i == target || !contains(labels, l) {
					keep = append(keep, l)
				}
			}
			if i == target {
				for _, l := range labels {
					if !contains(keep, l) {
						keep = append(keep, l)
					}
				}
				if len(keep) > 10 {
					return fmt.Errorf("%w: %s version %d would have %d labels, at most 10", ErrInvalidName, name, version, len(keep))
				}
			}
			if len(keep) == len(p.Labels) {
				continue
			}
			rec, _ := json.Marshal(embeddedRecord{Value: p.Value, Secure: p.Secure, LastModified: p.LastModified, Labels: keep})
			ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: items[i].Key, Value: rec}, Cond: store.Condition{IfVersion: items[i].Version}})
		}
		err = e.st.Transact(ctx, ops)
		var txErr *store.TxError
		if errors.As(err, &txErr) {
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// GetByPath implements ParameterStore.
func (e *Embedded) GetByPath(ctx context.Context, path string) ([]Parameter, error) {
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if path != "/" {
		if err := CheckName(strings.TrimSuffix(path, "/")); err != nil {
			return nil, err
		}
	}
	items, err := e.st.Query(ctx, EmbeddedPartition, path, 0)
	if err != nil {
		return nil, err
	}
	latest := map[string]Parameter{}
	for _, it := range items {
		p, err := decodeItem(it)
		if err != nil {
			return nil, err
		}
		if p.Version > latest[p.Name].Version {
			latest[p.Name] = p
		}
	}
	out := make([]Parameter, 0, len(latest))
	for _, p := range latest {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
