package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Document is the one configuration shape: every fault, in one JSON object
// (an SSM parameter's value, a file, $COGNIFORGE_CHAOS_FAULTS).
//
//	{"faults": [{"id": "f1", "function": "payment", "fault": "error", "rate": 0.5,
//	             "errorName": "Chaos.InjectedError", "expiresAt": "2026-12-03T01:00:00Z"}]}
type Document struct {
	Faults []Fault `json:"faults"`
}

// ParseDocument reads a document strictly (unknown fields are errors); a
// bare JSON array of faults is read as the document's faults. Empty input
// is an empty document.
func ParseDocument(b []byte) (Document, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Document{}, nil
	}
	var doc Document
	target := any(&doc)
	if b[0] == '[' {
		target = &doc.Faults
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		return Document{}, fmt.Errorf("chaos: configuration: %w", err)
	}
	if dec.More() {
		return Document{}, errors.New("chaos: configuration: more than one JSON value")
	}
	return doc, nil
}

// Active returns the faults that have not expired at now.
func (d Document) Active(now time.Time) []Fault {
	var out []Fault
	for _, f := range d.Faults {
		if f.Active(now) {
			out = append(out, f)
		}
	}
	return out
}

// Source provides the configuration. An error means "unknown": the
// Injector then injects nothing.
type Source interface {
	Load(ctx context.Context) (Document, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) (Document, error)

// Load calls f.
func (f SourceFunc) Load(ctx context.Context) (Document, error) { return f(ctx) }

// Static is a Source that always answers doc ($COGNIFORGE_CHAOS_FAULTS).
func Static(doc Document) Source {
	return SourceFunc(func(context.Context) (Document, error) { return doc, nil })
}

// Store is a Source that can be changed: Update calls change with the
// current document and stores what it leaves, atomically with respect to
// other Updates of the same implementation (a file lock, a version check).
// When change returns an error nothing is stored.
type Store interface {
	Source
	Update(ctx context.Context, change func(*Document) error) error
}

// MemoryStore is a Store in memory, for tests and one-process use. The zero
// value is an empty store.
type MemoryStore struct {
	mu    sync.Mutex
	doc   Document
	loads int
	// Err, when set, is what Load answers (a failing source).
	Err error
}

var _ Store = (*MemoryStore)(nil)

// Load returns a copy of the document.
func (m *MemoryStore) Load(context.Context) (Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	if m.Err != nil {
		return Document{}, m.Err
	}
	return Document{Faults: append([]Fault(nil), m.doc.Faults...)}, nil
}

// Update changes the document.
func (m *MemoryStore) Update(_ context.Context, change func(*Document) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	doc := Document{Faults: append([]Fault(nil), m.doc.Faults...)}
	if err := change(&doc); err != nil {
		return err
	}
	m.doc = doc
	return nil
}

// Loads counts the calls to Load.
func (m *MemoryStore) Loads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loads
}
