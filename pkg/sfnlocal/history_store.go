package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// An execution history is stored append-only, in chunks: every write adds
// the events not written yet as a new item, never rewriting earlier ones,
// so recording an execution costs the same per event however long it runs.
// A chunk never spans two pages of historyPage event ids, and its sort key
// is "<execution name>#<page>#<first event id>" (names cannot contain '#'),
// so the events of one page are one prefix query away: a page of
// GetExecutionHistory reads the pages it shows and no others.
const historyPage = 100

// maxChunkBytes bounds the encoded size of a chunk of several events.
const maxChunkBytes = 256 << 10

// historyChunk is one stored item of a history.
type historyChunk struct {
	Events []storedEvent `json:"events"`
	// Checkpoint is the id of the event a resume would start from after the
	// chunk's last event (asl.Checkpoint): the last top-level StateEntered
	// or StateExited; 0 when no state was recorded yet.
	Checkpoint int64 `json:"checkpoint,omitempty"`
}

func pagePrefix(name string, page int64) string {
	return fmt.Sprintf("%s#%010d#", name, page)
}

func pageOf(id int64) int64 { return (id - 1) / historyPage }

func chunkKey(machine, name string, first int64) store.Key {
	return store.Key{Partition: partHistoryPrefix + machine, Sort: pagePrefix(name, pageOf(first)) + fmt.Sprintf("%010d", first)}
}

func toEvent(e storedEvent) asl.HistoryEvent {
	return asl.HistoryEvent{Timestamp: e.Timestamp, Type: e.Type, ID: e.ID, PreviousEventID: e.Previous,
		DetailsKey: e.DetailsKey, Details: e.Details, Next: e.Next}
}

func fromEvent(e asl.HistoryEvent) storedEvent {
	return storedEvent{Timestamp: e.Timestamp, Type: e.Type, ID: e.ID, Previous: e.PreviousEventID,
		DetailsKey: e.DetailsKey, Details: e.Details, Next: e.Next}
}

// historyLog collects the events of a running execution and appends them
// to the store. Events reach it from the engine's goroutines, not always in
// id order (concurrent branches); it writes only the run of consecutive ids
// after the last one written, so a stored history never has a gap.
type historyLog struct {
	st            store.Store
	machine, name string

	mu      sync.Mutex
	pending []storedEvent // observed and not written, sorted by id
	durable int64         // the last id written
	closed  bool          // no more events are taken (the service is closing)
	// advanced is closed, and replaced, whenever durable grows.
	advanced chan struct{}

	wmu  sync.Mutex // serialises writers
	cp   asl.Checkpoint
	base int64 // the checkpoint before the first one cp finds (a resume's)
}

func newHistoryLog(st store.Store, machine, name string, durable, checkpoint int64) *historyLog {
	return &historyLog{st: st, machine: machine, name: name, durable: durable, base: checkpoint, advanced: make(chan struct{})}
}

// waitDurable waits until the event id is written, or stop or closing is
// closed.
func (h *historyLog) waitDurable(id int64, stop, closing <-chan struct{}) {
	for {
		h.mu.Lock()
		if h.durable >= id || h.closed {
			h.mu.Unlock()
			return
		}
		ch := h.advanced
		h.mu.Unlock()
		select {
		case <-ch:
		case <-stop:
			return
		case <-closing:
			return
		}
	}
}

// add takes an event; it reports false once the log is sealed.
func (h *historyLog) add(e storedEvent) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	i := sort.Search(len(h.pending), func(i int) bool { return h.pending[i].ID > e.ID })
	h.pending = append(h.pending, storedEvent{})
	copy(h.pending[i+1:], h.pending[i:])
	h.pending[i] = e
	return true
}

// seal stops taking events: those of a shutdown's abort are not part of
// the history the next process resumes.
func (h *historyLog) seal() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
}

// sealed reports whether events were refused (see seal).
func (h *historyLog) sealed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// ready returns the pending events that follow the last written one
// without a gap.
func (h *historyLog) ready() []storedEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for n < len(h.pending) && h.pending[n].ID == h.durable+int64(n)+1 {
		n++
	}
	return append([]storedEvent(nil), h.pending[:n]...)
}

