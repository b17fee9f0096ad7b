// Package chaosfile keeps the chaos configuration of a local data directory
// in one JSON file (DIR/chaos-faults.json, the chaos.Document shape), so
// `cogniforge chaos inject` can change it while `cogniforge run` holds the
// directory's store, and every local command on that directory applies it.
// Updates take an exclusive file lock and replace the file atomically
// (write and rename), so a reader never sees half a document.
package chaosfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

// FileName is the configuration file's name inside the data directory.
const FileName = "chaos-faults.json"

// Store is a chaos.Store in a directory.
type Store struct{ Dir string }

var _ chaos.Store = Store{}

// Path is the configuration file.
func (s Store) Path() string { return filepath.Join(s.Dir, FileName) }

// Load reads the document; a missing file is an empty one, an unreadable
// or corrupt one an error.
func (s Store) Load(context.Context) (chaos.Document, error) {
	b, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return chaos.Document{}, nil
	}
	if err != nil {
		return chaos.Document{}, fmt.Errorf("chaosfile: %w", err)
	}
	doc, err := chaos.ParseDocument(b)
	if err != nil {
		return chaos.Document{}, fmt.Errorf("chaosfile: %s: %w", s.Path(), err)
	}
	return doc, nil
}

// Update changes the document under an exclusive lock. A corrupt file is
// replaced only if change succeeds on an empty document, so `chaos clear`
// repairs it.
func (s Store) Update(ctx context.Context, change func(*chaos.Document) error) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(s.Dir, FileName+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("chaosfile: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	doc, err := s.Load(ctx)
	if err != nil {
		doc = chaos.Document{}
	}
	if err := change(&doc); err != nil {
		return err
	}
	if doc.Faults == nil {
		doc.Faults = []chaos.Fault{}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	tmp, err := os.CreateTemp(s.Dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("chaosfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path()); err != nil {
		return fmt.Errorf("chaosfile: %w", err)
	}
	return nil
}
