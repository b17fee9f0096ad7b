package bolt

import (
	"errors"
	"sync"

	bbolt "go.etcd.io/bbolt"
)

// errClosed is returned for writes after Close.
var errClosed = errors.New("bolt: store is closed")

// committer is group commit without a timer: a single goroutine takes every
// write queued while the previous transaction was committing and runs them
// in one transaction. Under load batches grow by themselves (the fsync is
// the wait); a lone writer goes straight through.
type committer struct {
	db      *bbolt.DB
	maxSize int

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *pendingWrite
	done   chan struct{}
}

type pendingWrite struct {
	fn     func(*bbolt.Tx) error
	result chan error
}

func newCommitter(db *bbolt.DB, maxSize int) *committer {
	c := &committer{db: db, maxSize: maxSize, queue: make(chan *pendingWrite, maxSize), done: make(chan struct{})}
	go c.loop()
	return c
}

// do queues fn and waits for its transaction to commit. Once queued the
// write is committed or fails as a whole; the caller always learns which.
func (c *committer) do(fn func(*bbolt.Tx) error) error {
	w := &pendingWrite{fn: fn, result: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.queue <- w
	c.mu.RUnlock()
	return <-w.result
}

func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	batch := make([]*pendingWrite, 0, c.maxSize)
	for first := range c.queue {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < c.maxSize {
			select {
			case w, ok := <-c.queue:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		c.commit(batch)
	}
}

// commit runs batch in one transaction. If it fails, no write of it was
// applied, so each is run again on its own and gets its own outcome: one bad
// write does not fail the others.
func (c *committer) commit(batch []*pendingWrite) {
	err := c.db.Update(func(tx *bbolt.Tx) error {
		for _, w := range batch {
			if err := w.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.result <- err
		}
		return
	}
	for _, w := range batch {
		w.result <- c.db.Update(w.fn)
	}
}
