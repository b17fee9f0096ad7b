package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// View is what Apply reads and writes: the items of one generation, read
// through a cache and written back by the projector (in one transaction
// with the checkpoint, live; in bulk, in a rebuild). Keys are relative to
// the generation. A View is used by one goroutine.
type View struct {
	st    store.Store
	ns    string
	cache map[store.Key]*entry
	dirty []store.Key
	// fresh: the generation is new and empty (a rebuild's), so a miss
	// needs no read.
	fresh bool
}

type entry struct {
	value []byte
	// obj, when set, is the value as an object (PutObject), encoded as
	// JSON only when it is written or read as bytes.
	obj    any
	exists bool
	dirty  bool
	// known: stored says whether the store holds the item now (read, or
	// written by this view, or the view is a fresh generation's), so a
	// delete of an item never stored writes nothing.
	known, stored bool
}

func (e *entry) bytes() ([]byte, error) {
	if e.obj != nil && e.value == nil {
		b, err := json.Marshal(e.obj)
		if err != nil {
			return nil, err
		}
		e.value = b
	}
	return e.value, nil
}

func newView(st store.Store, ns string) *View {
	return &View{st: st, ns: ns, cache: map[store.Key]*entry{}}
}

// Get returns the item's value, or ok false when there is none.
func (v *View) Get(ctx context.Context, key store.Key) (value []byte, ok bool, err error) {
	if e, hit := v.cache[key]; hit {
		b, err := e.bytes()
		return b, e.exists, err
	}
	if err := key.Validate(); err != nil {
		return nil, false, err
	}
	if v.fresh {
		return nil, false, nil
	}
	it, err := v.st.Get(ctx, store.Key{Partition: v.ns + key.Partition, Sort: key.Sort})
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.cache[key] = &entry{known: true}
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("projection: read %s/%s: %w", key.Partition, key.Sort, err)
	}
	v.cache[key] = &entry{value: it.Value, exists: true, known: true, stored: true}
	return it.Value, true, nil
}

// GetObject returns the object PutObject put at key in this View, or else
// the stored item decoded by decode (and cached as an object), or ok false
// when there is none. Apply functions that keep JSON objects use it to
// decode an item once per View rather than once per event.
func (v *View) GetObject(ctx context.Context, key store.Key, decode func([]byte) (any, error)) (obj any, ok bool, err error) {
	if e, hit := v.cache[key]; hit && e.obj != nil {
		return e.obj, e.exists, nil
	}
	b, ok, err := v.Get(ctx, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	obj, err = decode(b)
	if err != nil {
		return nil, false, fmt.Errorf("projection: decode %s/%s: %w", key.Partition, key.Sort, err)
	}
	v.cache[key].obj = obj
	return obj, true, nil
}

// PutObject sets the item's value to obj, encoded as JSON when it is
// written: several keys may hold one object (a pointer), which is encoded
// once per write, in its state at the write, so obj must be put again
// whenever it changes.
func (v *View) PutObject(key store.Key, obj any) { v.set(key, nil, obj, true) }

// Put sets the item's value.
func (v *View) Put(key store.Key, value []byte) { v.set(key, value, nil, true) }

// Delete removes the item (nothing when there is none).
func (v *View) Delete(key store.Key) { v.set(key, nil, nil, false) }

func (v *View) set(key store.Key, value []byte, obj any, exists bool) {
	e, hit := v.cache[key]
	if !hit {
		e = &entry{known: v.fresh}
		v.cache[key] = e
	}
	e.value, e.obj, e.exists = value, obj, exists
	if !e.dirty {
		e.dirty = true
		v.dirty = append(v.dirty, key)
	}
}

// Dirty is how many items wait to be written.
func (v *View) Dirty() int { return len(v.dirty) }

// ops returns the writes of the dirty items and marks them clean.
func (v *View) ops() ([]store.Op, error) {
	ops := make([]store.Op, 0, len(v.dirty)+1)
	encoded := map[any][]byte{}
	for _, k := range v.dirty {
		if err := k.Validate(); err != nil {
			return nil, err
		}
		e := v.cache[k]
		key := store.Key{Partition: v.ns + k.Partition, Sort: k.Sort}
		if !e.exists && e.known && !e.stored {
			e.dirty = false // put and deleted again before any write
			continue
		}
		e.known, e.stored = true, e.exists
		if e.exists {
			if e.obj != nil {
				b, done := encoded[e.obj]
				if !done {
					var err error
					if b, err = json.Marshal(e.obj); err != nil {
						return nil, fmt.Errorf("projection: encode %s/%s: %w", k.Partition, k.Sort, err)
					}
					encoded[e.obj] = b
				}
				// e.value stays nil: the object is the cached value, and
				// keeping its bytes too would double a rebuild's heap.
				ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: key, Value: b}})
				e.dirty = false
				continue
			}
			ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: key, Value: e.value}})
		} else {
			ops = append(ops, store.Op{Kind: store.OpDelete, Item: store.Item{Key: key}})
		}
		e.dirty = false
	}
	v.dirty = v.dirty[:0]
	return ops, nil
}