// flush writes the ready events, one chunk per page they fall in.
func (h *historyLog) flush(ctx context.Context) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	evs := h.ready()
	for len(evs) > 0 {
		n := 1
		for n < len(evs) && pageOf(evs[n].ID) == pageOf(evs[0].ID) {
			n++
		}
		var cp asl.Checkpoint
		var b []byte
		for {
			cp = h.cp
			for _, e := range evs[:n] {
				cp.Observe(toEvent(e))
			}
			c := historyChunk{Events: evs[:n], Checkpoint: h.base}
			if last, ok := cp.Last(); ok {
				c.Checkpoint = last.ID
			}
			var err error
			if b, err = json.Marshal(c); err != nil {
				return fmt.Errorf("sfnlocal: encode history of %s/%s: %w", h.machine, h.name, err)
			}
			if len(b) <= maxChunkBytes || n == 1 {
				break
			}
			// Large inputs and outputs: fewer events per item, for stores
			// that bound an item's size (DynamoDB: 400 KB).
			n /= 2
		}
		chunk := evs[:n]
		if _, err := h.st.Put(ctx, store.Item{Key: chunkKey(h.machine, h.name, chunk[0].ID), Value: b}, store.Condition{}); err != nil {
			return fmt.Errorf("sfnlocal: write history of %s/%s: %w", h.machine, h.name, err)
		}
		h.cp = cp
		h.mu.Lock()
		h.durable = chunk[n-1].ID
		h.pending = h.pending[n:]
		close(h.advanced)
		h.advanced = make(chan struct{})
		h.mu.Unlock()
		evs = evs[n:]
	}
	return nil
}

func putChunk(ctx context.Context, st store.Store, machine, name string, c historyChunk) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("sfnlocal: encode history of %s/%s: %w", machine, name, err)
	}
	if _, err := st.Put(ctx, store.Item{Key: chunkKey(machine, name, c.Events[0].ID), Value: b}, store.Condition{}); err != nil {
		return fmt.Errorf("sfnlocal: write history of %s/%s: %w", machine, name, err)
	}
	return nil
}

// snapshot returns the last id written and the events observed after it,
// without a gap: together with the stored chunks, the history so far.
func (h *historyLog) snapshot(lo, hi int64) (durable, last int64, tail []storedEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last = h.durable
	for i, e := range h.pending {
		if e.ID != h.durable+int64(i)+1 {
			break
		}
		last = e.ID
		if e.ID >= lo && e.ID <= hi {
			tail = append(tail, e)
		}
	}
	return h.durable, last, tail
}

// readPage returns the stored chunks of one page, in event order.
func readPage(ctx context.Context, st store.Store, machine, name string, page int64) ([]historyChunk, error) {
	items, err := st.Query(ctx, partHistoryPrefix+machine, pagePrefix(name, page), 0)
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: read history of %s/%s: %w", machine, name, err)
	}
	out := make([]historyChunk, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it.Value, &out[i]); err != nil {
			return nil, fmt.Errorf("sfnlocal: decode history of %s/%s (%s): %w", machine, name, it.Key.Sort, err)
		}
	}
	return out, nil
}

// readEvents returns the stored events with ids lo to hi, reading only the
// pages that hold them.
func readEvents(ctx context.Context, st store.Store, machine, name string, lo, hi int64) ([]storedEvent, error) {
	var out []storedEvent
	for p := pageOf(lo); lo <= hi && p <= pageOf(hi); p++ {
		chunks, err := readPage(ctx, st, machine, name, p)
		if err != nil {
			return nil, err
		}
		for _, c := range chunks {
			for _, e := range c.Events {
				if e.ID >= lo && e.ID <= hi {
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

// lastChunk returns the last stored chunk of a history (ok false when none
// is), finding the last page in a logarithmic number of one-item queries:
// pages are written in order, so the ones that exist are 0 to the last.
func lastChunk(ctx context.Context, st store.Store, machine, name string) (historyChunk, bool, error) {
	exists := func(p int64) (bool, error) {
		items, err := st.Query(ctx, partHistoryPrefix+machine, pagePrefix(name, p), 1)
		if err != nil {
			return false, fmt.Errorf("sfnlocal: read history of %s/%s: %w", machine, name, err)
		}
		return len(items) > 0, nil
	}
	ok, err := exists(0)
	if err != nil || !ok {
		return historyChunk{}, false, err
	}
	lo, hi := int64(0), int64(1) // page lo exists; find one that does not
	for {
		ok, err := exists(hi)
		if err != nil {
			return historyChunk{}, false, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return historyChunk{}, false, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	chunks, err := readPage(ctx, st, machine, name, lo)
	if err != nil || len(chunks) == 0 {
		return historyChunk{}, false, err
	}
	return chunks[len(chunks)-1], true, nil
}

// lastEventID returns the id of the last stored event (0 when none).
func lastEventID(ctx context.Context, st store.Store, machine, name string) (int64, error) {
	c, ok, err := lastChunk(ctx, st, machine, name)
	if err != nil || !ok || len(c.Events) == 0 {
		return 0, err
	}
	return c.Events[len(c.Events)-1].ID, nil
}

// legacyHistory reads a history written whole, as one item, by earlier
// versions (nil, nil if there is none).
func legacyHistory(ctx context.Context, st store.Store, rec executionRecord) ([]storedEvent, error) {
	it, err := st.Get(ctx, legacyHistoryKey(rec.MachineName, rec.Name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: read history of %s: %w", rec.ARN, err)
	}
	var evs []storedEvent
	if err := json.Unmarshal(it.Value, &evs); err != nil {
		return nil, fmt.Errorf("sfnlocal: decode history of %s: %w", rec.ARN, err)
	}
	return evs, nil
}
