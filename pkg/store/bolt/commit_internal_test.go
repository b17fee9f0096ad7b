package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

func openDB(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func putFn(key string) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte("v"))
	}
}

func keys(t *testing.T, db *bbolt.DB) []string {
	t.Helper()
	var out []string
	db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("b")); b != nil {
			b.ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
		}
		return nil
	})
	return out
}

// A failing write in a shared transaction must not take the others down:
// they are retried alone and committed, the failing one gets its error.
func TestCommitIsolatesFailingWrite(t *testing.T) {
	db := openDB(t)
	c := &committer{db: db, maxSize: 10}
	boom := errors.New("boom")
	batch := []*pendingWrite{
		{fn: putFn("a"), result: make(chan error, 1)},
		{fn: func(tx *bbolt.Tx) error { putFn("x")(tx); return boom }, result: make(chan error, 1)},
		{fn: putFn("c"), result: make(chan error, 1)},
	}
	c.commit(batch)
	for i, want := range []error{nil, boom, nil} {
		if err := <-batch[i].result; !errors.Is(err, want) {
			t.Errorf("write %d err = %v, want %v", i, err, want)
		}
	}
	if got := fmt.Sprint(keys(t, db)); got != "[a c]" {
		t.Fatalf("committed keys = %s, want [a c]", got)
	}
}

func TestCommitterManyWritersAndClose(t *testing.T) {
	db := openDB(t)
	c := newCommitter(db, 7)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.do(putFn(fmt.Sprintf("k%02d", i))); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	c.close()
	if n := len(keys(t, db)); n != 50 {
		t.Fatalf("committed %d keys, want 50", n)
	}
	if err := c.do(putFn("late")); !errors.Is(err, errClosed) {
		t.Fatalf("write after close err = %v, want errClosed", err)
	}
	c.close() // idempotent
}
